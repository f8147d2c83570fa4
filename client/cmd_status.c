#include "cmds.h"

#include <stdio.h>

int
cq_cmd_status(int argc, char **argv)
{
    fprintf(stderr, "claimq status: not built yet\n");
    return CQ_EXIT_FAIL;
}
