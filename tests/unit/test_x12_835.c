//  test_x12_835.c: the 835 from claims + decisions parses back with the
//  project's own tokenizer and balances (claim, line, BPR), including
//  denied lines, claim-level rejects, voids and replacements.
#include "cq_test.h"
#include "engine.h"
#include "gen.h"
#include "money.h"
#include "x12.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cq_x12_835_claim_t c[64];
    size_t n;
} s_seen_t;

static int
s_keep(void *arg, const cq_x12_835_claim_t *c)
{
    s_seen_t *s = arg;
    if (s->n < CQ_ARRAY_LEN(s->c))
        s->c[s->n] = *c;
    s->n++;
    return 0;
}

static const cq_x12_835_claim_t *
s_find(const s_seen_t *s, const char *id, const char *status)
{
    for (size_t i = 0; i < s->n && i < CQ_ARRAY_LEN(s->c); i++)
        if (strcmp(s->c[i].claim_id, id) == 0 &&
            strcmp(s->c[i].status, status) == 0)
            return &s->c[i];
    return NULL;
}

//  A claim with lines of the given charges, and an empty decision of it.
static void
s_make(cq_claim_t *c, cq_decision_t *d, const char *id, const char *npi,
       const int64_t *charges, int n)
{
    cq_claim_init(c);
    cq_strlcpy(c->claim_id, id, sizeof c->claim_id);
    cq_strlcpy(c->payer_id, "ACME", sizeof c->payer_id);
    cq_strlcpy(c->billing_npi, npi, sizeof c->billing_npi);
    cq_strlcpy(c->billing_name, "NORTH CLINIC", sizeof c->billing_name);
    cq_strlcpy(c->billing_tax_id, "123456789", sizeof c->billing_tax_id);
    cq_strlcpy(c->member.id, "W100000001", sizeof c->member.id);
    cq_strlcpy(c->member.last_name, "DOE", sizeof c->member.last_name);
    cq_strlcpy(c->member.first_name, "JANE", sizeof c->member.first_name);
    c->received_date = cq_date_from_ymd(2026, 3, 2);
    for (int i = 0; i < n; i++) {
        cq_line_t *l = &c->lines[i];
        snprintf(l->procedure, sizeof l->procedure, "9921%d", 3 + i);
        l->charge = charges[i];
        l->units_milli = 1000;
        l->service_date = cq_date_from_ymd(2026, 2, 20);
        l->service_date_end = CQ_DATE_NONE;
        cq_strlcpy(l->place_of_service, "11", 3);
        c->total_charge += charges[i];
    }
    c->n_lines = (uint8_t)n;
    memset(d, 0, sizeof *d);
    cq_strlcpy(d->claim_id, id, sizeof d->claim_id);
    cq_strlcpy(d->payer_id, "ACME", sizeof d->payer_id);
    cq_strlcpy(d->billing_npi, npi, sizeof d->billing_npi);
    d->frequency = '1';
    d->billed = c->total_charge;
    d->n_lines = (uint8_t)n;
    for (int i = 0; i < n; i++)
        d->lines[i].billed = charges[i];
}

static void
s_adj(cq_decision_t *d, int line, const char *group, const char *code,
      int64_t amount)
{
    cq_adjustment_t *a = &d->adj[d->n_adj++];
    a->line = (uint8_t)line;
    cq_strlcpy(a->group, group, sizeof a->group);
    cq_strlcpy(a->code, code, sizeof a->code);
    a->amount = amount;
    if (strcmp(group, "PR") == 0)
        d->patient_resp += amount;
}

static void
s_reason(cq_decision_t *d, int line, const char *group, const char *carc,
         const char *rarc)
{
    cq_reason_t *r = &d->reasons[d->n_reasons++];
    memset(r, 0, sizeof *r);
    r->line = (uint8_t)line;
    cq_strlcpy(r->group, group, sizeof r->group);
    cq_strlcpy(r->carc, carc, sizeof r->carc);
    cq_strlcpy(r->rarc, rarc, sizeof r->rarc);
}

//  The engine's void: the original's amounts negated.
static void
s_negate(const cq_decision_t *o, cq_decision_t *d)
{
    d->billed = -o->billed;
    d->allowed = -o->allowed;
    d->paid = -o->paid;
    d->patient_resp = -o->patient_resp;
    d->n_adj = o->n_adj;
    for (int i = 0; i < o->n_adj; i++) {
        d->adj[i] = o->adj[i];
        d->adj[i].amount = -o->adj[i].amount;
    }
    for (int i = 0; i < o->n_lines; i++) {
        d->lines[i].billed = -o->lines[i].billed;
        d->lines[i].allowed = -o->lines[i].allowed;
        d->lines[i].paid = -o->lines[i].paid;
    }
    d->decision = CQ_DECISION_ACCEPT;
}

typedef struct {
    const cq_claim_t *claims;
    const cq_decision_t *decisions;
    size_t n;
} s_orig_t;

static const cq_decision_t *
s_original(void *arg, const cq_claim_t *c)
{
    const s_orig_t *o = arg;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->claims[i].claim_id, c->original_claim_id) == 0 &&
            o->claims[i].frequency == '1')
            return &o->decisions[i];
    return NULL;
}

#define N_MADE 8
static cq_claim_t s_c[N_MADE];
static cq_decision_t s_d[N_MADE];

//  A: FORMATS.md's example (all to the member); B: paid; C: claim-level
//  reject CO-31; D: one line denied CO-96 (another provider); E: CLM02 !=
//  lines, CO-16; F: void of B; G: pended; H: replacement of A.
static void
s_build(void)
{
    int64_t a[] = {15000, 10000}, b[] = {20000}, c3[] = {10000, 20000},
            d4[] = {10000, 8000}, e[] = {1225};
    s_make(&s_c[0], &s_d[0], "A", "1234567893", a, 2);
    s_adj(&s_d[0], 1, "CO", "45", 6000);
    s_adj(&s_d[0], 1, "PR", "3", 2500);
    s_adj(&s_d[0], 1, "PR", "1", 6500);
    s_adj(&s_d[0], 2, "CO", "45", 9200);
    s_adj(&s_d[0], 2, "PR", "1", 800);
    s_d[0].allowed = 9800;
    s_d[0].lines[0].allowed = 9000;
    s_d[0].lines[1].allowed = 800;

    s_make(&s_c[1], &s_d[1], "B", "1234567893", b, 1);
    s_adj(&s_d[1], 1, "CO", "45", 11000);
    s_adj(&s_d[1], 1, "PR", "2", 1800);
    s_d[1].allowed = s_d[1].lines[0].allowed = 9000;
    s_d[1].paid = s_d[1].lines[0].paid = 7200;

    s_make(&s_c[2], &s_d[2], "C", "1234567893", c3, 2);
    s_d[2].decision = CQ_DECISION_REJECT;
    s_adj(&s_d[2], 0, "CO", "31", 30000);
    s_reason(&s_d[2], 0, "CO", "31", "");
    s_d[2].lines[0].denied = s_d[2].lines[1].denied = true;

    s_make(&s_c[3], &s_d[3], "D", "1912301953", d4, 2);
    s_adj(&s_d[3], 1, "CO", "45", 5000);
    s_adj(&s_d[3], 2, "CO", "96", 8000);
    s_reason(&s_d[3], 2, "CO", "96", "N130");
    s_d[3].lines[0].allowed = s_d[3].lines[0].paid = 5000;
    s_d[3].allowed = s_d[3].paid = 5000;
    s_d[3].lines[1].denied = true;

    s_make(&s_c[4], &s_d[4], "E", "1234567893", e, 1);
    s_c[4].total_charge = 50000; // CLM02 500.00, lines 12.25
    s_c[4].invalid = true;
    s_d[4].decision = CQ_DECISION_REJECT;
    s_adj(&s_d[4], 0, "CO", "16", 1225);
    s_reason(&s_d[4], 0, "CO", "16", "M54");

    s_make(&s_c[5], &s_d[5], "F", "1234567893", b, 1);
    s_c[5].frequency = s_d[5].frequency = '8';
    cq_strlcpy(s_c[5].original_claim_id, "B", sizeof s_c[5].original_claim_id);
    s_negate(&s_d[1], &s_d[5]);

    s_make(&s_c[6], &s_d[6], "G", "1234567893", b, 1);
    s_d[6].decision = CQ_DECISION_PEND;
    s_reason(&s_d[6], 0, "OA", "133", "");

    s_make(&s_c[7], &s_d[7], "H", "1234567893", a, 2);
    s_c[7].frequency = s_d[7].frequency = '7';
    cq_strlcpy(s_c[7].original_claim_id, "A", sizeof s_c[7].original_claim_id);
    s_adj(&s_d[7], 1, "CO", "45", 14000);
    s_adj(&s_d[7], 2, "CO", "45", 9000);
    s_d[7].lines[0].paid = 1000;
    s_d[7].lines[1].paid = 1000;
    s_d[7].paid = 2000;
}

Test(x12_835, hand_made_decisions_balance)
{
    s_build();
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    s_orig_t orig = {s_c, s_d, N_MADE};
    cq_x12_835_opts_t o;
    memset(&o, 0, sizeof o);
    o.env.date = cq_date_from_ymd(2026, 3, 9);
    o.env.hhmm = 800;
    o.env.newline = true;
    o.payer_name = "ACME HEALTH";
    o.payer_tin = "991234567";
    o.original = s_original;
    o.original_arg = &orig;
    cr_assert_eq(cq_x12_835_write(s_c, s_d, N_MADE, &o, &out), 0);
    s_seen_t seen = {.n = 0};
    cq_x12_835_check_t chk;
    cq_diag_t diag = {0};
    int n = cq_x12_835_check(out.data, out.len, s_keep, &seen, &chk, &diag);
    cr_assert_eq(chk.unbalanced, 0, "%s\n%s", chk.problem, out.data);
    //  A B C E F (reversal) H's reversal of A + H; D in its own set; no G
    cr_assert_eq(n, 8);
    cr_assert_eq(chk.sets, 2);
    const cq_x12_835_claim_t *x = s_find(&seen, "A", "1");
    cr_assert_not_null(x);
    cr_assert_eq(x->billed, 25000);
    cr_assert_eq(x->paid, 0);
    cr_assert_eq(x->patient_resp, 9800);
    cr_assert_eq(x->n_services, 2);
    cr_assert_eq(x->services[0].cas, 15000);
    x = s_find(&seen, "C", "4");
    cr_assert_not_null(x);
    cr_assert_eq(x->cas_claim, 0);
    cr_assert_eq(x->cas_lines, 30000); // spread over the two lines
    cr_assert_eq(x->services[1].cas, 20000);
    x = s_find(&seen, "D", "1");
    cr_assert_eq(x->paid, 5000);
    cr_assert_eq(x->services[1].paid, 0);
    cr_assert_eq(x->services[1].cas, 8000);
    x = s_find(&seen, "E", "4");
    cr_assert_eq(x->billed, 50000);
    cr_assert_eq(x->cas_claim, 50000 - 1225);
    cr_assert_eq(x->cas_lines, 1225);
    x = s_find(&seen, "F", "22");
    cr_assert_not_null(x);
    cr_assert_eq(x->billed, -20000);
    cr_assert_eq(x->paid, -7200);
    cr_assert_eq(x->patient_resp, -1800);
    cr_assert_str_eq(x->payer_claim_id, "B");
    x = s_find(&seen, "A", "22"); // H first reverses A
    cr_assert_not_null(x);
    cr_assert_eq(x->billed, -25000);
    cr_assert_eq(x->paid, 0);
    cr_assert_eq(x->n_services, 0);
    cr_assert_not_null(s_find(&seen, "H", "1"));
    cr_assert_null(s_find(&seen, "G", "1"));
    //  set 1: B 72.00 + H 20.00 - F 72.00 = 20.00; set 2: D 50.00
    cr_assert_eq(chk.bpr_total, 2000 + 5000);
    cr_assert_eq(chk.plb_total, 0);
    cr_assert(strstr(out.data, "LQ*HE*N130~"));
    cr_assert(strstr(out.data, "MOA***M54~"));
    cr_assert(strstr(out.data, "N1*PR*ACME HEALTH~"));
    cr_assert(strstr(out.data, "TRN*1*CQ202603090001*1991234567~"));
    cr_assert(strstr(out.data, "GS*HP*ACME*1234567893*20260309*0800*1*X*"
                               "005010X221A1~"));
    cq_buf_free(&out);
}

Test(x12_835, negative_total_becomes_a_forwarding_balance)
{
    s_build();
    //  only the void of B: the provider owes 72.00
    cq_claim_t c[1] = {s_c[5]};
    cq_decision_t *d = cq_xmalloc(sizeof *d);
    *d = s_d[5];
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cq_x12_835_opts_t o;
    memset(&o, 0, sizeof o);
    o.env.date = cq_date_from_ymd(2026, 3, 9);
    cr_assert_eq(cq_x12_835_write(c, d, 1, &o, &out), 0);
    cq_x12_835_check_t chk;
    cr_assert_eq(cq_x12_835_check(out.data, out.len, NULL, NULL, &chk, NULL),
                 1);
    cr_assert_eq(chk.unbalanced, 0, "%s", chk.problem);
    cr_assert_eq(chk.bpr_total, 0);
    cr_assert_eq(chk.plb_total, -7200);
    cr_assert(strstr(out.data, "BPR*H*0*C*NON"));
    cr_assert(strstr(out.data, "PLB*1234567893*20261231*FB:"));
    cq_buf_free(&out);
    free(d);
}

Test(x12_835, checker_finds_imbalance)
{
    s_build();
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cr_assert_eq(cq_x12_835_write(s_c, s_d, 2, NULL, &out), 0);
    //  B pays 72: claim it paid 73
    char *p = strstr(out.data, "CLP*B*1*200*72*");
    cr_assert_not_null(p);
    p[13] = '3';
    cq_x12_835_check_t chk;
    cr_assert_eq(cq_x12_835_check(out.data, out.len, NULL, NULL, &chk, NULL),
                 2);
    cr_assert_eq(chk.unbalanced, 2); // the claim and the BPR
    cr_assert(strstr(chk.problem, "claim B: CLP03 200.00 - CLP04 73.00"), "%s",
              chk.problem);
    //  not an 835
    cq_diag_t d = {0};
    cr_assert_eq(cq_x12_835_check("nonsense", 8, NULL, NULL, &chk, &d),
                 CQ_EPROTO);
    cq_buf_free(&out);
}

Test(x12_835, delimiters_in_values)
{
    s_build();
    cq_claim_t c[2] = {s_c[0], s_c[1]};
    cq_strlcpy(c[0].member.last_name, "O*BRIEN", sizeof c[0].member.last_name);
    cq_strlcpy(c[1].claim_id, "B~1", sizeof c[1].claim_id);
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cq_diag_t diag = {0};
    cq_x12_835_opts_t o;
    memset(&o, 0, sizeof o);
    o.env.diag = &diag;
    //  a name is cleaned, a claim id cannot be: that claim is left out
    cr_assert_eq(cq_x12_835_write(c, s_d, 2, &o, &out), CQ_EINVAL);
    cr_assert(strstr(out.data, "NM1*QC*1*O BRIEN*JANE"));
    cr_assert(strstr(diag.msg, "claim 2"), "%s", diag.msg);
    cq_x12_835_check_t chk;
    cr_assert_eq(cq_x12_835_check(out.data, out.len, NULL, NULL, &chk, NULL),
                 1);
    cr_assert_eq(chk.unbalanced, 0);
    cq_buf_free(&out);
}

//  The real engine on generated claims (denials, rejects, voids,
//  replacements): every 835 balances.
typedef struct {
    cq_claim_t *c;
    cq_decision_t *d;
    size_t n;
} s_run_t;

static const cq_decision_t *
s_run_original(void *arg, const cq_claim_t *claim)
{
    const s_run_t *r = arg;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->c[i].claim_id, claim->original_claim_id) == 0 &&
            strcmp(r->c[i].billing_npi, claim->billing_npi) == 0 &&
            r->c[i].frequency == '1')
            return &r->d[i];
    return NULL;
}

Test(x12_835, engine_decisions_on_generated_claims_balance, .timeout = 60)
{
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = 1500;
    go.n_members = 300;
    cq_gen_t *g = cq_gen_new(&go);
    cr_assert_not_null(g);
    const char *dir = cq_test_tmpdir();
    char plan[512], members[512];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    FILE *f = fopen(plan, "w");
    cr_assert_eq(cq_gen_write_plan(g, f), 0);
    fclose(f);
    f = fopen(members, "w");
    cr_assert_eq(cq_gen_write_members(g, f), 0);
    fclose(f);
    cq_diag_t diag = {0};
    cq_engine_t *e = cq_engine_new(plan, members, &diag);
    cr_assert_not_null(e, "%s", diag.msg);
    cq_state_t *st = cq_state_new_memory();
    s_run_t run = {cq_xcalloc(go.n_claims, sizeof(cq_claim_t)),
                   cq_xcalloc(go.n_claims, sizeof(cq_decision_t)), go.n_claims};
    size_t voids = 0, rejects = 0, replaced = 0;
    for (size_t i = 0; i < go.n_claims; i++) {
        cq_gen_claim(g, i, &run.c[i]);
        cr_assert_eq(cq_engine_decide(e, st, &run.c[i], cq_gen_today(g),
                                      &run.d[i], NULL),
                     0);
        voids += run.c[i].frequency == '8' &&
                 run.d[i].decision == CQ_DECISION_ACCEPT;
        replaced += run.c[i].frequency == '7' &&
                    run.d[i].decision == CQ_DECISION_ACCEPT;
        rejects += run.d[i].decision == CQ_DECISION_REJECT;
    }
    cr_assert_gt(voids, 0);
    cr_assert_gt(replaced, 0);
    cr_assert_gt(rejects, 0);
    cq_buf_t out;
    cq_buf_init(&out, 64u << 20);
    cq_x12_835_opts_t o;
    memset(&o, 0, sizeof o);
    o.env.date = cq_gen_today(g);
    o.original = s_run_original;
    o.original_arg = &run;
    cr_assert_eq(cq_x12_835_write(run.c, run.d, go.n_claims, &o, &out), 0);
    cq_x12_835_check_t chk;
    int n = cq_x12_835_check(out.data, out.len, NULL, NULL, &chk, NULL);
    cr_assert_gt(n, 0);
    cr_assert_eq(chk.unbalanced, 0, "%s", chk.problem);
    cr_assert_eq(chk.bpr_total, chk.paid_total - chk.plb_total);
    //  and the 835 is itself well formed X12: the 837 parser says it is
    //  an 835 and its envelopes hold
    cq_x12_report_t rep;
    cr_assert_eq(cq_x12_parse(out.data, out.len, NULL, NULL, &rep, NULL),
                 CQ_EUNSUPPORTED);
    cr_assert_str_eq(rep.kind, "835");
    cr_assert_str_eq(rep.interchanges[0].ta1, "000");
    cr_assert_eq(rep.groups[0].n_codes, 1); // "1": not an 837 group
    for (uint32_t i = 0; i < rep.n_sets; i++)
        cr_assert_eq(rep.sets[i].n_codes, 1); // only "1", no count errors
    cq_x12_report_free(&rep);
    cq_buf_free(&out);
    free(run.c);
    free(run.d);
    cq_state_destroy(&st);
    cq_engine_destroy(&e);
    cq_gen_destroy(&g);
}

Test(x12_835, decisions_alone)
{
    //  `claimq results --format 835` may hold decisions only
    s_build();
    cq_buf_t out;
    cq_buf_init(&out, 1u << 20);
    cr_assert_eq(cq_x12_835_write(NULL, s_d, N_MADE, NULL, &out), 0);
    s_seen_t seen = {.n = 0};
    cq_x12_835_check_t chk;
    cr_assert_eq(cq_x12_835_check(out.data, out.len, s_keep, &seen, &chk, NULL),
                 7);
    cr_assert_eq(chk.unbalanced, 0, "%s", chk.problem);
    cr_assert_eq(chk.services, 0);
    const cq_x12_835_claim_t *x = s_find(&seen, "C", "4");
    cr_assert_not_null(x);
    cr_assert_eq(x->cas_claim, 30000);
    x = s_find(&seen, "F", "22");
    cr_assert_eq(x->paid, -7200);
    cq_buf_free(&out);
}
