#include <stdio.h>

int
main(void)
{
    fprintf(stderr, "claimq-worker: not built yet\n");
    return 1;
}
