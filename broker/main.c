#include <stdio.h>

int
main(void)
{
    fprintf(stderr, "claimq-broker: not built yet\n");
    return 1;
}
