#include "cmds.h"

#include <stdio.h>

int
cq_cmd_ocr(int argc, char **argv)
{
    fprintf(stderr, "claimq ocr: not built yet\n");
    return CQ_EXIT_FAIL;
}
