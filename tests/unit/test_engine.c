//  test_engine.c: the rules engine (FORMATS.md "Adjudication"): one test per
//  rule and per CARC, the worked example byte for byte, voids and
//  replacements, accumulators, rounding, resubmissions. Claims are built in
//  C; expected amounts are worked out by hand in the comments.
#include "decision.h"
#include "engine.h"
#include "log.h"
#include "money.h"
#include "plan.h"
#include "roster.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

//  The FORMATS.md plan, with a few more codes (the worked example does not
//  use them), and an HMO plan: plan year from July, no deductible, 10%
//  coinsurance, a 100.00 out-of-pocket maximum, no out-of-network care.
static const char *s_plan_json =
    "{\"payer_id\": \"ACME\",\n"
    " \"providers\": [{\"npi\": \"1234567893\", \"in_network\": true},\n"
    "               {\"npi\": \"1912301953\", \"in_network\": false}],\n"
    " \"plans\": [{\n"
    "  \"plan_id\": \"GOLD-PPO\", \"plan_year_start\": \"01-01\",\n"
    "  \"timely_filing_days\": 180, \"deductible\": \"500.00\",\n"
    "  \"out_of_pocket_max\": \"3000.00\", \"coinsurance\": \"0.20\",\n"
    "  \"out_of_network\": {\"allowed_factor\": \"0.70\", \"coinsurance\": "
    "\"0.40\"},\n"
    "  \"fee_schedule\": {\"99213\": \"90.00\", \"99214\": \"130.00\", "
    "\"81002\": \"8.00\", \"70553\": \"1200.00\", \"D1110\": \"95.00\", "
    "\"S9999\": \"10.00\", \"97110\": \"33.33\"},\n"
    "  \"copays\": {\"99213\": \"25.00\"},\n"
    "  \"prior_auth_required\": [\"70553\"],\n"
    "  \"frequency_limits\": [{\"procedure\": \"D1110\", \"max\": 2, \"per\": "
    "\"plan_year\"}],\n"
    "  \"excluded\": [\"S9999\"]\n"
    " }, {\n"
    "  \"plan_id\": \"HMO\", \"plan_year_start\": \"07-01\",\n"
    "  \"timely_filing_days\": 90, \"deductible\": \"0.00\",\n"
    "  \"out_of_pocket_max\": \"100.00\", \"coinsurance\": \"0.10\",\n"
    "  \"out_of_network\": null,\n"
    "  \"fee_schedule\": {\"99213\": \"80.00\", \"97110\": \"12.25\"}\n"
    " }]}\n";

static const char *s_roster_jsonl =
    "{\"member_id\": \"W100000001\", \"payer_id\": \"ACME\", \"plan_id\": "
    "\"GOLD-PPO\", \"last_name\": \"DOE\", \"first_name\": \"JANE\", "
    "\"birth_date\": \"1980-04-12\", \"sex\": \"F\", \"coverage_start\": "
    "\"2026-01-01\", \"coverage_end\": \"2026-12-31\"}\n"
    "{\"member_id\": \"W100000001\", \"payer_id\": \"ACME\", \"plan_id\": "
    "\"GOLD-PPO\", \"last_name\": \"DOE\", \"birth_date\": \"1980-04-12\", "
    "\"coverage_start\": \"2027-01-01\", \"coverage_end\": null}\n"
    "{\"member_id\": \"W2\", \"payer_id\": \"ACME\", \"plan_id\": \"HMO\", "
    "\"last_name\": \"ROE\", \"birth_date\": \"1990-01-01\", "
    "\"coverage_start\": \"2025-07-01\"}\n"
    "{\"member_id\": \"W3\", \"payer_id\": \"ACME\", \"plan_id\": \"NOPE\", "
    "\"last_name\": \"POE\", \"birth_date\": \"1970-01-01\", "
    "\"coverage_start\": \"2026-01-01\"}\n"
    "{\"member_id\": \"W4\", \"payer_id\": \"ACME\", \"plan_id\": "
    "\"GOLD-PPO\", \"last_name\": \"LOW\", \"birth_date\": \"1970-01-01\", "
    "\"coverage_start\": \"2026-03-01\", \"coverage_end\": \"2026-06-30\"}\n";

static cq_engine_t *s_eng;
static cq_state_t *s_st;
static cq_decision_t s_d; // the last decision

static void
s_setup(void)
{
    cq_log_set_level(CQ_LOG_ERROR); // the NOPE plan's warning is expected
    cq_diag_t diag = {0};
    cq_plan_rules_t *rules =
        cq_plan_parse(s_plan_json, strlen(s_plan_json), "plan.json", &diag);
    cr_assert_not_null(rules, "%s", diag.msg);
    cq_roster_t *roster = cq_roster_parse(
        s_roster_jsonl, strlen(s_roster_jsonl), "members.jsonl", &diag);
    cr_assert_not_null(roster, "%s", diag.msg);
    s_eng = cq_engine_new_from(&rules, &roster);
    cr_assert_null(rules);
    cr_assert_null(roster);
    s_st = cq_state_new_memory();
}

static void
s_teardown(void)
{
    cq_state_destroy(&s_st);
    cq_engine_destroy(&s_eng);
}

TestSuite(engine, .init = s_setup, .fini = s_teardown);

static int32_t
s_day(const char *iso)
{
    int32_t d = 0;
    cr_assert_eq(cq_date_parse(iso, strlen(iso), &d), 0, "%s", iso);
    return d;
}

static int64_t
s_cents(const char *s)
{
    int64_t c = 0;
    cr_assert_eq(cq_money_parse(s, strlen(s), &c), 0, "%s", s);
    return c;
}

//  Appends a service line (1 unit).
static cq_line_t *
s_line(cq_claim_t *c, const char *proc, const char *charge, const char *date)
{
    cr_assert_lt(c->n_lines, CQ_MAX_LINES);
    cq_line_t *l = &c->lines[c->n_lines++];
    memset(l, 0, sizeof *l);
    cq_strlcpy(l->procedure, proc, sizeof l->procedure);
    l->service_date = s_day(date);
    l->service_date_end = CQ_DATE_NONE;
    cq_strlcpy(l->place_of_service, "11", sizeof l->place_of_service);
    l->units_milli = 1000;
    l->charge = s_cents(charge);
    l->dx_pointers[0] = 1;
    l->n_pointers = 1;
    c->total_charge += l->charge;
    return l;
}

//  A claim of member W100000001 (the FORMATS.md claim without its lines).
static void
s_claim(cq_claim_t *c, const char *claim_id)
{
    cq_claim_init(c);
    cq_strlcpy(c->claim_id, claim_id, sizeof c->claim_id);
    cq_strlcpy(c->payer_id, "ACME", sizeof c->payer_id);
    c->type = CQ_CLAIM_PROFESSIONAL;
    c->frequency = '1';
    c->received_date = s_day("2026-03-02");
    cq_strlcpy(c->member.id, "W100000001", sizeof c->member.id);
    cq_strlcpy(c->member.last_name, "DOE", sizeof c->member.last_name);
    cq_strlcpy(c->member.first_name, "JANE", sizeof c->member.first_name);
    c->member.birth_date = s_day("1980-04-12");
    c->member.sex = 'F';
    cq_strlcpy(c->billing_npi, "1234567893", sizeof c->billing_npi);
    cq_strlcpy(c->billing_tax_id, "123456789", sizeof c->billing_tax_id);
    cq_strlcpy(c->billing_name, "NORTH CLINIC", sizeof c->billing_name);
    cq_strlcpy(c->diagnoses[0], "E11.9", sizeof c->diagnoses[0]);
    cq_strlcpy(c->diagnoses[1], "I10", sizeof c->diagnoses[1]);
    c->n_diagnoses = 2;
    c->source = CQ_SOURCE_JSON;
}

//  The FORMATS.md claim, exactly.
static void
s_example(cq_claim_t *c)
{
    s_claim(c, "PCN-000123");
    s_line(c, "99213", "150.00", "2026-02-20");
    cq_line_t *l = s_line(c, "81002", "100.00", "2026-02-20");
    l->dx_pointers[1] = 2;
    l->n_pointers = 2;
}

static void
s_member(cq_claim_t *c, const char *id, const char *last, const char *dob)
{
    cq_strlcpy(c->member.id, id, sizeof c->member.id);
    cq_strlcpy(c->member.last_name, last, sizeof c->member.last_name);
    c->member.birth_date = s_day(dob);
}

//  What every decision must satisfy: billed = sum of line charges (or of
//  the decision's lines), billed - paid = sum of adjustments (the 835
//  balancing rule), patient_responsibility = sum of PR adjustments, and a
//  reject or pend has a reason.
static void
s_check_invariants(const cq_decision_t *d)
{
    int64_t adj = 0, pr = 0, billed = 0, allowed = 0, paid = 0;
    for (size_t i = 0; i < d->n_adj; i++) {
        adj += d->adj[i].amount;
        if (strcmp(d->adj[i].group, "PR") == 0)
            pr += d->adj[i].amount;
    }
    for (size_t i = 0; i < d->n_lines; i++) {
        billed += d->lines[i].billed;
        allowed += d->lines[i].allowed;
        paid += d->lines[i].paid;
    }
    cr_assert_eq(billed, d->billed, "billed = sum of line charges");
    cr_assert_eq(allowed, d->allowed);
    cr_assert_eq(paid, d->paid);
    cr_assert_eq(pr, d->patient_resp, "patient_responsibility = sum of PR");
    if (d->decision != CQ_DECISION_PEND)
        cr_assert_eq(d->billed - d->paid, adj,
                     "billed - paid = sum of adjustments");
    if (d->decision != CQ_DECISION_ACCEPT)
        cr_assert_gt(d->n_reasons, 0, "a %s needs a reason",
                     cq_outcome_name(d->decision));
    cr_assert_str_eq(d->rules_version, cq_engine_rules_version(s_eng));
}

static cq_decision_t *
s_decide(const cq_claim_t *c)
{
    bool replayed = true;
    int rc = cq_engine_decide(s_eng, s_st, c, CQ_DATE_NONE, &s_d, &replayed);
    cr_assert_eq(rc, 0, "decide: %s", cq_strerror(rc));
    cr_assert_not(replayed);
    s_check_invariants(&s_d);
    return &s_d;
}

static void
s_assert_adj(const cq_decision_t *d, size_t i, int line, const char *group,
             const char *code, const char *amount)
{
    cr_assert_lt(i, d->n_adj, "adjustment %zu missing (have %u)", i,
                 (unsigned)d->n_adj);
    const cq_adjustment_t *a = &d->adj[i];
    char got[CQ_MONEY_STRLEN];
    cr_assert(a->line == line && strcmp(a->group, group) == 0 &&
                  strcmp(a->code, code) == 0 && a->amount == s_cents(amount),
              "adjustment %zu: want %d %s-%s %s, got %d %s-%s %s", i, line,
              group, code, amount, a->line, a->group, a->code,
              cq_money_format(a->amount, got));
}

static void
s_assert_reason(const cq_decision_t *d, size_t i, int line, const char *group,
                const char *carc, const char *rarc, const char *in_message)
{
    cr_assert_lt(i, d->n_reasons, "reason %zu missing", i);
    const cq_reason_t *r = &d->reasons[i];
    cr_assert_eq(r->line, line, "reason %zu line", i);
    cr_assert_str_eq(r->group, group);
    cr_assert_str_eq(r->carc, carc);
    cr_assert_str_eq(r->rarc, rarc);
    cr_assert(strstr(r->message, in_message) != NULL,
              "reason message \"%s\" lacks \"%s\"", r->message, in_message);
}

//  Decides c and asserts its outcome and its first reason (i 0): line,
//  group, CARC, RARC and a part of the message.
static cq_decision_t *
s_expect(const cq_claim_t *c, cq_outcome_t want, int line, const char *group,
         const char *carc, const char *rarc, const char *part)
{
    cq_decision_t *d = s_decide(c);
    cr_assert_eq(d->decision, want, "%s: decision %d, expected %d", c->claim_id,
                 d->decision, want);
    s_assert_reason(d, 0, line, group, carc, rarc, part);
    return d;
}

static void
s_assert_money(int64_t got, const char *want, const char *what)
{
    char g[CQ_MONEY_STRLEN];
    cr_assert_eq(got, s_cents(want), "%s: want %s, got %s", what, want,
                 cq_money_format(got, g));
}

//  ---- FORMATS.md worked example -------------------------------------------

//  99213: allowed min(150, 90) = 90, CO-45 60; copay 25; deductible
//  min(65, 500, 2975) = 65; coinsurance 0.20 x 0 = 0; paid 0.
//  81002: allowed min(100, 8) = 8, CO-45 92; deductible min(8, 435) = 8.
Test(engine, worked_example_amounts)
{
    cq_claim_t c;
    s_example(&c);
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_money(d->billed, "250.00", "billed");
    s_assert_money(d->allowed, "98.00", "allowed");
    s_assert_money(d->paid, "0.00", "paid");
    s_assert_money(d->patient_resp, "98.00", "patient_responsibility");
    cr_assert_eq(d->n_adj, 5);
    s_assert_adj(d, 0, 1, "CO", "45", "60.00");
    s_assert_adj(d, 1, 1, "PR", "3", "25.00");
    s_assert_adj(d, 2, 1, "PR", "1", "65.00");
    s_assert_adj(d, 3, 2, "CO", "45", "92.00");
    s_assert_adj(d, 4, 2, "PR", "1", "8.00");
    cr_assert_eq(d->n_reasons, 0);
    cr_assert_eq(d->n_lines, 2);
    cr_assert_eq(d->lines[0].billed, 15000);
    cr_assert_eq(d->lines[0].allowed, 9000);
    cr_assert_eq(d->lines[1].allowed, 800);
    cr_assert_not(d->lines[0].denied);
    cr_assert_eq(d->ledger_seq, 1);
}

//  The decision line of FORMATS.md, byte for byte: batch b-20260302-0001,
//  node w1, ledger_seq 17 (16 decisions before it), source x12; only the
//  rules version ("sha256:…" there) is this plan file's.
Test(engine, worked_example_json_is_exact)
{
    cq_claim_t c;
    for (int i = 1; i <= 16; i++) {
        char id[16];
        snprintf(id, sizeof id, "OTHER-%d", i);
        s_claim(&c, id);
        s_member(&c, "W999", "NOBODY", "1970-01-01");
        s_line(&c, "99213", "1.00", "2026-02-20");
        s_decide(&c);
    }
    s_example(&c);
    c.source = CQ_SOURCE_X12;
    cq_decide_opts_t opts = {"b-20260302-0001", "w1"};
    bool replayed;
    cr_assert_eq(cq_engine_decide_with(s_eng, s_st, &c, CQ_DATE_NONE, &opts,
                                       &s_d, &replayed),
                 0);
    cq_buf_t b;
    cq_buf_init(&b, 1 << 16);
    cr_assert_eq(cq_decision_to_json(&s_d, &b), 0);
    //  FORMATS.md shows the object over several lines; a decision line is
    //  the same object on one line
    char want[2048];
    snprintf(want, sizeof want,
             "{\"claim_id\": \"PCN-000123\", \"payer_id\": \"ACME\", "
             "\"batch_id\": \"b-20260302-0001\", \"decision\": \"accept\", "
             "\"billed\": \"250.00\", \"allowed\": \"98.00\", \"paid\": "
             "\"0.00\", \"patient_responsibility\": \"98.00\", "
             "\"adjustments\": [{\"line\": 1, \"group\": \"CO\", \"code\": "
             "\"45\", \"amount\": \"60.00\"}, {\"line\": 1, \"group\": "
             "\"PR\", \"code\": \"3\", \"amount\": \"25.00\"}, {\"line\": 1, "
             "\"group\": \"PR\", \"code\": \"1\", \"amount\": \"65.00\"}, "
             "{\"line\": 2, \"group\": \"CO\", \"code\": \"45\", "
             "\"amount\": \"92.00\"}, {\"line\": 2, \"group\": \"PR\", "
             "\"code\": \"1\", \"amount\": \"8.00\"}], \"reasons\": [], "
             "\"node\": \"w1\", \"ledger_seq\": 17, \"rules_version\": "
             "\"%s\", \"source\": \"x12\"}",
             cq_engine_rules_version(s_eng));
    cr_assert_str_eq(b.data, want);
    cq_buf_free(&b);
}

//  ---- 1. member ------------------------------------------------------------

Test(engine, co31_unknown_member)
{
    cq_claim_t c;
    s_example(&c);
    s_member(&c, "W999999999", "DOE", "1980-04-12");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_REJECT);
    cr_assert_eq(d->n_reasons, 1);
    s_assert_reason(d, 0, 0, "CO", "31", "", "member.id");
    cr_assert_eq(d->n_adj, 1);
    s_assert_adj(d, 0, 0, "CO", "31", "250.00");
    cr_assert(d->lines[0].denied && d->lines[1].denied);
    cr_assert_eq(d->allowed, 0);
    cr_assert(strstr(d->reasons[0].message, "W999999999") == NULL,
              "no member id in messages");
}

Test(engine, co140_last_name_or_birth_date_mismatch)
{
    cq_claim_t c;
    s_example(&c);
    cq_strlcpy(c.member.last_name, "DOUGH", sizeof c.member.last_name);
    cq_decision_t *d =
        s_expect(&c, CQ_DECISION_REJECT, 0, "CO", "140", "", "does not match");
    cr_assert(strstr(d->reasons[0].message, "DOUGH") == NULL);

    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-2", sizeof c.claim_id);
    c.member.birth_date = s_day("1980-04-13");
    d = s_expect(&c, CQ_DECISION_REJECT, 0, "CO", "140", "", "does not match");

    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-3", sizeof c.claim_id);
    c.member.birth_date = CQ_DATE_NONE;
    d = s_decide(&c);
    s_assert_reason(d, 0, 0, "CO", "140", "", "does not match");
}

Test(engine, last_name_is_compared_case_insensitively)
{
    cq_claim_t c;
    s_example(&c);
    cq_strlcpy(c.member.last_name, " doe ", sizeof c.member.last_name);
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);
}

//  ---- 2. eligibility -------------------------------------------------------

//  W4 is covered 2026-03-01 .. 2026-06-30.
Test(engine, co26_co27_per_line)
{
    cq_claim_t c;
    s_claim(&c, "ELIG-1");
    s_member(&c, "W4", "LOW", "1970-01-01");
    c.received_date = s_day("2026-08-01");
    s_line(&c, "99214", "200.00", "2026-02-20"); // before: CO-26
    s_line(&c, "99214", "200.00", "2026-04-01"); // covered
    s_line(&c, "99214", "200.00", "2026-07-15"); // after: CO-27
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT, "one line is covered");
    cr_assert_eq(d->n_reasons, 2);
    s_assert_reason(d, 0, 1, "CO", "26", "N30", "before");
    s_assert_reason(d, 1, 3, "CO", "27", "N30", "after");
    cr_assert(d->lines[0].denied);
    cr_assert_not(d->lines[1].denied);
    cr_assert(d->lines[2].denied);
    //  line 2: allowed 130, deductible 130
    s_assert_adj(d, 0, 1, "CO", "26", "200.00");
    s_assert_adj(d, 1, 2, "CO", "45", "70.00");
    s_assert_adj(d, 2, 2, "PR", "1", "130.00");
    s_assert_adj(d, 3, 3, "CO", "27", "200.00");
    s_assert_money(d->allowed, "130.00", "allowed");
}

Test(engine, every_line_ineligible_is_a_reject)
{
    cq_claim_t c;
    s_claim(&c, "ELIG-2");
    s_member(&c, "W4", "LOW", "1970-01-01");
    s_line(&c, "99214", "200.00", "2026-02-20");
    s_expect(&c, CQ_DECISION_REJECT, 1, "CO", "26", "N30", "");
}

Test(engine, second_coverage_period_counts)
{
    cq_claim_t c;
    s_claim(&c, "ELIG-3");
    c.received_date = s_day("2027-02-01");
    s_line(&c, "99214", "130.00", "2027-01-15");
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);
}

//  ---- 3. timely filing ------------------------------------------------------

Test(engine, co29_timely_filing)
{
    cq_claim_t c;
    s_example(&c);
    //  2026-02-20 + 180 days = 2026-08-19: still in time
    c.received_date = s_day("2026-08-19");
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);

    s_claim(&c, "LATE-1");
    s_line(&c, "99214", "130.00", "2026-02-20");
    c.received_date = s_day("2026-08-20"); // 181 days
    cq_decision_t *d =
        s_expect(&c, CQ_DECISION_REJECT, 0, "CO", "29", "", "181 days");
    s_assert_adj(d, 0, 0, "CO", "29", "130.00");
}

Test(engine, received_default_applies_when_the_claim_has_none)
{
    cq_claim_t c;
    s_claim(&c, "LATE-2");
    s_line(&c, "99214", "130.00", "2026-02-20");
    c.received_date = CQ_DATE_NONE;
    bool replayed;
    cr_assert_eq(
        cq_engine_decide(s_eng, s_st, &c, s_day("2026-12-01"), &s_d, &replayed),
        0);
    s_assert_reason(&s_d, 0, 0, "CO", "29", "", "days");

    s_claim(&c, "LATE-3");
    s_line(&c, "99214", "130.00", "2026-02-20");
    c.received_date = CQ_DATE_NONE;
    cr_assert_eq(
        cq_engine_decide(s_eng, s_st, &c, s_day("2026-03-01"), &s_d, &replayed),
        0);
    cr_assert_eq(s_d.decision, CQ_DECISION_ACCEPT);
}

//  ---- 4. duplicates
//  ----------------------------------------------------------

Test(engine, oa18_exact_duplicate_of_another_claim)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-000124", sizeof c.claim_id);
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_REJECT);
    cr_assert_eq(d->n_reasons, 2);
    s_assert_reason(d, 0, 1, "OA", "18", "", "PCN-000123");
    s_assert_reason(d, 1, 2, "OA", "18", "", "PCN-000123");
    s_assert_adj(d, 0, 1, "OA", "18", "150.00");
    s_assert_adj(d, 1, 2, "OA", "18", "100.00");
}

Test(engine, duplicate_line_next_to_a_new_line)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_claim(&c, "PCN-9");
    s_line(&c, "99213", "150.00", "2026-02-20"); // duplicate
    s_line(&c, "99214", "130.00", "2026-02-21"); // new
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    cr_assert_eq(d->n_reasons, 1);
    s_assert_reason(d, 0, 1, "OA", "18", "", "PCN-000123");
    cr_assert(d->lines[0].denied);
    cr_assert_not(d->lines[1].denied);
}

Test(engine, same_lines_twice_in_one_claim_are_not_duplicates)
{
    cq_claim_t c;
    s_claim(&c, "TWICE");
    s_line(&c, "99214", "130.00", "2026-02-20");
    s_line(&c, "99214", "130.00", "2026-02-20");
    cr_assert_eq(s_decide(&c)->n_reasons, 0);
}

Test(engine, different_modifiers_are_not_duplicates)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-MOD", sizeof c.claim_id);
    cq_strlcpy(c.lines[0].modifiers[0], "76", 3);
    c.lines[0].n_modifiers = 1;
    cq_strlcpy(c.lines[1].modifiers[0], "91", 3);
    c.lines[1].n_modifiers = 1;
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);
}

Test(engine, suspect_duplicate_pends)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-SUS", sizeof c.claim_id);
    c.lines[0].charge = s_cents("151.00"); // another charge
    c.lines[1].charge = s_cents("99.00");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_PEND);
    cr_assert_eq(d->n_reasons, 2);
    s_assert_reason(d, 0, 1, "OA", "133", "", "possible duplicate");
    cr_assert_eq(d->n_adj, 0);
    cr_assert_eq(d->paid, 0);
}

//  ---- resubmission
//  -------------------------------------------------------------

Test(engine, resubmission_returns_the_same_decision)
{
    cq_claim_t c;
    s_example(&c);
    cq_decide_opts_t opts = {"b-1", "w1"};
    cq_decision_t first;
    bool replayed = true;
    cr_assert_eq(cq_engine_decide_with(s_eng, s_st, &c, CQ_DATE_NONE, &opts,
                                       &first, &replayed),
                 0);
    cr_assert_not(replayed);
    //  the same key again, even with other content and another batch
    c.lines[0].charge = s_cents("1.00");
    cq_decide_opts_t opts2 = {"b-2", "w2"};
    cr_assert_eq(cq_engine_decide_with(s_eng, s_st, &c, CQ_DATE_NONE, &opts2,
                                       &s_d, &replayed),
                 0);
    cr_assert(replayed);
    cq_buf_t a, b;
    cq_buf_init(&a, 1 << 16);
    cq_buf_init(&b, 1 << 16);
    cq_decision_to_json(&first, &a);
    cq_decision_to_json(&s_d, &b);
    cr_assert_str_eq(b.data, a.data);
    cr_assert_eq(s_d.ledger_seq, first.ledger_seq);
    cr_assert_eq(s_d.n_lines, 2);
    cr_assert_eq(s_d.lines[1].allowed, 800);
    cr_assert_str_eq(s_d.billing_npi, "1234567893");
    cr_assert_eq(s_d.frequency, '1');
    cq_buf_free(&a);
    cq_buf_free(&b);
    //  and it changed no accumulator: a new claim still finds 427.00 of
    //  deductible left (500 - 73)
    s_claim(&c, "AFTER");
    s_line(&c, "99214", "1000.00", "2026-02-22");
    c.lines[0].units_milli = 4000; // 520.00
    cq_decision_t *d = s_decide(&c);
    s_assert_adj(d, 1, 1, "PR", "1", "427.00");
    cr_assert_eq(d->ledger_seq, 2, "a replay takes no sequence number");
}

Test(engine, rejected_claim_is_replayed_too)
{
    cq_claim_t c;
    s_example(&c);
    s_member(&c, "W999", "X", "1970-01-01");
    s_decide(&c);
    s_example(&c); // fixed member, same key
    bool replayed;
    cr_assert_eq(
        cq_engine_decide(s_eng, s_st, &c, CQ_DATE_NONE, &s_d, &replayed), 0);
    cr_assert(replayed);
    cr_assert_eq(s_d.decision, CQ_DECISION_REJECT);
}

//  ---- 5. coverage ---------------------------------------------------------

Test(engine, co96_not_in_fee_schedule_or_excluded)
{
    cq_claim_t c;
    s_claim(&c, "COV-1");
    s_line(&c, "12345", "50.00", "2026-02-20");
    s_line(&c, "S9999", "10.00", "2026-02-20");
    cq_decision_t *d = s_expect(&c, CQ_DECISION_REJECT, 1, "CO", "96", "N130",
                                "not in the fee schedule");
    s_assert_reason(d, 1, 2, "CO", "96", "N130", "excluded");
    s_assert_adj(d, 0, 1, "CO", "96", "50.00");
    s_assert_adj(d, 1, 2, "CO", "96", "10.00");
}

Test(engine, co197_prior_auth_missing)
{
    cq_claim_t c;
    s_claim(&c, "PA-1");
    s_line(&c, "70553", "1500.00", "2026-02-20");
    cq_decision_t *d = s_expect(&c, CQ_DECISION_REJECT, 1, "CO", "197", "",
                                "prior authorization");

    s_claim(&c, "PA-2");
    s_line(&c, "70553", "1500.00", "2026-02-20");
    cq_strlcpy(c.prior_auth, "AUTH-77", sizeof c.prior_auth);
    d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_money(d->allowed, "1200.00", "allowed");
}

Test(engine, co119_frequency_limit_per_plan_year)
{
    cq_claim_t c;
    const char *dates[] = {"2026-02-01", "2026-02-10", "2026-02-20"};
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "DENT-%d", i);
        s_claim(&c, id);
        s_line(&c, "D1110", "120.00", dates[i]);
        cq_decision_t *d = s_decide(&c);
        if (i < 2) {
            cr_assert_eq(d->decision, CQ_DECISION_ACCEPT, "cleaning %d", i);
        } else {
            cr_assert_eq(d->decision, CQ_DECISION_REJECT);
            s_assert_reason(d, 0, 1, "CO", "119", "", "2 per plan year");
        }
    }
    //  the next plan year starts over
    s_claim(&c, "DENT-2027");
    c.received_date = s_day("2027-02-01");
    s_line(&c, "D1110", "120.00", "2027-01-20");
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);
}

Test(engine, co119_counts_earlier_lines_of_the_same_claim)
{
    cq_claim_t c;
    s_claim(&c, "DENT-A");
    s_line(&c, "D1110", "120.00", "2026-01-10");
    s_decide(&c);
    s_claim(&c, "DENT-B");
    s_line(&c, "D1110", "120.00", "2026-02-10");
    s_line(&c, "D1110", "120.00", "2026-02-11");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    cr_assert_not(d->lines[0].denied);
    cr_assert(d->lines[1].denied);
    s_assert_reason(d, 0, 2, "CO", "119", "", "D1110");
}

//  ---- 6. pricing ------------------------------------------------------------

Test(engine, co45_with_units)
{
    cq_claim_t c;
    s_claim(&c, "UNITS");
    cq_line_t *l = s_line(&c, "99214", "500.00", "2026-02-20");
    l->units_milli = 3000; // 3 x 130 = 390
    cq_decision_t *d = s_decide(&c);
    s_assert_money(d->allowed, "390.00", "allowed");
    s_assert_adj(d, 0, 1, "CO", "45", "110.00");
    //  a charge under the fee: allowed = charge, no CO-45
    s_claim(&c, "UNDER");
    s_line(&c, "99214", "100.00", "2026-02-21");
    d = s_decide(&c);
    s_assert_money(d->allowed, "100.00", "allowed");
    cr_assert_str_eq(d->adj[0].group, "PR");
}

Test(engine, out_of_network_uses_the_factor_and_its_coinsurance)
{
    cq_claim_t c;
    //  use the deductible up first: 4 x 130 = 520 -> deductible 500,
    //  coinsurance 0.20 x 20 = 4.00
    s_claim(&c, "IN-1");
    cq_line_t *l = s_line(&c, "99214", "600.00", "2026-02-01");
    l->units_milli = 4000;
    s_decide(&c);
    //  out of network: allowed = min(200, 130 x 0.70 = 91) = 91, CO-45 109,
    //  coinsurance 0.40 x 91 = 36.40, paid 54.60
    s_claim(&c, "OON-1");
    cq_strlcpy(c.billing_npi, "1912301953", sizeof c.billing_npi);
    s_line(&c, "99214", "200.00", "2026-02-20");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_money(d->allowed, "91.00", "allowed");
    s_assert_adj(d, 0, 1, "CO", "45", "109.00");
    s_assert_adj(d, 1, 1, "PR", "2", "36.40");
    s_assert_money(d->paid, "54.60", "paid");
    //  a provider the plan does not list is out of network as well
    s_claim(&c, "OON-2");
    cq_strlcpy(c.billing_npi, "1111111112", sizeof c.billing_npi);
    s_line(&c, "99214", "200.00", "2026-02-21");
    s_assert_money(s_decide(&c)->allowed, "91.00", "allowed");
}

Test(engine, co242_out_of_network_not_covered)
{
    cq_claim_t c;
    s_claim(&c, "HMO-OON");
    s_member(&c, "W2", "ROE", "1990-01-01");
    cq_strlcpy(c.billing_npi, "1912301953", sizeof c.billing_npi);
    s_line(&c, "99213", "100.00", "2026-02-20");
    cq_decision_t *d =
        s_expect(&c, CQ_DECISION_REJECT, 1, "CO", "242", "", "out of network");
    s_assert_adj(d, 0, 1, "CO", "242", "100.00");
}

//  ---- 7. cost share
//  ------------------------------------------------------------

Test(engine, deductible_and_coinsurance_accumulate_across_claims)
{
    cq_claim_t c;
    s_example(&c); // deductible used 73.00
    s_decide(&c);
    s_claim(&c, "ACC-2");
    s_line(&c, "99214", "200.00", "2026-02-21");
    cq_decision_t *d = s_decide(&c); // deductible 130 (203 used)
    s_assert_adj(d, 1, 1, "PR", "1", "130.00");
    cr_assert_eq(d->n_adj, 2);
    //  3 x 130 = 390: deductible 297 (the rest), coinsurance 0.20 x 93 =
    //  18.60, paid 74.40
    s_claim(&c, "ACC-3");
    cq_line_t *l = s_line(&c, "99214", "400.00", "2026-02-22");
    l->units_milli = 3000;
    d = s_decide(&c);
    s_assert_adj(d, 0, 1, "CO", "45", "10.00");
    s_assert_adj(d, 1, 1, "PR", "1", "297.00");
    s_assert_adj(d, 2, 1, "PR", "2", "18.60");
    s_assert_money(d->paid, "74.40", "paid");
    s_assert_money(d->patient_resp, "315.60", "patient_responsibility");
}

Test(engine, lines_in_order_share_the_accumulator)
{
    //  line 1: 4 x 130 = 520: deductible 500, coinsurance 4.00;
    //  line 2: 130: no deductible left, coinsurance 26.00
    cq_claim_t c;
    s_claim(&c, "ORDER");
    cq_line_t *l = s_line(&c, "99214", "520.00", "2026-02-20");
    l->units_milli = 4000;
    s_line(&c, "99214", "130.00", "2026-02-21");
    cq_decision_t *d = s_decide(&c);
    s_assert_adj(d, 0, 1, "PR", "1", "500.00");
    s_assert_adj(d, 1, 1, "PR", "2", "4.00");
    s_assert_adj(d, 2, 2, "PR", "2", "26.00");
    cr_assert_eq(d->n_adj, 3);
}

Test(engine, coinsurance_rounds_half_up)
{
    cq_claim_t c;
    //  HMO, 97110 fee 12.25, coinsurance 0.10: 1.225 -> 1.23 (half-up;
    //  truncating or banker's rounding would give 1.22)
    s_claim(&c, "ROUND-1");
    s_member(&c, "W2", "ROE", "1990-01-01");
    s_line(&c, "97110", "20.00", "2026-02-20");
    cq_decision_t *d = s_decide(&c);
    s_assert_adj(d, 1, 1, "PR", "2", "1.23");
    s_assert_money(d->paid, "11.02", "paid");
    //  GOLD-PPO after the deductible: 0.20 x 33.33 = 6.666 -> 6.67
    s_claim(&c, "ROUND-2");
    cq_line_t *l = s_line(&c, "99214", "520.00", "2026-02-01");
    l->units_milli = 4000;
    s_decide(&c);
    s_claim(&c, "ROUND-3");
    s_line(&c, "97110", "40.00", "2026-02-20");
    d = s_decide(&c);
    s_assert_adj(d, 1, 1, "PR", "2", "6.67");
    s_assert_money(d->paid, "26.66", "paid");
}

Test(engine, out_of_pocket_maximum_caps_cost_share)
{
    cq_claim_t c;
    //  HMO: 20 x 80 = 1600 allowed, coinsurance 160.00 capped at the 100.00
    //  maximum: paid 1500
    s_claim(&c, "OOP-1");
    s_member(&c, "W2", "ROE", "1990-01-01");
    cq_line_t *l = s_line(&c, "99213", "2000.00", "2026-02-20");
    l->units_milli = 20000;
    cq_decision_t *d = s_decide(&c);
    s_assert_adj(d, 1, 1, "PR", "2", "100.00");
    s_assert_money(d->paid, "1500.00", "paid");
    //  maximum reached: the plan pays everything
    s_claim(&c, "OOP-2");
    s_member(&c, "W2", "ROE", "1990-01-01");
    s_line(&c, "99213", "80.00", "2026-02-21");
    d = s_decide(&c);
    cr_assert_eq(d->n_adj, 0);
    s_assert_money(d->paid, "80.00", "paid");
    //  the HMO plan year starts on 07-01: a fresh maximum
    s_claim(&c, "OOP-3");
    s_member(&c, "W2", "ROE", "1990-01-01");
    c.received_date = s_day("2026-07-10");
    s_line(&c, "99213", "80.00", "2026-07-02");
    d = s_decide(&c);
    s_assert_adj(d, 0, 1, "PR", "2", "8.00");
}

Test(engine, copay_and_deductible_stop_at_the_maximum)
{
    //  copay = min(copay, allowed, oop_left) and deductible = min(..,
    //  oop_left - copay): bring GOLD-PPO's 3000.00 maximum within 26.00
    //  first, then a 99213 (copay 25.00) meets it.
    cq_claim_t c;
    s_claim(&c, "CAP-1");
    cq_line_t *l = s_line(&c, "99214", "9000.00", "2026-02-01");
    l->units_milli = 50000; // 6500: ded 500, coins 1200 -> 1700 used
    s_decide(&c);
    s_claim(&c, "CAP-2");
    l = s_line(&c, "99214", "9000.00", "2026-02-02");
    l->units_milli = 49000; // 6370: coins 1274 -> 2974 used, 26 left
    cq_decision_t *d = s_decide(&c);
    s_assert_adj(d, 1, 1, "PR", "2", "1274.00");
    //  99213: copay min(25, 90, 26) = 25, coinsurance min(13, 1) = 1.00
    s_claim(&c, "CAP-3");
    s_line(&c, "99213", "90.00", "2026-02-03");
    d = s_decide(&c);
    s_assert_adj(d, 0, 1, "PR", "3", "25.00");
    s_assert_adj(d, 1, 1, "PR", "2", "1.00");
    s_assert_money(d->paid, "64.00", "paid");
    //  maximum reached: no copay either
    s_claim(&c, "CAP-4");
    s_line(&c, "99213", "90.00", "2026-02-04");
    d = s_decide(&c);
    cr_assert_eq(d->n_adj, 0);
    s_assert_money(d->paid, "90.00", "paid");
}

Test(engine, plan_year_resets_the_deductible)
{
    cq_claim_t c;
    s_claim(&c, "PY-1");
    cq_line_t *l = s_line(&c, "99214", "650.00", "2026-12-01");
    l->units_milli = 5000; // 650: deductible 500
    c.received_date = s_day("2027-01-10");
    s_decide(&c);
    s_claim(&c, "PY-2");
    c.received_date = s_day("2027-01-10");
    s_line(&c, "99214", "130.00", "2026-12-02"); // 2026: none left
    s_line(&c, "99214", "130.00", "2027-01-05"); // 2027: all of it
    cq_decision_t *d = s_decide(&c);
    s_assert_adj(d, 0, 1, "PR", "2", "26.00");
    s_assert_adj(d, 1, 2, "PR", "1", "130.00");
}

//  ---- CO-16 and pend
//  ----------------------------------------------------------

Test(engine, co16_invalid_claim_keeps_the_decoder_message)
{
    cq_claim_t c;
    s_example(&c);
    cq_claim_set_invalid(&c, "M79", "lines[2].charge: not a decimal string");
    cq_decision_t *d = s_expect(&c, CQ_DECISION_REJECT, 0, "CO", "16", "M79",
                                "lines[2].charge: not a decimal string");
    s_assert_adj(d, 0, 0, "CO", "16", "250.00");
    //  without a RARC from the decoder: MA130
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-X", sizeof c.claim_id);
    cq_claim_set_invalid(&c, NULL, "member.id: missing");
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "MA130", "member.id");
}

Test(engine, co16_unknown_payer_and_frequency_and_no_lines)
{
    cq_claim_t c;
    s_example(&c);
    cq_strlcpy(c.payer_id, "OTHER", sizeof c.payer_id);
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "MA130", "payer_id");
    s_example(&c);
    c.frequency = '2';
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "MA130", "frequency");
    s_claim(&c, "EMPTY");
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "MA130", "lines");
    s_claim(&c, "NOUNITS");
    s_line(&c, "99213", "1.00", "2026-02-20")->units_milli = 0;
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M53", "lines[1].units");
    s_claim(&c, "NOPROC");
    s_line(&c, "99213", "1.00", "2026-02-20")->procedure[0] = '\0';
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M51",
                    "lines[1].procedure");
    s_claim(&c, "NODATE");
    s_line(&c, "99213", "1.00", "2026-02-20")->service_date = CQ_DATE_NONE;
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M52",
                    "lines[1].service_date");
    s_claim(&c, "NEGATIVE");
    s_line(&c, "99213", "1.00", "2026-02-20")->charge = -100;
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "MA130", "lines[1].charge");
}

Test(engine, co16_member_plan_not_in_the_plan_file)
{
    cq_claim_t c;
    s_claim(&c, "NOPLAN");
    s_member(&c, "W3", "POE", "1970-01-01");
    s_line(&c, "99213", "100.00", "2026-02-20");
    cq_decision_t *d =
        s_expect(&c, CQ_DECISION_REJECT, 1, "CO", "16", "MA130", "plan_id");
    cr_assert(strstr(d->reasons[0].message, "NOPE") != NULL);
}

Test(engine, ocr_pend_fields_pend_the_claim)
{
    cq_claim_t c;
    s_example(&c);
    c.source = CQ_SOURCE_OCR;
    c.ocr_confidence = 41;
    cq_claim_add_pend(&c, "lines[1].charge");
    cq_claim_add_pend(&c, "member.birth_date");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_PEND);
    cr_assert_eq(d->n_reasons, 2);
    s_assert_reason(d, 0, 0, "OA", "133", "", "lines[1].charge");
    s_assert_reason(d, 1, 0, "OA", "133", "", "member.birth_date");
    cr_assert_eq(d->ocr_confidence, 41);
    cr_assert_eq(d->source, CQ_SOURCE_OCR);
    cr_assert_eq(d->n_adj, 0);
    //  a pended claim changes no state: the same lines are no duplicate
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-AFTER-PEND", sizeof c.claim_id);
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);
}

//  ---- 9. voids and replacements ---------------------------------------------

static void
s_void_claim(cq_claim_t *c, const char *id, const char *original)
{
    s_example(c);
    cq_strlcpy(c->claim_id, id, sizeof c->claim_id);
    c->frequency = '8';
    cq_strlcpy(c->original_claim_id, original, sizeof c->original_claim_id);
}

Test(engine, void_reverses_the_original)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_void_claim(&c, "PCN-000123", "PCN-000123");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    cr_assert_eq(d->frequency, '8');
    s_assert_money(d->billed, "-250.00", "billed");
    s_assert_money(d->allowed, "-98.00", "allowed");
    s_assert_money(d->patient_resp, "-98.00", "patient_responsibility");
    s_assert_adj(d, 0, 1, "CO", "45", "-60.00");
    s_assert_adj(d, 4, 2, "PR", "1", "-8.00");
    cr_assert_eq(d->ledger_seq, 2);
    //  the voided lines count no more: the same lines under a new claim id
    //  are no duplicate, and the deductible is all there again
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-NEW", sizeof c.claim_id);
    d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_adj(d, 2, 1, "PR", "1", "65.00");
    //  voiding twice, or voiding a claim never seen: CO-16 M47
    s_void_claim(&c, "PCN-VOID-2", "PCN-000123");
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M47", "already voided");
    s_void_claim(&c, "PCN-VOID-3", "PCN-NEVER");
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M47", "original_claim_id");
}

Test(engine, void_of_a_rejected_claim_is_refused)
{
    cq_claim_t c;
    s_example(&c);
    s_member(&c, "W999", "X", "1970-01-01");
    s_decide(&c);
    s_void_claim(&c, "PCN-V", "PCN-000123");
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M47", "not accepted");
}

Test(engine, void_and_replacement_need_the_original_id)
{
    cq_claim_t c;
    s_void_claim(&c, "PCN-V", "");
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M47",
                    "original_claim_id: required");
}

Test(engine, void_of_another_provider_claim_is_unknown)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_void_claim(&c, "PCN-V", "PCN-000123");
    cq_strlcpy(c.billing_npi, "1912301953", sizeof c.billing_npi);
    s_assert_reason(s_decide(&c), 0, 0, "CO", "16", "M47", "no claim");
}

Test(engine, replacement_reverses_the_original_and_applies_its_own)
{
    cq_claim_t c;
    s_example(&c); // deductible 73 used
    s_decide(&c);
    //  the corrected claim: one 99214 at 200.00, judged as if the original
    //  never was: deductible 130 of a fresh 500
    s_claim(&c, "PCN-000123");
    c.frequency = '7';
    cq_strlcpy(c.original_claim_id, "PCN-000123", sizeof c.original_claim_id);
    s_line(&c, "99214", "200.00", "2026-02-20");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_adj(d, 1, 1, "PR", "1", "130.00");
    //  afterwards 130 is used (not 203): 4 x 130 = 520 -> deductible 370
    s_claim(&c, "NEXT");
    cq_line_t *l = s_line(&c, "99214", "520.00", "2026-02-23");
    l->units_milli = 4000;
    d = s_decide(&c);
    s_assert_adj(d, 0, 1, "PR", "1", "370.00");
    //  the original's lines are gone from the history: no duplicate
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-AGAIN", sizeof c.claim_id);
    d = s_decide(&c);
    cr_assert_eq(d->n_reasons, 0, "%s",
                 d->n_reasons ? d->reasons[0].message : "");
}

Test(engine, replacement_with_the_same_lines_is_no_duplicate)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-000123-R", sizeof c.claim_id);
    c.frequency = '7';
    cq_strlcpy(c.original_claim_id, "PCN-000123", sizeof c.original_claim_id);
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_adj(d, 2, 1, "PR", "1", "65.00");
    //  a replacement of the replacement goes through its own claim id too
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-000123-R2", sizeof c.claim_id);
    c.frequency = '7';
    cq_strlcpy(c.original_claim_id, "PCN-000123-R", sizeof c.original_claim_id);
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);
    //  and a void naming the first id reverses the latest replacement
    s_void_claim(&c, "PCN-V", "PCN-000123");
    d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_money(d->allowed, "-98.00", "allowed");
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-FRESH", sizeof c.claim_id);
    d = s_decide(&c);
    s_assert_adj(d, 2, 1, "PR", "1", "65.00");
}

Test(engine, rejected_replacement_leaves_the_original)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    s_claim(&c, "PCN-000123");
    c.frequency = '7';
    cq_strlcpy(c.original_claim_id, "PCN-000123", sizeof c.original_claim_id);
    s_line(&c, "S9999", "10.00", "2026-02-20"); // excluded
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_REJECT);
    //  the original still holds its 73.00 and its lines
    s_claim(&c, "NEXT");
    cq_line_t *l = s_line(&c, "99214", "520.00", "2026-02-23");
    l->units_milli = 4000;
    s_assert_adj(s_decide(&c), 0, 1, "PR", "1", "427.00");
    s_example(&c);
    cq_strlcpy(c.claim_id, "PCN-DUP", sizeof c.claim_id);
    s_assert_reason(s_decide(&c), 0, 1, "OA", "18", "", "PCN-000123");
}

Test(engine, replacement_of_a_rejected_claim_is_adjudicated)
{
    cq_claim_t c;
    s_claim(&c, "PCN-R");
    s_line(&c, "70553", "1500.00", "2026-02-20"); // no prior auth: reject
    s_decide(&c);
    s_claim(&c, "PCN-R");
    c.frequency = '7';
    cq_strlcpy(c.original_claim_id, "PCN-R", sizeof c.original_claim_id);
    cq_strlcpy(c.prior_auth, "AUTH-1", sizeof c.prior_auth);
    s_line(&c, "70553", "1500.00", "2026-02-20");
    cr_assert_eq(s_decide(&c)->decision, CQ_DECISION_ACCEPT);
}

Test(engine, claims_without_a_usable_id_are_never_replayed)
{
    cq_claim_t c;
    s_example(&c);
    cq_strlcpy(c.claim_id, "#1", sizeof c.claim_id);
    cq_claim_set_invalid(&c, NULL, "claim_id: missing");
    s_decide(&c);
    s_example(&c);
    cq_strlcpy(c.claim_id, "#1", sizeof c.claim_id);
    cq_claim_set_invalid(&c, NULL, "total_charge: missing");
    cq_decision_t *d = s_decide(&c);
    s_assert_reason(d, 0, 0, "CO", "16", "MA130", "total_charge");
    cr_assert_eq(d->ledger_seq, 2);
}

Test(engine, record_ids_scoped_by_document_are_claim_keys)
{
    //  doc.c names them "#<document tag>:<record>": the same document sent
    //  again is a resubmission
    cq_claim_t c;
    s_example(&c);
    cq_strlcpy(c.claim_id, "#1f2e3d4c:1", sizeof c.claim_id);
    cq_claim_set_invalid(&c, NULL, "claim_id: missing");
    s_decide(&c);
    bool replayed = false;
    cr_assert_eq(
        cq_engine_decide(s_eng, s_st, &c, CQ_DATE_NONE, &s_d, &replayed), 0);
    cr_assert(replayed);
    cr_assert_eq(s_d.ledger_seq, 1);
}

Test(engine, other_members_and_payers_do_not_share_state)
{
    cq_claim_t c;
    s_example(&c);
    s_decide(&c);
    //  W4's first claim with the same lines and provider: no duplicate
    s_example(&c);
    cq_strlcpy(c.claim_id, "W4-1", sizeof c.claim_id);
    s_member(&c, "W4", "LOW", "1970-01-01");
    c.received_date = s_day("2026-04-02");
    for (int i = 0; i < 2; i++)
        c.lines[i].service_date = s_day("2026-04-01");
    cq_decision_t *d = s_decide(&c);
    cr_assert_eq(d->decision, CQ_DECISION_ACCEPT);
    s_assert_adj(d, 2, 1, "PR", "1", "65.00");
}
