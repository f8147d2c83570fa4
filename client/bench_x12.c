#include "cmds.h"

#include <stdio.h>

int
cq_bench_x12(int argc, char **argv)
{
    fprintf(stderr, "claimq bench x12: not built yet\n");
    return CQ_EXIT_FAIL;
}
