//  Issue 3, scenario 1: 20,000 generated claims through a broker and three
//  workers: every decision equals `claimq adjudicate` (the oracle) on the
//  same input, and every claim is decided exactly once across the three
//  ledgers. Every process stops cleanly on SIGTERM (exit 0).
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_CLAIMS 20000

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(e2e, three_workers_equal_the_oracle, .timeout = 240,
     .fini = cq_proc_cleanup)
{
    //  (cq_test_tmpdir's buffer is reused by later cq_test_* calls)
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, N_CLAIMS, N_CLAIMS / 10 + 10), 0);
    char plan[4096], members[4096], claims[4096], oracle[4096], out[4096];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(oracle, sizeof oracle, "%s/oracle.jsonl", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);

    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "adjudicate", "--plan", plan, "--members",
                            members, "--output", oracle, claims, NULL);
    cr_assert_eq(st, 0, "oracle: %s", r.err);
    cq_run_free(&r);

    static cq_cluster_t cl; // static: .fini may reach it after a failure
    cr_assert_eq(cq_proc_cluster(&cl, dir, 3, 1000, NULL), 0);
    st = cq_proc_claimq(&r, 180, "submit", "--broker", cl.frontend, "--batch",
                        "it-e2e", "--wait", "--output", out, "--quiet", claims,
                        NULL);
    cr_assert_eq(st, 0, "submit: %s", r.err);
    //  the summary, as one JSON object on stdout
    cr_assert(strstr(r.out, "\"claims\": 20000") != NULL, "%s", r.out);
    cq_run_free(&r);
    cr_assert_eq(cq_proc_counter(cl.frontend, "malformed"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "stale_results"), 0);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");

    //  Same decisions as the oracle, claim by claim, in input order.
    size_t n_o, n_d;
    char **o = cq_proc_decisions(oracle, &n_o);
    char **d = cq_proc_decisions(out, &n_d);
    cr_assert_not_null(o);
    cr_assert_not_null(d);
    cr_assert_eq(n_o, N_CLAIMS);
    cr_assert_eq(n_d, N_CLAIMS);
    for (size_t i = 0; i < n_o; i++)
        cr_assert_str_eq(d[i], o[i], "claim %zu differs", i + 1);
    cq_proc_lines_free(o, n_o);
    cq_proc_lines_free(d, n_d);

    //  Decided exactly once across the ledgers: every key in one row.
    char **all = NULL;
    size_t n_all = 0;
    for (int w = 1; w <= 3; w++) {
        char ledger[4096];
        snprintf(ledger, sizeof ledger, "%s/w%d.ledger", dir, w);
        size_t n;
        char **keys = cq_proc_ledger_keys(ledger, &n);
        cr_assert_not_null(keys);
        cr_assert_gt(n, 0, "w%d decided nothing", w);
        all = realloc(all, (n_all + n) * sizeof *all);
        memcpy(all + n_all, keys, n * sizeof *keys);
        n_all += n;
        free(keys);
    }
    cr_assert_eq(n_all, N_CLAIMS, "%zu ledger rows for %d claims", n_all,
                 N_CLAIMS);
    qsort(all, n_all, sizeof *all, s_cmp);
    for (size_t i = 1; i < n_all; i++)
        cr_assert(strcmp(all[i - 1], all[i]) != 0, "%s decided twice", all[i]);
    cq_proc_lines_free(all, n_all);
}

//  `claimq bench e2e --json`: the broker journals by default (durable
//  receipts, and the disk's fdatasync rate measured in the same run);
//  --no-journal measures the in-memory path.
static json_t *
s_bench(const char *journal_flag)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 240, "bench", "e2e", "--claims", "2000",
                            "--workers", "1", "--json", journal_flag, NULL);
    cr_assert_eq(st, 0, "bench e2e: exit %d: %s", st, r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "%s", r.out);
    cq_run_free(&r);
    cr_assert_eq(json_integer_value(json_object_get(j, "decided")), 2000);
    return j;
}

Test(e2e, bench_reports_durability, .timeout = 480)
{
    json_t *j = s_bench(NULL);
    cr_assert(json_is_true(json_object_get(j, "durable")));
    cr_assert_gt(json_number_value(json_object_get(j, "fdatasync_per_s")), 0);
    json_decref(j);
    j = s_bench("--no-journal");
    cr_assert(json_is_false(json_object_get(j, "durable")));
    json_decref(j);
    //  --pair: the same claims through a pair of brokers (all decided: the
    //  run waits until the backup holds the journal)
    j = s_bench("--pair");
    cr_assert_gt(json_number_value(json_object_get(j, "pair_claims_per_s")), 0);
    cr_assert_not_null(json_object_get(j, "pair_cost"));
    json_decref(j);
}
