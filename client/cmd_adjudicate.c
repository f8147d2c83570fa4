#include "cmds.h"

#include <stdio.h>

int
cq_cmd_adjudicate(int argc, char **argv)
{
    fprintf(stderr, "claimq adjudicate: not built yet\n");
    return CQ_EXIT_FAIL;
}
