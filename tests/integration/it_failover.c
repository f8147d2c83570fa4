//  Workers that leave in the middle of a batch: stopped gracefully
//  (SIGTERM: it finishes what it holds, exit 0, nothing requeued) or killed
//  (SIGKILL: its work is requeued, nothing is lost). These check
//  completeness and exactly-once with the broker in memory (no journal);
//  it_durable.c checks equality with the oracle under faults, a paused
//  worker's late results (made certain with a fault switch), and the
//  journal.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_CLAIMS 20000

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
s_setup(char *dir, size_t dsize, cq_cluster_t *cl, int hb_ms, const char *batch)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, dsize, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, N_CLAIMS, N_CLAIMS / 10 + 10), 0);
    cr_assert_eq(cq_proc_cluster(cl, dir, 2, hb_ms, NULL), 0);
    char claims[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "submit", "--broker", cl->frontend,
                            "--batch", batch, "--chunk", "100", "--window",
                            "1000", "--quiet", claims, NULL);
    cr_assert_eq(st, 0, "submit: %s", r.err);
    cq_run_free(&r);
}

static void
s_wait_decided(const cq_cluster_t *cl, const char *batch, long long n)
{
    long long d = 0;
    for (int i = 0; i < 500 && d < n; i++) {
        d = cq_proc_status_field(cl->frontend, batch, "decided");
        if (d < n)
            usleep(5000);
    }
    cr_assert_geq(d, n);
}

static void
s_wait_complete(const cq_cluster_t *cl, const char *batch)
{
    long long complete = 0;
    for (int i = 0; i < 600 && complete != 1; i++) {
        complete = cq_proc_status_field(cl->frontend, batch, "complete");
        if (complete != 1)
            usleep(100000);
    }
    cr_assert_eq(complete, 1, "batch %s did not complete", batch);
    cr_assert_eq(cq_proc_status_field(cl->frontend, batch, "decided"),
                 N_CLAIMS);
    cr_assert_eq(cq_proc_status_field(cl->frontend, batch, "failed"), 0);
}

//  Keys in the two ledgers: returns rows; *distinct the distinct keys,
//  *both the keys in both ledgers.
static size_t
s_ledgers(const char *dir, size_t *distinct, size_t *both)
{
    char **k[2];
    size_t n[2];
    for (int w = 0; w < 2; w++) {
        char ledger[1100];
        snprintf(ledger, sizeof ledger, "%s/w%d.ledger", dir, w + 1);
        k[w] = cq_proc_ledger_keys(ledger, &n[w]);
        cr_assert_not_null(k[w]);
        qsort(k[w], n[w], sizeof *k[w], s_cmp);
        for (size_t i = 1; i < n[w]; i++)
            cr_assert(strcmp(k[w][i - 1], k[w][i]) != 0, "w%d decided %s twice",
                      w + 1, k[w][i]);
    }
    *both = 0;
    for (size_t i = 0, j = 0; i < n[0] && j < n[1];) {
        int c = strcmp(k[0][i], k[1][j]);
        if (c == 0) {
            (*both)++;
            i++;
            j++;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    *distinct = n[0] + n[1] - *both;
    cq_proc_lines_free(k[0], n[0]);
    cq_proc_lines_free(k[1], n[1]);
    return n[0] + n[1];
}

Test(failover, sigterm_finishes_in_flight_and_exits_0, .timeout = 240,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    static cq_cluster_t cl;
    //  slow nodes (0.1 ms a claim: 1 s for the batch at least), so that
    //  the batch is certain to be in flight when w1 is stopped, however
    //  fast or loaded the machine
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=100", 1);
    s_setup(dir, sizeof dir, &cl, 500, "it-term");
    unsetenv("CLAIMQ_FAULT");
    unsetenv("CLAIMQ_TEST_FAULTS");
    s_wait_decided(&cl, "it-term", 500);
    long long before = cq_proc_status_field(cl.frontend, "it-term", "decided");
    cr_assert_eq(cq_child_stop(&cl.workers[0], SIGTERM, 30000), 0,
                 "w1 did not exit 0 on SIGTERM");
    cr_assert_lt(before, N_CLAIMS, "the batch was over before the stop");
    s_wait_complete(&cl, "it-term");
    //  A graceful stop hands nothing back: no requeue, no stale result.
    cr_assert_eq(cq_proc_counter(cl.frontend, "requeued_claims"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "requeued_docs"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "workers_dead"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "stale_results"), 0);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
    size_t distinct, both;
    size_t rows = s_ledgers(dir, &distinct, &both);
    cr_assert_eq(rows, N_CLAIMS, "%zu rows", rows);
    cr_assert_eq(both, 0);
    cr_assert_eq(distinct, N_CLAIMS);
}

Test(failover, sigkill_loses_nothing, .timeout = 240, .fini = cq_proc_cleanup)
{
    char dir[1024];
    static cq_cluster_t cl;
    //  slow nodes (0.2 ms a claim: 2 s for the batch at least), so that
    //  the kill is certain to land mid-batch, however loaded the machine
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=200", 1);
    s_setup(dir, sizeof dir, &cl, 200, "it-kill");
    unsetenv("CLAIMQ_FAULT");
    unsetenv("CLAIMQ_TEST_FAULTS");
    s_wait_decided(&cl, "it-kill", 500);
    long long before = cq_proc_status_field(cl.frontend, "it-kill", "decided");
    cq_child_stop(&cl.workers[0], SIGKILL, 5000);
    cr_assert_lt(before, N_CLAIMS, "the batch was over before the kill");
    s_wait_complete(&cl, "it-kill");
    //  (w1's shards moved only once it was declared dead)
    cr_assert_eq(cq_proc_counter(cl.frontend, "workers_dead"), 1);
    cr_assert_eq(cq_proc_counter(cl.frontend, "decided"), N_CLAIMS);
    //  every entry has its decision; those of keys that w1 wrote but never
    //  reported (orphans) come from w2
    char out[1100];
    snprintf(out, sizeof out, "%s/results.jsonl", dir);
    cq_run_t r;
    cr_assert_eq(cq_proc_claimq(&r, 60, "results", "--broker", cl.frontend,
                                "--output", out, "it-kill", NULL),
                 0, "%s", r.err);
    cq_run_free(&r);
    //  the survivors stop cleanly
    cr_assert_eq(cq_child_stop(&cl.workers[1], SIGTERM, 30000), 0);
    cr_assert_eq(cq_child_stop(&cl.broker, SIGTERM, 30000), 0);
    size_t n;
    char **d = cq_proc_decisions(out, &n);
    cr_assert_not_null(d);
    cr_assert_eq(n, N_CLAIMS);
    cq_proc_lines_free(d, n);
    size_t distinct, both;
    size_t rows = s_ledgers(dir, &distinct, &both);
    cr_assert_eq(distinct, N_CLAIMS, "claims missing from every ledger");
    cr_assert_eq(rows, N_CLAIMS + both);
}
