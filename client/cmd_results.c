#include "cmds.h"

#include <stdio.h>

int
cq_cmd_results(int argc, char **argv)
{
    fprintf(stderr, "claimq results: not built yet\n");
    return CQ_EXIT_FAIL;
}
