#include "cmds.h"

#include <stdio.h>

int
cq_cmd_submit(int argc, char **argv)
{
    fprintf(stderr, "claimq submit: not built yet\n");
    return CQ_EXIT_FAIL;
}
