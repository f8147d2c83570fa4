//  it_results835.c: `claimq results BATCH --format 835` from a real cluster
//  (claimq up) is an 835 that the project's own X12 reader parses back and
//  that balances; it has a CLP for every final (non-pend) decision.
#include "cq_proc.h"
#include "x12.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
s_count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(results835, balanced_remittance_from_a_cluster, .timeout = 180)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 1500, 150), 0);
    char claims[1100], out[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", dir);
    cq_child_t up;
    char fe[256];
    cr_assert_eq(cq_proc_up(&up, dir, 2, fe, sizeof fe), 0,
                 "claimq up did not start");

    cq_run_t r;
    int st =
        cq_proc_claimq(&r, 120, "submit", "--broker", fe, "--batch", "b835",
                       "--wait", "--output", out, "--quiet", claims, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    size_t n_dec = 0;
    char *dec = cq_test_read(out, &n_dec);
    cr_assert_not_null(dec);
    size_t pend = s_count(dec, "\"decision\": \"pend\"");
    size_t total = s_count(dec, "\"claim_id\"");
    cr_assert_eq(total, 1500);

    st = cq_proc_claimq(&r, 60, "results", "--broker", fe, "--format", "835",
                        "b835", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "ISA", 3) == 0, "%.200s", r.out);
    cq_x12_835_check_t chk;
    memset(&chk, 0, sizeof chk);
    cq_diag_t diag = {0};
    int n = cq_x12_835_check(r.out, r.out_len, NULL, NULL, &chk, &diag);
    cr_assert_geq(n, 0, "%s", diag.msg);
    cr_assert_eq(chk.unbalanced, 0, "%s", chk.problem);
    cr_assert_gt(chk.services, 0, "claims come with their service lines");
    //  one CLP per final decision, plus the reversals of replaced claims
    cr_assert_geq(chk.claims, total - pend);
    cr_assert_eq(chk.bpr_total, chk.paid_total - chk.plb_total);
    cq_run_free(&r);

    st = cq_proc_claimq(&r, 30, "results", "--broker", fe, "--format", "x",
                        "b835", NULL);
    cr_assert_eq(st, 2, "an unknown format is a usage error");
    cq_run_free(&r);
    free(dec);
    cr_assert_eq(cq_child_stop(&up, SIGTERM, 60000), 0, "claimq up: exit");
}

//  The same through the oracle: `claimq adjudicate --format 835`, across
//  several 835 interchanges (CQ_OUT835_CHUNK claims each), with a ledger.
Test(results835, adjudicate_format_835_balances, .timeout = 120)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 2500, 200), 0);
    char plan[1100], members[1100], claims[1100], ledger[1100];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(ledger, sizeof ledger, "%s/ledger.db", dir);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "adjudicate", "--plan", plan, "--members",
                            members, "--ledger", ledger, "--format", "835",
                            claims, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_eq(s_count(r.out, "ISA*"), 3, "2500 claims: 3 interchanges");
    cq_x12_835_check_t chk;
    memset(&chk, 0, sizeof chk);
    cq_diag_t diag = {0};
    int n = cq_x12_835_check(r.out, r.out_len, NULL, NULL, &chk, &diag);
    cr_assert_gt(n, 2000, "%s", diag.msg);
    cr_assert_eq(chk.unbalanced, 0, "%s", chk.problem);
    cq_run_free(&r);
}
