#include "cmds.h"

#include <stdio.h>

int
cq_cmd_up(int argc, char **argv)
{
    fprintf(stderr, "claimq up: not built yet\n");
    return CQ_EXIT_FAIL;
}
