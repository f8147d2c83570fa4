#include "cmds.h"

#include <stdio.h>

int
cq_cmd_gen(int argc, char **argv)
{
    fprintf(stderr, "claimq gen: not built yet\n");
    return CQ_EXIT_FAIL;
}
