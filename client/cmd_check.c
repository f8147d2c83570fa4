#include "cmds.h"

#include <stdio.h>

int
cq_cmd_check(int argc, char **argv)
{
    fprintf(stderr, "claimq check: not built yet\n");
    return CQ_EXIT_FAIL;
}
