#include "cmds.h"

#include <stdio.h>

int
cq_bench_e2e(int argc, char **argv)
{
    fprintf(stderr, "claimq bench e2e: not built yet\n");
    return CQ_EXIT_FAIL;
}
