//  fuzz_plan.c: the plan rules loader (common/plan.h) on arbitrary bytes,
//  and the engine on whatever loads.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. the loader never crashes; a refusal carries a message that starts
//     with the file name;
//  2. a loaded file has at least one plan, its rules version is
//     "sha256:" + SHA-256 of the bytes, and every procedure record is
//     found again by cq_plan_proc (the hash table is consistent);
//  3. the engine decides claims against it (a member on each plan, a line
//     of each of the plan's first codes, in and out of network) without
//     crashing, and every decision balances: billed - paid = adjustments.
#include "engine.h"
#include "hash.h"
#include "money.h"
#include "plan.h"
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_plan: invariant broken: %s\n", what);
        abort();
    }
}

//  A CSV field in quotes, quotes doubled (RFC 4180).
static void
s_csv_field(cq_buf_t *b, const char *s)
{
    cq_buf_add(b, "\"", 1);
    for (; *s; s++) {
        cq_buf_add(b, s, 1);
        if (*s == '"')
            cq_buf_add(b, "\"", 1);
    }
    cq_buf_add(b, "\"", 1);
}

static void
s_decide(cq_engine_t *eng, cq_state_t *st, const cq_plan_rules_t *r)
{
    static cq_claim_t c;
    static cq_decision_t d;
    for (size_t p = 0; p < cq_plan_count(r) && p < 4; p++) {
        const cq_plan_t *plan = cq_plan_at(r, p);
        for (int net = 0; net < 2; net++) {
            cq_claim_init(&c);
            snprintf(c.claim_id, sizeof c.claim_id, "F-%zu-%d", p, net);
            cq_strlcpy(c.payer_id, cq_plan_payer(r), sizeof c.payer_id);
            snprintf(c.member.id, sizeof c.member.id, "M%zu", p);
            cq_strlcpy(c.member.last_name, "FUZZ", sizeof c.member.last_name);
            c.member.birth_date = cq_date_from_ymd(1970, 1, 1);
            cq_strlcpy(c.billing_npi, net ? "1234567893" : "1912301953",
                       sizeof c.billing_npi);
            c.received_date = cq_date_from_ymd(2026, 3, 1);
            for (size_t i = 0; i < plan->n_procs && i < 6; i++) {
                cq_line_t *l = &c.lines[c.n_lines++];
                cq_strlcpy(l->procedure, plan->procs[i].code,
                           sizeof l->procedure);
                l->service_date = cq_date_from_ymd(2026, 2, (int)i + 1);
                l->service_date_end = CQ_DATE_NONE;
                l->units_milli = 1000 * (int64_t)(i + 1);
                l->charge = CQ_MONEY_MAX / (int64_t)(i + 1);
                c.total_charge += l->charge;
            }
            cq_line_t *l = &c.lines[c.n_lines++];
            cq_strlcpy(l->procedure, "99213", sizeof l->procedure);
            l->service_date = cq_date_from_ymd(2026, 2, 20);
            l->service_date_end = CQ_DATE_NONE;
            l->units_milli = 1000;
            l->charge = 15000;
            s_check(cq_engine_decide(eng, st, &c, CQ_DATE_NONE, &d, NULL) == 0,
                    "memory state cannot fail");
            int64_t adj = 0;
            for (size_t i = 0; i < d.n_adj; i++)
                adj += d.adj[i].amount;
            s_check(d.decision == CQ_DECISION_PEND || d.billed - d.paid == adj,
                    "billed - paid = sum of adjustments");
            s_check(d.paid >= 0 && d.allowed >= d.paid, "0 <= paid <= allowed");
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cq_diag_t diag = {0};
    cq_plan_rules_t *r =
        cq_plan_parse((const char *)data, size, "plan.json", &diag);
    if (r == NULL) {
        s_check(diag.code != 0 && strncmp(diag.msg, "plan.json", 9) == 0,
                "a refusal names the file");
        return 0;
    }
    s_check(cq_plan_count(r) >= 1, "at least one plan");
    char hex[CQ_SHA256_HEXLEN], want[80];
    snprintf(want, sizeof want, "sha256:%s", cq_sha256_hex(data, size, hex));
    s_check(strcmp(cq_plan_rules_version(r), want) == 0, "rules version");
    for (size_t p = 0; p < cq_plan_count(r); p++) {
        const cq_plan_t *plan = cq_plan_at(r, p);
        s_check(cq_plan_find(r, plan->plan_id) == (int)p, "plan ids unique");
        for (size_t i = 0; i < plan->n_procs; i++) {
            const cq_proc_rule_t *x = cq_plan_proc(plan, plan->procs[i].code);
            s_check(x == &plan->procs[i], "every code is found");
            s_check(x->fee >= -1 && x->copay >= 0, "amounts in range");
        }
    }

    //  a roster with one member per plan (CSV, ids quoted), then the
    //  engine
    cq_buf_t roster;
    cq_buf_init(&roster, 1 << 20);
    cq_buf_addstr(&roster, "member_id,payer_id,plan_id,last_name,birth_date,"
                           "coverage_start\n");
    for (size_t p = 0; p < cq_plan_count(r) && p < 4; p++) {
        cq_buf_printf(&roster, "M%zu,", p);
        s_csv_field(&roster, cq_plan_payer(r));
        cq_buf_add(&roster, ",", 1);
        s_csv_field(&roster, cq_plan_at(r, p)->plan_id);
        cq_buf_addstr(&roster, ",FUZZ,1970-01-01,2026-01-01\n");
    }
    cq_roster_t *m = cq_roster_parse(roster.data, roster.len, "roster", &diag);
    cq_buf_free(&roster);
    if (m == NULL) {
        cq_plan_destroy(&r);
        return 0;
    }
    cq_engine_t *eng = cq_engine_new_from(&r, &m);
    cq_state_t *st = cq_state_new_memory();
    //  the engine owns the rules now; read them back through it
    cq_diag_t d2 = {0};
    cq_plan_rules_t *again =
        cq_plan_parse((const char *)data, size, "plan.json", &d2);
    s_check(again != NULL, "the same bytes load twice");
    s_decide(eng, st, again);
    cq_plan_destroy(&again);
    cq_state_destroy(&st);
    cq_engine_destroy(&eng);
    return 0;
}
