#include "cmds.h"

#include <stdio.h>

int
cq_cmd_workers(int argc, char **argv)
{
    fprintf(stderr, "claimq workers: not built yet\n");
    return CQ_EXIT_FAIL;
}
