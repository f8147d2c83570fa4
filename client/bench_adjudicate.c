#include "cmds.h"

#include <stdio.h>

int
cq_bench_adjudicate(int argc, char **argv)
{
    fprintf(stderr, "claimq bench adjudicate: not built yet\n");
    return CQ_EXIT_FAIL;
}
