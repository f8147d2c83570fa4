//  Issue 3, scenario 3: the same batch submitted twice adds no ledger rows
//  and brings back the same decisions; so does the same claims under a new
//  batch id (a claim key already decided is not decided again).
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define N_CLAIMS 3000

static size_t
s_rows(const char *dir, int workers)
{
    size_t total = 0;
    for (int w = 1; w <= workers; w++) {
        char ledger[4096];
        snprintf(ledger, sizeof ledger, "%s/w%d.ledger", dir, w);
        size_t n;
        char **keys = cq_proc_ledger_keys(ledger, &n);
        cr_assert_not_null(keys);
        cq_proc_lines_free(keys, n);
        total += n;
    }
    return total;
}

static void
s_submit(const cq_cluster_t *cl, const char *batch, const char *claims,
         const char *out)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "submit", "--broker", cl->frontend,
                            "--batch", batch, "--wait", "--output", out,
                            "--quiet", claims, NULL);
    cr_assert_eq(st, 0, "submit %s: %s", batch, r.err);
    cq_run_free(&r);
}

Test(resubmit, same_batch_twice_decides_nothing_again, .timeout = 240,
     .fini = cq_proc_cleanup)
{
    //  (cq_test_tmpdir's buffer is reused by later cq_test_* calls)
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, N_CLAIMS, N_CLAIMS / 10 + 10), 0);
    char claims[4096], out1[4096], out2[4096], out3[4096];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out1, sizeof out1, "%s/first.jsonl", dir);
    snprintf(out2, sizeof out2, "%s/second.jsonl", dir);
    snprintf(out3, sizeof out3, "%s/other.jsonl", dir);

    static cq_cluster_t cl; // static: .fini may reach it after a failure
    cr_assert_eq(cq_proc_cluster(&cl, dir, 2, 1000, NULL), 0);
    s_submit(&cl, "it-resub", claims, out1);
    long long decided = cq_proc_counter(cl.frontend, "decided");
    cr_assert_eq(decided, N_CLAIMS);
    //  Rows are committed before decisions are reported.
    size_t rows = s_rows(dir, 2);
    cr_assert_eq(rows, N_CLAIMS);

    s_submit(&cl, "it-resub", claims, out2); // same batch, same documents
    s_submit(&cl, "it-other", claims, out3); // same claims, new batch
    cr_assert_eq(cq_proc_counter(cl.frontend, "decided"), decided,
                 "claims were decided again");
    cr_assert_eq(cq_proc_counter(cl.frontend, "claims"), N_CLAIMS);
    cr_assert_eq(cq_proc_counter(cl.frontend, "claims_resubmitted"), N_CLAIMS);
    //  (issue 9: the same batch again asks which documents the broker
    //  holds, HAVE, and sends none of them)
    cr_assert_eq(cq_proc_counter(cl.frontend, "docs_resubmitted"), 0);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "it-other", "decided"),
                 N_CLAIMS);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
    cr_assert_eq(s_rows(dir, 2), rows, "new ledger rows");

    //  The very same decisions, byte for byte (batch_id included: it is
    //  the decision made then).
    size_t n1, n2, n3;
    char *a = cq_test_read(out1, &n1);
    char *b = cq_test_read(out2, &n2);
    char *c = cq_test_read(out3, &n3);
    cr_assert_not_null(a);
    cr_assert_gt(n1, 0);
    cr_assert_eq(n1, n2);
    cr_assert_eq(n1, n3);
    cr_assert(memcmp(a, b, n1) == 0, "second run differs");
    cr_assert(memcmp(a, c, n1) == 0, "other batch differs");
    free(a);
    free(b);
    free(c);
}
