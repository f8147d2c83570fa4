#include "cmds.h"

#include <stdio.h>

int
cq_bench_ocr(int argc, char **argv)
{
    fprintf(stderr, "claimq bench ocr: not built yet\n");
    return CQ_EXIT_FAIL;
}
