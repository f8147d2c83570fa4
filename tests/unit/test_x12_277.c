//  test_x12_277.c: the 277CA claim acknowledgment (cq_x12_277_write), read
//  back with our own readers (cq_x12_277_check, cq_x12_parse).
#include "x12.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

//  A one-line professional claim.
static void
s_claim(cq_claim_t *c, const char *id, const char *payer, const char *npi,
        int64_t charge)
{
    cq_claim_init(c);
    strcpy(c->claim_id, id);
    strcpy(c->payer_id, payer);
    strcpy(c->billing_npi, npi);
    strcpy(c->billing_name, "NORTH CLINIC");
    strcpy(c->member.id, "W100000001");
    strcpy(c->member.last_name, "DOE");
    strcpy(c->member.first_name, "JANE");
    c->received_date = cq_date_from_ymd(2026, 3, 1);
    c->total_charge = charge;
    c->n_lines = 1;
    c->lines[0].service_date = cq_date_from_ymd(2026, 2, 20);
    c->lines[0].service_date_end = CQ_DATE_NONE;
    c->lines[0].charge = charge;
    c->lines[0].units_milli = 1000;
    strcpy(c->lines[0].procedure, "99213");
}

//  A decision for c: outcome, with one claim-level reason (group NULL:
//  none).
static void
s_decide(cq_decision_t *d, const cq_claim_t *c, cq_outcome_t outcome,
         const char *group, const char *carc, const char *rarc, const char *msg)
{
    memset(d, 0, sizeof *d);
    strcpy(d->claim_id, c->claim_id);
    strcpy(d->payer_id, c->payer_id);
    strcpy(d->billing_npi, c->billing_npi);
    d->frequency = '1';
    d->decision = outcome;
    d->billed = c->total_charge;
    if (outcome == CQ_DECISION_ACCEPT)
        d->paid = d->allowed = c->total_charge;
    if (group) {
        d->n_reasons = 1;
        strcpy(d->reasons[0].group, group);
        strcpy(d->reasons[0].carc, carc);
        strcpy(d->reasons[0].rarc, rarc);
        strcpy(d->reasons[0].message, msg);
    }
}

//  Five claims: ACME (two billing providers) and OTHER.
typedef struct {
    cq_claim_t c[5];
    cq_decision_t d[5];
} s_batch_t;

static s_batch_t *
s_batch(void)
{
    s_batch_t *b = calloc(1, sizeof *b);
    s_claim(&b->c[0], "PAID1", "ACME", "1234567893", 10000);
    s_decide(&b->d[0], &b->c[0], CQ_DECISION_ACCEPT, NULL, NULL, NULL, NULL);
    //  invalid at intake: the engine rejected it CO-16 M51
    s_claim(&b->c[1], "BADPROC", "ACME", "1234567893", 2500);
    cq_claim_set_invalid(&b->c[1], "M51",
                         "lines[1].procedure: SV101-2 missing or longer than "
                         "11");
    s_decide(&b->d[1], &b->c[1], CQ_DECISION_REJECT, "CO", "16", "M51",
             "lines[1].procedure: SV101-2 missing or longer than 11");
    //  another provider, denied in adjudication (not eligible): accepted
    //  into adjudication as far as the 277CA goes
    s_claim(&b->c[2], "DENIED", "ACME", "1912301953", 4000);
    s_decide(&b->d[2], &b->c[2], CQ_DECISION_REJECT, "CO", "27", "N30",
             "member not covered on the date of service");
    //  the same provider, a bad billing NPI found by the engine's checks
    s_claim(&b->c[3], "BADNPI", "ACME", "1912301953", 1500);
    s_decide(&b->d[3], &b->c[3], CQ_DECISION_REJECT, "CO", "16", "N257",
             "billing_provider.npi: NM108/NM109 of 2010AA must be XX and a "
             "10-digit NPI");
    //  another payer, pended: accepted into adjudication
    s_claim(&b->c[4], "PEND1", "OTHER", "1234567893", 7000);
    b->c[4].lines[0].service_date_end = cq_date_from_ymd(2026, 2, 22);
    s_decide(&b->d[4], &b->c[4], CQ_DECISION_PEND, "OA", "133", "",
             "needs review");
    return b;
}

static void
s_write(const cq_claim_t *c, const cq_decision_t *d, size_t n, cq_buf_t *out)
{
    cq_x12_277_opts_t o = {
        .env = {.date = cq_date_from_ymd(2026, 3, 3),
                .hhmm = 915,
                .control = 42,
                .receiver_id = "SUB1",
                .newline = true},
        .payer_name = "ACME HEALTH",
        .receiver_name = "TEST SUBMITTER",
    };
    cq_buf_init(out, 1u << 20);
    cr_assert_eq(cq_x12_277_write(c, d, n, &o, out), 0);
}

Test(x12_277, one_set_per_payer_hl_tree_and_statuses)
{
    s_batch_t *b = s_batch();
    cq_buf_t out;
    s_write(b->c, b->d, 5, &out);
    const char *acme =
        "GS*HN*ACME*SUB1*20260303*0915*42*X*005010X214~\n"
        "ST*277*0001*005010X214~\n"
        "BHT*0085*08*CQ202603030001*20260303*0915*TH~\n"
        "HL*1**20*1~\n"
        "NM1*PR*2*ACME HEALTH*****PI*ACME~\n"
        "TRN*1*CQ202603030001~\n"
        "DTP*050*D8*20260301~\n"
        "DTP*009*D8*20260303~\n"
        "HL*2*1*21*1~\n"
        "NM1*41*2*TEST SUBMITTER*****46*SUB1~\n"
        "TRN*2*CQ202603030001~\n"
        "STC*A1:19:PR*20260303*WQ*180~\n"
        "QTY*90*2~\n"
        "QTY*AA*2~\n"
        "AMT*YU*140~\n"
        "AMT*YY*40~\n"
        "HL*3*2*19*1~\n"
        "NM1*85*2*NORTH CLINIC*****XX*1234567893~\n"
        "TRN*1*CQ202603030001.1~\n"
        "QTY*QA*1~\n"
        "QTY*QC*1~\n"
        "AMT*YU*100~\n"
        "AMT*YY*25~\n"
        "HL*4*3*PT~\n"
        "NM1*QC*1*DOE*JANE****MI*W100000001~\n"
        "TRN*2*PAID1~\n"
        "STC*A2:20*20260303*WQ*100~\n"
        "REF*1K*PAID1~\n"
        "DTP*472*D8*20260220~\n"
        "HL*5*3*PT~\n"
        "NM1*QC*1*DOE*JANE****MI*W100000001~\n"
        "TRN*2*BADPROC~\n"
        "STC*A3:454*20260303*U*25********lines[1].procedure  SV101-2 "
        "missing or longer than 11~\n"
        "DTP*472*D8*20260220~\n"
        "HL*6*2*19*1~\n"
        "NM1*85*2*NORTH CLINIC*****XX*1912301953~\n"
        "TRN*1*CQ202603030001.2~\n"
        "QTY*QA*1~\n"
        "QTY*QC*1~\n"
        "AMT*YU*40~\n"
        "AMT*YY*15~\n"
        "HL*7*6*PT~\n"
        "NM1*QC*1*DOE*JANE****MI*W100000001~\n"
        "TRN*2*DENIED~\n"
        "STC*A2:20*20260303*WQ*40~\n"
        "REF*1K*DENIED~\n"
        "DTP*472*D8*20260220~\n"
        "HL*8*6*PT~\n"
        "NM1*QC*1*DOE*JANE****MI*W100000001~\n"
        "TRN*2*BADNPI~\n"
        "STC*A3:562:85*20260303*U*15********billing_provider.npi  "
        "NM108/NM109 of 2010AA must be XX and a 10-digit NPI~\n"
        "DTP*472*D8*20260220~\n"
        "SE*52*0001~\n";
    cr_assert(strstr(out.data, acme), "%s", out.data);
    //  the second payer's set: a pended claim over three days (RD8)
    cr_assert(strstr(out.data, "ST*277*0002*005010X214~\n"
                               "BHT*0085*08*CQ202603030002*20260303*0915*TH~\n"
                               "HL*1**20*1~\n"
                               "NM1*PR*2*ACME HEALTH*****PI*OTHER~\n"),
              "%s", out.data);
    cr_assert(strstr(out.data, "TRN*2*PEND1~\n"
                               "STC*A2:20*20260303*WQ*70~\n"
                               "REF*1K*PEND1~\n"
                               "DTP*472*RD8*20260220-20260222~\n"),
              "%s", out.data);
    cr_assert(strstr(out.data, "GE*2*42~\nIEA*1*000000042~\n"), "%s", out.data);
    cq_buf_free(&out);
    free(b);
}

typedef struct {
    int n;
    cq_x12_277_claim_t c[8];
} s_seen_t;

static int
s_on_claim(void *arg, const cq_x12_277_claim_t *c)
{
    s_seen_t *s = arg;
    if (s->n < 8)
        s->c[s->n] = *c;
    s->n++;
    return 0;
}

Test(x12_277, read_back_structure_counts_and_hl_chains)
{
    s_batch_t *b = s_batch();
    cq_buf_t out;
    s_write(b->c, b->d, 5, &out);
    cq_x12_277_check_t chk;
    s_seen_t seen = {0};
    cr_assert_eq(
        cq_x12_277_check(out.data, out.len, s_on_claim, &seen, &chk, NULL), 5);
    cr_assert_eq(chk.problems, 0, "%s", chk.problem);
    cr_assert_eq(chk.sets, 2);
    cr_assert_eq(chk.hl[0], 2); // 20: one per payer
    cr_assert_eq(chk.hl[1], 2); // 21: the submitter, once per set
    cr_assert_eq(chk.hl[2], 3); // 19: ACME's two providers, OTHER's one
    cr_assert_eq(chk.hl[3], 5); // PT: the claims
    cr_assert_eq(chk.accepted, 3);
    cr_assert_eq(chk.rejected, 2);
    cr_assert_eq(seen.n, 5);
    const char *ids[] = {"PAID1", "BADPROC", "DENIED", "BADNPI", "PEND1"};
    const char *codes[] = {"A2:20:", "A3:454:", "A2:20:", "A3:562:85",
                           "A2:20:"};
    for (int i = 0; i < 5; i++) {
        const cq_x12_277_claim_t *c = &seen.c[i];
        char code[24];
        snprintf(code, sizeof code, "%s:%s:%s", c->cat, c->code, c->entity);
        cr_assert_str_eq(c->claim_id, ids[i]);
        cr_assert_str_eq(code, codes[i], "%s", ids[i]);
        cr_assert_str_eq(c->action, codes[i][1] == '2' ? "WQ" : "U");
        cr_assert_str_eq(c->payer_claim_id, codes[i][1] == '2' ? ids[i] : "");
        cr_assert_eq(c->amount, b->c[i].total_charge);
        cr_assert_str_eq(c->billing_npi, b->c[i].billing_npi);
    }
    //  the envelope, read by the 837 reader: a 277CA, counts that hold
    cq_x12_report_t rep;
    cq_diag_t d = {0};
    cr_assert_eq(cq_x12_parse(out.data, out.len, NULL, NULL, &rep, &d),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(rep.kind, "277CA");
    cr_assert_str_eq(d.msg, "a 277 claim status response, not an 837 claim "
                            "file");
    cr_assert_eq(rep.n_interchanges, 1);
    cr_assert_str_eq(rep.interchanges[0].ta1, "000");
    cr_assert_eq(rep.n_sets, 2);
    for (uint32_t i = 0; i < rep.n_sets; i++) {
        //  refused by an 837 reader as unsupported (1), nothing else: no
        //  SE count (4) or control number (3) error
        cr_assert_eq(rep.sets[i].n_codes, 1);
        cr_assert_str_eq(rep.sets[i].codes[0], "1");
    }
    cr_assert_eq(rep.groups[0].declared_sets, 2);
    cq_x12_report_free(&rep);
    cq_buf_free(&out);
    free(b);
}

Test(x12_277, status_of_a_claim)
{
    s_batch_t *b = s_batch();
    cq_x12_277_status_t st;
    //  from the claim alone (no decision): its invalid flag and RARC
    cq_x12_277_status(&b->c[1], NULL, &st);
    cr_assert_not(st.accepted);
    cr_assert_str_eq(st.cat, "A3");
    cr_assert_str_eq(st.code, "454");
    cq_x12_277_status(&b->c[0], NULL, &st);
    cr_assert(st.accepted);
    cr_assert_str_eq(st.code, "20");
    //  from a decision: claim-level CO-16 only is a front-end reject
    static const struct {
        cq_outcome_t outcome;
        const char *group, *carc, *rarc;
        const char *want; // cat:code:entity
    } t[] = {
        {CQ_DECISION_REJECT, "CO", "16", "MA130", "A3:21:"},
        {CQ_DECISION_REJECT, "CO", "16", "N382", "A3:164:IL"},
        {CQ_DECISION_REJECT, "CO", "16", "M52", "A3:187:"},
        {CQ_DECISION_REJECT, "CO", "16", "N290", "A3:562:82"},
        {CQ_DECISION_REJECT, "CO", "27", "N30", "A2:20:"},
        {CQ_DECISION_REJECT, "OA", "18", "", "A2:20:"},
        {CQ_DECISION_PEND, "OA", "133", "", "A2:20:"},
        {CQ_DECISION_ACCEPT, NULL, NULL, NULL, "A2:20:"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        s_decide(&b->d[0], &b->c[0], t[i].outcome, t[i].group, t[i].carc,
                 t[i].rarc, "why");
        cq_x12_277_status(&b->c[0], &b->d[0], &st);
        char got[24];
        snprintf(got, sizeof got, "%s:%s:%s", st.cat, st.code, st.entity);
        cr_assert_str_eq(got, t[i].want, "case %zu", i);
        cr_assert_eq(st.accepted, t[i].want[1] == '2');
    }
    //  a CO-16 next to an adjudication reason: it reached adjudication
    s_decide(&b->d[0], &b->c[0], CQ_DECISION_REJECT, "CO", "16", "MA130",
             "why");
    b->d[0].n_reasons = 2;
    strcpy(b->d[0].reasons[1].group, "CO");
    strcpy(b->d[0].reasons[1].carc, "45");
    cq_x12_277_status(&b->c[0], &b->d[0], &st);
    cr_assert(st.accepted);
    free(b);
}

Test(x12_277, decisions_only_and_a_delimiter_in_a_claim_id)
{
    s_batch_t *b = s_batch();
    strcpy(b->d[2].claim_id, "BAD~ID");
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cq_diag_t diag = {0};
    cq_x12_277_opts_t o = {.env = {.diag = &diag}};
    //  without claims: bare claims from the decisions; the claim whose id
    //  holds the segment terminator is left out and named
    cr_assert_eq(cq_x12_277_write(NULL, b->d, 5, &o, &out), CQ_EINVAL);
    cr_assert(strstr(diag.msg, "claim 3:"), "%s", diag.msg);
    cq_x12_277_check_t chk;
    cr_assert_eq(cq_x12_277_check(out.data, out.len, NULL, NULL, &chk, NULL),
                 4);
    cr_assert_eq(chk.problems, 0, "%s", chk.problem);
    cr_assert_eq(chk.rejected, 2);
    cr_assert_null(strstr(out.data, "~ID"));
    cq_buf_free(&out);
    free(b);
}

Test(x12_277, the_reader_finds_broken_structure)
{
    s_batch_t *b = s_batch();
    cq_buf_t out;
    s_write(b->c, b->d, 1, &out);
    cq_x12_277_check_t chk;
    cr_assert_eq(cq_x12_277_check(out.data, out.len, NULL, NULL, &chk, NULL),
                 1);
    cr_assert_eq(chk.problems, 0, "%s", chk.problem);
    struct {
        const char *from, *to, *problem;
    } breaks[] = {
        {"SE*25*0001", "SE*24*0001", "SE01 says 24 segments, counted 25"},
        {"HL*4*3*PT", "HL*4*2*PT",
         "HL 4: parent 2 is not an HL of the "
         "level above"},
        {"QTY*QA*1", "QTY*QA*2", "HL 3: QTY/AMT say 2 accepted"},
        {"HL*3*2*19*1", "HL*3*2*19*0", "HL 3: HL04 0 but 1 children"},
    };
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        char *copy = strdup(out.data);
        char *at = strstr(copy, breaks[i].from);
        cr_assert_not_null(at, "%s", breaks[i].from);
        memcpy(at, breaks[i].to, strlen(breaks[i].to));
        cq_x12_277_check(copy, strlen(copy), NULL, NULL, &chk, NULL);
        cr_assert_gt(chk.problems, 0, "%s", breaks[i].to);
        cr_assert(strstr(chk.problem, breaks[i].problem), "%s: %s",
                  breaks[i].to, chk.problem);
        free(copy);
    }
    //  not a 277 at all
    cq_diag_t d = {0};
    cr_assert_eq(cq_x12_277_check("hello", 5, NULL, NULL, &chk, &d), CQ_EPROTO);
    cq_buf_free(&out);
    free(b);
}

Test(x12_277, nothing_to_acknowledge_writes_nothing)
{
    cq_buf_t out;
    cq_buf_init(&out, 1024);
    cr_assert_eq(cq_x12_277_write(NULL, NULL, 0, NULL, &out), 0);
    cr_assert_eq(out.len, 0);
    cq_buf_free(&out);
}
