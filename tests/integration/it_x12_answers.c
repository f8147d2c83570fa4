//  it_x12_answers.c: issue 9, "honest answers", end to end on a real
//  cluster (claimq up): a batch of two X12 837 documents and a JSON one,
//  where one transaction set is refused at intake (wrong SE01) and one
//  claim carries an invalid date.
//  - `claimq results --format 999`: the 999 of each X12 document, in the
//    order received, one interchange after another, read back with our
//    own reader: IK5*R*4 for the refused set, IK3/IK4 for the bad date;
//  - `claimq results --format 277ca`: a 277CA whose structure holds, A3
//    for the claim rejected before adjudication, nothing for the claims of
//    the refused set (they never became claims: the 999 answers them);
//  - `claimq status` counts the refused set and its claims, and `claimq
//    submit` says so and exits 5.
#include "../unit/x12_fixture.h"
#include "cq_proc.h"
#include "x12.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CLAIMS 62 // 30 in good.837, 30 in bad.837, 2 in extra.jsonl

typedef struct {
    char dir[1024];
    char fe[256];
    cq_child_t up;
    cq_run_t submit;   // claimq submit --wait
    char bad_id[64];   // the claim with the invalid date
    char refused[512]; // " id id ... " of the claims of the refused set
} s_env_t;

//  An 837P of claims [from, from + n), 10 claims per transaction set.
static void
s_837(const xb_claims_t *k, size_t from, size_t n, uint32_t control,
      cq_buf_t *out)
{
    cq_x12_write_opts_t o;
    memset(&o, 0, sizeof o);
    o.env.control = control;
    o.env.newline = true;
    o.claims_per_set = 10;
    cq_buf_init(out, 16u << 20);
    cr_assert_eq(cq_x12_837_write(k->c + from, n, &o, out), 0);
}

//  Writes the three documents into e->dir: good.837 (claims 0-29, three
//  sets), bad.837 (claims 30-59: set 1 with a wrong SE01, set 2 with an
//  invalid service date in its first claim), extra.jsonl (claims 60-61).
static void
s_documents(s_env_t *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/claims.jsonl", e->dir);
    size_t len = 0;
    char *json = cq_test_read(path, &len);
    cr_assert_not_null(json);
    xb_claims_t k = {0};
    cr_assert_eq(cq_claim_json_parse(json, len, xb_collect, &k, NULL),
                 S_CLAIMS);
    cq_buf_t good, bad;
    s_837(&k, 0, 30, 1, &good);
    s_837(&k, 30, 30, 2, &bad);
    //  set 1 of bad.837: SE01 one too many
    char *se = strstr(bad.data, "\nSE*");
    cr_assert_not_null(se);
    int n = atoi(se + 4);
    char *star = strchr(se + 4, '*');
    char head[16];
    snprintf(head, sizeof head, "%d", n + 1);
    cr_assert_eq(strlen(head), (size_t)(star - (se + 4)), "same width");
    memcpy(se + 4, head, strlen(head));
    e->refused[0] = ' ';
    for (size_t i = 30; i < 40; i++) {
        strcat(e->refused, k.c[i].claim_id);
        strcat(e->refused, " ");
    }
    //  set 2: the first service date is no date (month 13)
    char *st2 = strstr(strstr(bad.data, "\nST*837*") + 1, "\nST*837*");
    cr_assert_not_null(st2);
    char *dtp = strstr(st2, "\nDTP*472*D8*");
    cr_assert_not_null(dtp);
    memcpy(dtp + 12, "20261340", 8);
    snprintf(e->bad_id, sizeof e->bad_id, "%s", k.c[40].claim_id);
    snprintf(path, sizeof path, "%s/good.837", e->dir);
    cr_assert_eq(cq_test_write(path, good.data, good.len), 0);
    snprintf(path, sizeof path, "%s/bad.837", e->dir);
    cr_assert_eq(cq_test_write(path, bad.data, bad.len), 0);
    //  the JSON Lines document: the last two lines of claims.jsonl
    char *line = json + len;
    for (int lines = 0; line > json && lines < 3;)
        lines += *--line == '\n';
    snprintf(path, sizeof path, "%s/extra.jsonl", e->dir);
    cr_assert_eq(cq_test_write(path, line + 1, len - (size_t)(line + 1 - json)),
                 0);
    cq_buf_free(&good);
    cq_buf_free(&bad);
    xb_claims_free(&k);
    free(json);
}

//  Data, documents, a cluster, and the batch "bx12" submitted and waited.
static void
s_setup(s_env_t *e)
{
    memset(e, 0, sizeof *e);
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(e->dir, sizeof e->dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(e->dir, S_CLAIMS, 20), 0);
    s_documents(e);
    cr_assert_eq(cq_proc_up(&e->up, e->dir, 2, e->fe, sizeof e->fe), 0,
                 "claimq up did not start");
    char good[1100], bad[1100], extra[1100], out[1100];
    snprintf(good, sizeof good, "%s/good.837", e->dir);
    snprintf(bad, sizeof bad, "%s/bad.837", e->dir);
    snprintf(extra, sizeof extra, "%s/extra.jsonl", e->dir);
    snprintf(out, sizeof out, "%s/decisions.jsonl", e->dir);
    cq_proc_claimq(&e->submit, 120, "submit", "--broker", e->fe, "--batch",
                   "bx12", "--wait", "--output", out, good, bad, extra, NULL);
    cr_assert(e->submit.status == 0 || e->submit.status == 5, "%d: %s",
              e->submit.status, e->submit.err);
}

static void
s_teardown(s_env_t *e)
{
    cq_run_free(&e->submit);
    cr_assert_eq(cq_child_stop(&e->up, SIGTERM, 60000), 0, "claimq up: exit");
}

Test(x12_answers, results_999_and_277ca, .timeout = 240)
{
    static s_env_t e;
    s_setup(&e);

    //  --format 999: good.837's interchange, then bad.837's
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "results", "--broker", e.fe, "--format",
                            "999", "bx12", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "ISA*", 4) == 0, "%.200s", r.out);
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(r.out, r.out_len, NULL, NULL, &rep, NULL),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(rep.kind, "999");
    cr_assert_eq(rep.n_interchanges, 2, "one 999 per X12 document");
    for (uint32_t i = 0; i < rep.n_interchanges; i++)
        cr_assert_str_eq(rep.interchanges[i].ta1, "000");
    cr_assert_neq(
        strcmp(rep.interchanges[0].control, rep.interchanges[1].control), 0,
        "control numbers differ between documents");
    cq_x12_report_free(&rep);
    cq_buf_t acks;
    cq_buf_init(&acks, 1u << 20);
    xb_read_999(r.out, r.out_len, &acks);
    const char *good = "AK2*837*0001*005010X222A1\nIK5*A\n"
                       "AK2*837*0002*005010X222A1\nIK5*A\n"
                       "AK2*837*0003*005010X222A1\nIK5*A\n"
                       "AK9*A*3*3*3\n";
    cr_assert(strncmp(acks.data, good, strlen(good)) == 0, "%s", acks.data);
    const char *bad = acks.data + strlen(good);
    //  (the DTP's position depends on the generated claim)
    const char *ik3 = strstr(bad, "IK3*DTP*");
    cr_assert_not_null(ik3, "%s", bad);
    char want[1024];
    snprintf(want, sizeof want,
             "AK2*837*0001*005010X222A1\nIK5*R*4\n"
             "AK2*837*0002*005010X222A1\n"
             "IK3*DTP*%d*2400*8\nCTX*CLM01:%s\nIK4*3*1251*8*20261340\n"
             "IK5*E*5\n"
             "AK2*837*0003*005010X222A1\nIK5*A\n"
             "AK9*P*3*3*2\n",
             atoi(ik3 + 8), e.bad_id);
    cr_assert_str_eq(bad, want);
    cq_buf_free(&acks);
    cq_run_free(&r);

    //  --format 277ca: every claim that became one, A3 for the bad date
    st = cq_proc_claimq(&r, 60, "results", "--broker", e.fe, "--format",
                        "277ca", "bx12", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_x12_277_check_t chk;
    cq_diag_t diag = {0};
    int n = cq_x12_277_check(r.out, r.out_len, NULL, NULL, &chk, &diag);
    cr_assert_eq(n, S_CLAIMS - 10, "%s", diag.msg);
    cr_assert_eq(chk.problems, 0, "%s", chk.problem);
    cr_assert_eq(chk.accepted + chk.rejected, (uint32_t)n);
    char trn[128];
    snprintf(trn, sizeof trn, "TRN*2*%s~\nSTC*A3:187*", e.bad_id);
    cr_assert(strstr(r.out, trn), "%s: %.2000s", trn, r.out);
    char *ids = strdup(e.refused);
    for (char *id = strtok(ids, " "); id; id = strtok(NULL, " ")) {
        snprintf(trn, sizeof trn, "TRN*2*%s~", id);
        cr_assert_null(strstr(r.out, trn), "%s of the refused set", id);
    }
    free(ids);
    cr_assert_eq(cq_x12_parse(r.out, r.out_len, NULL, NULL, &rep, NULL),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(rep.kind, "277CA");
    cq_x12_report_free(&rep);
    cq_run_free(&r);

    //  no such batch
    st = cq_proc_claimq(&r, 30, "results", "--broker", e.fe, "--format", "999",
                        "nosuchbatch", NULL);
    cr_assert_eq(st, 1, "%s", r.err);
    cq_run_free(&r);
    s_teardown(&e);
}

Test(x12_answers, status_and_submit_say_what_was_refused, .timeout = 240)
{
    static s_env_t e;
    s_setup(&e);
    //  submit: told, and exit 5 (something was not taken)
    cr_assert_eq(e.submit.status, 5, "%s", e.submit.err);
    cr_assert(strstr(e.submit.err, "refused"), "%s", e.submit.err);
    //  status: the refused set and its ten claims
    cr_assert_eq(cq_proc_status_field(e.fe, "bx12", "refused_sets"), 1);
    cr_assert_eq(cq_proc_status_field(e.fe, "bx12", "refused_claims"), 10);
    cr_assert_eq(cq_proc_status_field(e.fe, "bx12", "claims"), S_CLAIMS - 10);
    s_teardown(&e);
}
