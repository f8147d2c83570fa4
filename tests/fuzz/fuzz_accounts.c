//  fuzz_accounts.c: the review station's accounts file (review_accounts.h),
//  the one configuration file a claimq process reads at start besides the
//  plan and the roster (fuzz_plan, fuzz_roster), on arbitrary bytes.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. reading never crashes; a refusal has a code and a message naming the
//     file (never the file's contents past a line number);
//  2. a file that reads is at most CQ_RV_MAX_ACCOUNTS accounts, each found
//     again by its name, each with at least one tenant;
//  3. written back and read again, it is the same accounts.
#include "review_accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_accounts: invariant broken: %s\n", what);
        abort();
    }
}

static char s_path[64], s_path2[80];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (s_path[0] == '\0') {
        snprintf(s_path, sizeof s_path, "/tmp/fuzz-accounts-%d", (int)getpid());
        snprintf(s_path2, sizeof s_path2, "%s.again", s_path);
    }
    FILE *f = fopen(s_path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cq_rv_accounts_t a;
    char why[512] = "";
    int rc = cq_rv_accounts_read(s_path, &a, why, sizeof why);
    if (rc != 0) {
        s_check(rc < 0, "a refusal has a code");
        s_check(why[0] != '\0', "a refusal says why");
        s_check(a.n == 0, "nothing kept on a refusal");
        unlink(s_path);
        return 0;
    }
    s_check(a.n <= CQ_RV_MAX_ACCOUNTS, "at most the accounts cap");
    for (size_t i = 0; i < a.n; i++) {
        s_check(cq_rv_accounts_find(&a, a.v[i].name) != NULL,
                "every account found by its name");
        s_check(a.v[i].n_tenants > 0, "every account has a tenant");
    }
    if (cq_rv_accounts_write(s_path2, &a, why, sizeof why) == 0) {
        cq_rv_accounts_t b;
        s_check(cq_rv_accounts_read(s_path2, &b, why, sizeof why) == 0,
                "what was written reads again");
        s_check(b.n == a.n, "the same number of accounts");
        for (size_t i = 0; i < a.n; i++)
            s_check(strcmp(a.v[i].name, b.v[i].name) == 0,
                    "the same names in the same order");
        cq_rv_accounts_free(&b);
        unlink(s_path2);
    }
    cq_rv_accounts_free(&a);
    unlink(s_path);
    return 0;
}
