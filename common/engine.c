//  engine.c: the rules engine (docs/adjudication.md), in that order:
//
//    0. the claim itself: a claim key already decided returns that decision
//       (replayed), except a pend a person released (claim.review): that
//       claim is decided again and supersedes the pend (a confirmed
//       duplicate is rejected OA-18; "not a duplicate" skips the
//       suspect-duplicate check of step 4); OCR fields to check -> pend OA-133;
//       content errors, unknown payer, bad frequency, no lines, a void /
//       replacement whose original is unknown -> reject CO-16 + RARC (MA130, or
//       M47 for the original claim reference, or the decoder's RARC);
//    1. member: unknown -> CO-31; last name / birth date mismatch -> CO-140;
//    2. eligibility per line: before coverage CO-26, after CO-27 (both with
//       N30); a covering roster row whose plan is not in the plan file ->
//       CO-16 MA130 naming plan_id;
//    3. timely filing (claim): received - earliest service date > days ->
//       CO-29;
//    4. duplicates per line: exact (member, provider, date, procedure,
//       modifiers, charge) of an accepted line of another claim key ->
//       OA-18; same member, date, procedure and modifiers but another
//       provider or charge -> the claim pends (OA-133, "possible
//       duplicate");
//    5. coverage per line: not in the fee schedule or excluded -> CO-96
//       N130; prior auth required and none -> CO-197; frequency limit
//       reached -> CO-119;
//    6. pricing per line: out of network with out_of_network null ->
//       CO-242; allowed = min(charge, fee x units [x factor]); the rest
//       CO-45;
//    7. cost share per line, in line order, on the plan-year accumulators:
//       PR-3 copay, PR-1 deductible, PR-2 coinsurance (half-up), capped by
//       the out-of-pocket maximum;
//    8. reject when every line is denied, else accept.
//    9. void (8): the decision mirrors the original's with every amount
//       negated (an 835 reversal) and the original's accumulator and
//       history effects are removed. Replacement (7): adjudicated as if the
//       original's effects were gone; when accepted, it removes them and
//       applies its own; when rejected or pended the original stands.
//
//  A claim-level reject carries one adjustment on line 0 (its CARC, the
//  billed amount); a denied line carries its CARC for the line's charge, so
//  that billed - paid = sum of adjustments on every decision (835 rule).
#include "engine.h"
#include "date.h"
#include "log.h"
#include "money.h"
#include "plan.h"
#include "roster.h"
#include "state_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What the engine remembers per plan between claims.
typedef struct {
    uint32_t state_id; // plan_id's id in the cached state, or NONE
    int32_t py_from;   // the plan year last asked for: [py_from, py_to)
    int32_t py_to;
} s_plan_cache_t;

struct cq_engine {
    cq_plan_rules_t *rules; // plan file
    cq_roster_t *roster;    // members
    char node[CQ_ID_LEN];   // default node id for decisions
    char (*limited)[16];    // codes some plan limits (frequency_limits)
    size_t n_limited;
    uint64_t cached_state; // serial of the state whose ids the roster's
                           // and the procedure rules' `user` fields and
                           // `plans` hold
    s_plan_cache_t *plans; // per plan (plan index)
    size_t cached_hist;    // history rows the roster's filters include
};

//  Why a line was denied.
typedef enum {
    S_OK = 0,
    S_BEFORE_COVERAGE, // CO-26
    S_AFTER_COVERAGE,  // CO-27
    S_PLAN_UNKNOWN,    // CO-16
    S_DUPLICATE,       // OA-18
    S_SUSPECT,         // pend: OA-133 (not a denial)
    S_NOT_COVERED,     // CO-96
    S_EXCLUDED,        // CO-96
    S_PRIOR_AUTH,      // CO-197
    S_FREQUENCY,       // CO-119
    S_OUT_OF_NETWORK,  // CO-242
} s_why_t;

static const struct {
    const char *group, *carc, *rarc;
} s_codes[] = {
    [S_OK] = {"", "", ""},
    [S_BEFORE_COVERAGE] = {"CO", "26", "N30"},
    [S_AFTER_COVERAGE] = {"CO", "27", "N30"},
    [S_PLAN_UNKNOWN] = {"CO", "16", "MA130"},
    [S_DUPLICATE] = {"OA", "18", ""},
    [S_SUSPECT] = {"OA", "133", ""},
    [S_NOT_COVERED] = {"CO", "96", "N130"},
    [S_EXCLUDED] = {"CO", "96", "N130"},
    [S_PRIOR_AUTH] = {"CO", "197", ""},
    [S_FREQUENCY] = {"CO", "119", ""},
    [S_OUT_OF_NETWORK] = {"CO", "242", ""},
};

//  Per-line working state of one decision.
typedef struct {
    s_why_t why;           // denial (or S_SUSPECT)
    uint32_t other;        // rec of the duplicate / suspect, or NONE
    int plan_idx;          // plan index, -1 none
    const cq_plan_t *plan; // the line's plan (eligible lines)
    cq_proc_rule_t *rule;  // the plan's rule for the procedure
    const char *plan_name; // S_PLAN_UNKNOWN: the roster's plan_id
    int32_t py;            // plan-year start of the service date
    uint32_t proc;         // interned procedure (state), or NONE
    uint64_t mods;         // packed modifiers
    int64_t allowed, co45, copay, ded, coins, paid;
} s_line_t;

//  A plan-year accumulator as this claim sees it.
typedef struct {
    const cq_plan_t *plan; // plan
    int32_t py;            // plan-year start
    int64_t ded, oop;      // used so far (this claim's lines included)
    uint32_t idx;          // its index in the state, or NONE (new)
} s_acc_t;

//  ---- construction --------------------------------------------------------

//  Collects the codes with a frequency limit in any plan: their accepted
//  lines are chained for counting whichever plan the member is in.
static void
s_limited_codes(cq_engine_t *self)
{
    for (size_t p = 0; p < cq_plan_count(self->rules); p++) {
        const cq_plan_t *plan = cq_plan_at(self->rules, p);
        for (size_t i = 0; i < plan->n_procs; i++) {
            if (plan->procs[i].freq_max < 0)
                continue;
            bool have = false;
            for (size_t k = 0; k < self->n_limited && !have; k++)
                have = memcmp(self->limited[k], plan->procs[i].code, 16) == 0;
            if (have)
                continue;
            self->limited = cq_xrealloc(
                self->limited, (self->n_limited + 1) * sizeof *self->limited);
            memcpy(self->limited[self->n_limited++], plan->procs[i].code, 16);
        }
    }
}

static bool
s_is_limited(const cq_engine_t *self, const char *code)
{
    for (size_t k = 0; k < self->n_limited; k++)
        if (strncmp(self->limited[k], code, 16) == 0)
            return true;
    return false;
}

static void
s_resolve_plans(cq_engine_t *self)
{
    size_t unknown = 0, n = cq_roster_members(self->roster);
    const char *payer = cq_plan_payer(self->rules);
    for (size_t i = 0; i < n; i++) {
        cq_member_t *m = cq_roster_member_at(self->roster, i);
        for (uint32_t k = 0; k < m->n_cov; k++) {
            m->cov[k].plan = cq_plan_find(self->rules, m->cov[k].plan_id);
            if (m->cov[k].plan < 0 && strcmp(m->payer_id, payer) == 0)
                unknown++;
        }
    }
    if (unknown > 0)
        cq_log_warn(NULL,
                    "roster: %zu coverage rows of payer %s name a plan that "
                    "is not in the plan file; their claims get CO-16",
                    unknown, payer);
}

cq_engine_t *
cq_engine_new_from(struct cq_plan_rules **rules_p, struct cq_roster **roster_p)
{
    assert(rules_p && *rules_p && roster_p && *roster_p);
    cq_engine_t *self = cq_xcalloc(1, sizeof *self);
    self->rules = *rules_p;
    self->roster = *roster_p;
    *rules_p = NULL;
    *roster_p = NULL;
    s_resolve_plans(self);
    s_limited_codes(self);
    self->plans = cq_xcalloc(cq_plan_count(self->rules), sizeof *self->plans);
    for (size_t i = 0; i < cq_plan_count(self->rules); i++)
        self->plans[i].state_id = CQ_STATE_NONE;
    return self;
}

cq_engine_t *
cq_engine_new(const char *plan_path, const char *members_path, cq_diag_t *diag)
{
    cq_plan_rules_t *rules = cq_plan_load(plan_path, diag);
    if (rules == NULL)
        return NULL;
    cq_roster_t *roster = cq_roster_load(members_path, diag);
    if (roster == NULL) {
        cq_plan_destroy(&rules);
        return NULL;
    }
    return cq_engine_new_from(&rules, &roster);
}

void
cq_engine_destroy(cq_engine_t **self_p)
{
    assert(self_p);
    cq_engine_t *self = *self_p;
    if (self == NULL)
        return;
    cq_plan_destroy(&self->rules);
    cq_roster_destroy(&self->roster);
    free(self->limited);
    free(self->plans);
    free(self);
    *self_p = NULL;
}

const char *
cq_engine_rules_version(const cq_engine_t *self)
{
    return cq_plan_rules_version(self->rules);
}

void
cq_engine_set_node(cq_engine_t *self, const char *node)
{
    cq_strlcpy(self->node, node ? node : "", sizeof self->node);
}

//  ---- decision building ---------------------------------------------------

static void s_reason(cq_decision_t *d, unsigned line, const char *group,
                     const char *carc, const char *rarc, const char *fmt, ...)
    CQ_PRINTF(6, 7);

static void
s_reason(cq_decision_t *d, unsigned line, const char *group, const char *carc,
         const char *rarc, const char *fmt, ...)
{
    if (d->n_reasons >= CQ_MAX_REASONS)
        return;
    cq_reason_t *r = &d->reasons[d->n_reasons++];
    r->line = (uint8_t)line;
    cq_strlcpy(r->group, group, sizeof r->group);
    cq_strlcpy(r->carc, carc, sizeof r->carc);
    cq_strlcpy(r->rarc, rarc ? rarc : "", sizeof r->rarc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

static void
s_adj(cq_decision_t *d, unsigned line, const char *group, const char *code,
      int64_t amount)
{
    if (amount == 0 || d->n_adj >= CQ_MAX_ADJ)
        return;
    cq_adjustment_t *a = &d->adj[d->n_adj++];
    a->line = (uint8_t)line;
    memcpy(a->group, group, 3);
    cq_strlcpy(a->code, code, sizeof a->code);
    a->amount = amount;
}

//  Fills the decision's header from the claim; every line billed, nothing
//  allowed yet. Touches only the used parts of the (large) decision.
static void
s_start(const cq_engine_t *self, const cq_claim_t *c,
        const cq_decide_opts_t *opts, cq_decision_t *d)
{
    //  same-size fixed fields: whole copies (no strlen), then terminated
    _Static_assert(sizeof d->claim_id == sizeof c->claim_id, "claim_id");
    _Static_assert(sizeof d->payer_id == sizeof c->payer_id, "payer_id");
    _Static_assert(sizeof d->billing_npi == sizeof c->billing_npi, "npi");
    memcpy(d->claim_id, c->claim_id, sizeof d->claim_id);
    d->claim_id[sizeof d->claim_id - 1] = '\0';
    memcpy(d->payer_id, c->payer_id, sizeof d->payer_id);
    d->payer_id[sizeof d->payer_id - 1] = '\0';
    memcpy(d->billing_npi, c->billing_npi, sizeof d->billing_npi);
    d->billing_npi[sizeof d->billing_npi - 1] = '\0';
    d->frequency = c->frequency ? c->frequency : '1';
    cq_strlcpy(d->batch_id, opts && opts->batch_id ? opts->batch_id : "",
               sizeof d->batch_id);
    cq_strlcpy(d->node, opts && opts->node ? opts->node : self->node,
               sizeof d->node);
    memcpy(d->rules_version, cq_plan_rules_version(self->rules),
           sizeof d->rules_version);
    d->source = c->source;
    d->ocr_confidence = c->source == CQ_SOURCE_OCR ? c->ocr_confidence : -1;
    d->decision = CQ_DECISION_ACCEPT;
    d->ledger_seq = 0;
    if (c->review) {
        memcpy(d->supersedes_node, c->supersedes_node,
               sizeof d->supersedes_node);
        d->supersedes_seq = c->supersedes_seq;
        cq_strlcpy(d->review_audit, c->review_audit, sizeof d->review_audit);
    } else {
        d->supersedes_node[0] = '\0';
        d->supersedes_seq = 0;
        d->review_audit[0] = '\0';
    }
    d->n_adj = 0;
    d->n_reasons = 0;
    d->allowed = d->paid = d->patient_resp = 0;
    d->n_lines = c->n_lines <= CQ_MAX_LINES ? c->n_lines : CQ_MAX_LINES;
    int64_t billed = 0;
    for (size_t i = 0; i < d->n_lines; i++) {
        d->lines[i].billed = c->lines[i].charge;
        d->lines[i].allowed = 0;
        d->lines[i].paid = 0;
        d->lines[i].denied = false;
        billed += c->lines[i].charge;
    }
    d->billed = billed;
}

//  Rejects the whole claim with one claim-level reason.
//  claim.review (client/review_rpc.h cq_release_action_t)
#define S_REVIEW_DUPLICATE 2     // confirmed duplicate: reject OA-18
#define S_REVIEW_NOT_DUPLICATE 3 // no suspect-duplicate check

static void s_reject(cq_decision_t *d, const char *group, const char *carc,
                     const char *rarc, const char *fmt, ...) CQ_PRINTF(5, 6);

static void
s_reject(cq_decision_t *d, const char *group, const char *carc,
         const char *rarc, const char *fmt, ...)
{
    d->decision = CQ_DECISION_REJECT;
    d->n_adj = 0;
    d->allowed = d->paid = d->patient_resp = 0;
    for (size_t i = 0; i < d->n_lines; i++) {
        d->lines[i].allowed = d->lines[i].paid = 0;
        d->lines[i].denied = true;
    }
    if (d->n_reasons < CQ_MAX_REASONS) {
        cq_reason_t *r = &d->reasons[d->n_reasons++];
        r->line = 0;
        cq_strlcpy(r->group, group, sizeof r->group);
        cq_strlcpy(r->carc, carc, sizeof r->carc);
        cq_strlcpy(r->rarc, rarc ? rarc : "", sizeof r->rarc);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->message, sizeof r->message, fmt, ap);
        va_end(ap);
    }
    s_adj(d, 0, group, carc, d->billed);
}

//  "payer|npi|claim_id|f" (or without "|f" when freq is 0) into out
//  (CQ_KEY_LEN); returns the length.
static size_t
s_key(char *out, const char *payer, const char *npi, const char *id, char freq)
{
    size_t n = 0, k;
    k = strnlen(payer, CQ_ID_LEN - 1);
    memcpy(out + n, payer, k);
    n += k;
    out[n++] = '|';
    k = strnlen(npi, 10);
    memcpy(out + n, npi, k);
    n += k;
    out[n++] = '|';
    k = strnlen(id, CQ_ID_LEN - 1);
    memcpy(out + n, id, k);
    n += k;
    if (freq) {
        out[n++] = '|';
        out[n++] = freq;
    }
    out[n] = '\0';
    return n;
}

//  The claim_id part of a record's key "payer|npi|claim_id|f", into out.
static const char *
s_rec_claim_id(const cq_state_t *st, uint32_t rec, char *out, size_t cap)
{
    out[0] = '\0';
    if (rec == CQ_STATE_NONE || rec >= st->n_recs)
        return out;
    const char *k = st->recs[rec].key;
    const char *a = strchr(k, '|');
    const char *b = a ? strchr(a + 1, '|') : NULL;
    const char *e = strrchr(k, '|');
    if (b && e && e > b)
        cq_strncpy_n(out, cap, b + 1, (size_t)(e - b - 1));
    return out;
}

static bool
s_name_eq(const char *upper, const char *s)
{
    //  roster names are stored upper-cased; compare ASCII case-insensitively
    //  and ignore surrounding blanks in the claim's value
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    size_t i = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (upper[i] != c)
            return false;
    }
    return upper[i] == '\0';
}

static __int128
s_round_div(__int128 num, int64_t den)
{
    //  half-up for non-negative values; 64-bit division when it fits (a
    //  128-bit one is a library call)
    if (num >= 0 && num <= INT64_MAX - den)
        return (int64_t)(((int64_t)num + den / 2) / den);
    return (num + den / 2) / den;
}

//  round_half_up(cents * ppm / 1e6), cents >= 0 (cq_money_apply_rate,
//  without the 128-bit division when the product fits in 64 bits).
static int64_t
s_apply_rate(int64_t cents, int64_t ppm)
{
    int64_t p;
    if (!__builtin_mul_overflow(cents, ppm, &p) && p <= INT64_MAX - 500000)
        return (p + 500000) / 1000000;
    return cq_money_apply_rate(cents, ppm);
}

//  Start of the plan year of date under plan pi (cached: most claims fall
//  in the plan year of the one before).
static int32_t
s_plan_year(cq_engine_t *self, int pi, const cq_plan_t *plan, int32_t date)
{
    s_plan_cache_t *pc = &self->plans[pi];
    if (date >= pc->py_from && date < pc->py_to)
        return pc->py_from;
    int32_t from = cq_date_plan_year_start(date, plan->py_month, plan->py_day);
    pc->py_from = from;
    pc->py_to =
        cq_date_plan_year_start(from + 366, plan->py_month, plan->py_day);
    return from;
}

//  The plan_id's id in the state (cached), or NONE before its first line.
static uint32_t
s_plan_id(cq_engine_t *self, const cq_state_t *st, int pi,
          const cq_plan_t *plan)
{
    s_plan_cache_t *pc = &self->plans[pi];
    if (pc->state_id == CQ_STATE_NONE)
        pc->state_id =
            cq_intern_find(&st->codes, plan->plan_id, strlen(plan->plan_id));
    return pc->state_id;
}

//  Forgets the ids of another state (the engine was given a new one).
//  Each roster member carries a 64-bit filter of the (service date,
//  procedure) pairs in its history (user_bits): a line whose bit is clear
//  has no earlier line to duplicate, and its lookup in the big duplicate
//  index (a cache miss) is skipped. A set bit only means "look".
static uint64_t
s_hist_bit(int32_t date, uint32_t proc)
{
    uint32_t x = (uint32_t)date * 0x9E3779B1u ^ proc * 0x85EBCA77u;
    return UINT64_C(1) << (x >> 26);
}

//  Adds history rows the engine did not record itself (a ledger's, or
//  another engine's on the same state) to the members' filters.
static void
s_sync_filters(cq_engine_t *self, const cq_state_t *st)
{
    cq_member_t **map = NULL; // state member id -> roster member (lazily)
    size_t n_map = st->members.n;
    for (size_t i = self->cached_hist; i < st->n_hist; i++) {
        const cq_hist_t *h = &st->hist[i];
        if (h->member >= n_map)
            continue;
        if (map == NULL)
            map = cq_xcalloc(n_map ? n_map : 1, sizeof *map);
        if (map[h->member] == NULL) {
            //  the state names members "payer\x1fmember_id"
            const char *key = st->members.str[h->member];
            const char *sep = strchr(key, '\x1f');
            char payer[CQ_ID_LEN];
            if (sep == NULL || (size_t)(sep - key) >= sizeof payer)
                continue;
            cq_strncpy_n(payer, sizeof payer, key, (size_t)(sep - key));
            map[h->member] = cq_roster_find(self->roster, payer, sep + 1);
            if (map[h->member] == NULL)
                continue;
        }
        map[h->member]->user_bits |= s_hist_bit(h->date, h->proc);
    }
    free(map);
    self->cached_hist = st->n_hist;
}

static void
s_cache_state(cq_engine_t *self, const cq_state_t *st)
{
    if (self->cached_state == st->serial) {
        if (self->cached_hist != st->n_hist)
            s_sync_filters(self, st);
        return;
    }
    for (size_t k = 0; k < cq_roster_members(self->roster); k++) {
        cq_member_t *m = cq_roster_member_at(self->roster, k);
        m->user = CQ_STATE_NONE;  // state member id
        m->user2 = CQ_STATE_NONE; // last accumulator used
        m->user_bits = 0;         // history filter
    }
    for (size_t p = 0; p < cq_plan_count(self->rules); p++) {
        cq_plan_t *plan = cq_plan_at_rw(self->rules, p);
        for (size_t i = 0; i < plan->n_procs; i++)
            plan->procs[i].user = CQ_STATE_NONE;
        self->plans[p].state_id = CQ_STATE_NONE;
    }
    self->cached_state = st->serial;
    self->cached_hist = 0;
    s_sync_filters(self, st);
}

static int64_t
s_min(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

//  ---- the rules -----------------------------------------------------------

//  Validations that reject the whole claim CO-16 before any rule; returns
//  true when the claim was rejected.
static bool
s_check_claim(const cq_engine_t *self, const cq_claim_t *c, cq_decision_t *d)
{
    if (c->invalid) {
        s_reject(d, "CO", "16", c->invalid_rarc[0] ? c->invalid_rarc : "MA130",
                 "%s", c->invalid_msg[0] ? c->invalid_msg : "invalid claim");
        return true;
    }
    const char *payer = cq_plan_payer(self->rules);
    if (strcmp(c->payer_id, payer) != 0) {
        s_reject(d, "CO", "16", "MA130",
                 "payer_id: no plan rules for payer \"%.39s\" (the plan file "
                 "is for %s)",
                 c->payer_id, payer);
        return true;
    }
    if (c->frequency != '1' && c->frequency != '7' && c->frequency != '8') {
        s_reject(d, "CO", "16", "MA130",
                 "frequency: expected \"1\", \"7\" or \"8\"");
        return true;
    }
    if (c->n_lines == 0 || c->n_lines > CQ_MAX_LINES) {
        s_reject(d, "CO", "16", "MA130",
                 "lines: a claim needs 1 to %d service lines", CQ_MAX_LINES);
        return true;
    }
    for (size_t i = 0; i < c->n_lines; i++) {
        const cq_line_t *l = &c->lines[i];
        if (l->charge < 0 || l->charge > CQ_MONEY_MAX) {
            s_reject(d, "CO", "16", "MA130",
                     "lines[%zu].charge: must be a non-negative amount", i + 1);
            return true;
        }
        if (l->units_milli <= 0 || l->units_milli > INT64_C(100000000)) {
            s_reject(d, "CO", "16", "M53",
                     "lines[%zu].units: must be more than 0 (at most 100000)",
                     i + 1);
            return true;
        }
        if (l->service_date == CQ_DATE_NONE) {
            s_reject(d, "CO", "16", "M52", "lines[%zu].service_date: missing",
                     i + 1);
            return true;
        }
        if (l->procedure[0] == '\0') {
            s_reject(d, "CO", "16", "M51", "lines[%zu].procedure: missing",
                     i + 1);
            return true;
        }
    }
    if ((c->frequency == '7' || c->frequency == '8') &&
        c->original_claim_id[0] == '\0') {
        s_reject(d, "CO", "16", "M47",
                 "original_claim_id: required for frequency %c", c->frequency);
        return true;
    }
    return false;
}

//  Pends an OCR claim whose fields a person must check.
static void
s_pend_ocr(const cq_claim_t *c, cq_decision_t *d)
{
    d->decision = CQ_DECISION_PEND;
    for (size_t i = 0; i < c->n_pend && i < CQ_MAX_PEND; i++)
        s_reason(d, 0, "OA", "133", "", "needs review: %.47s (OCR)",
                 c->pend_fields[i]);
    if (c->invalid)
        s_reason(d, 0, "OA", "133", "", "needs review: %s", c->invalid_msg);
}

//  Void: the original's decision (record rec) with every amount negated.
static int
s_void(cq_state_t *st, uint32_t rec, cq_decision_t *d)
{
    //  read the original into scratch (voids are rare), then mirror it
    cq_decision_t *o = cq_xmalloc(sizeof *o);
    int rc = cq_state_get(st, rec, o);
    if (rc != 0) {
        free(o);
        return rc;
    }
    d->billed = -o->billed;
    d->allowed = -o->allowed;
    d->paid = -o->paid;
    d->patient_resp = -o->patient_resp;
    d->n_adj = o->n_adj;
    for (size_t i = 0; i < o->n_adj; i++) {
        d->adj[i] = o->adj[i];
        d->adj[i].amount = -o->adj[i].amount;
    }
    d->n_lines = o->n_lines;
    for (size_t i = 0; i < o->n_lines; i++) {
        d->lines[i].billed = -o->lines[i].billed;
        d->lines[i].allowed = -o->lines[i].allowed;
        d->lines[i].paid = -o->lines[i].paid;
        d->lines[i].denied = o->lines[i].denied;
    }
    free(o);
    d->n_reasons = 0;
    d->decision = CQ_DECISION_ACCEPT;
    return 0;
}

//  The accumulator a line adds to, as seen by this claim: the state's,
//  minus what the excluded (replaced) claim added, plus this claim's
//  earlier lines.
static s_acc_t *
s_acc(const cq_state_t *st, s_acc_t *accs, size_t *n_accs, cq_member_t *m,
      uint32_t member, const cq_plan_t *plan, uint32_t pid, int32_t py,
      uint32_t exclude)
{
    for (size_t i = 0; i < *n_accs; i++)
        if (accs[i].plan == plan && accs[i].py == py)
            return &accs[i];
    s_acc_t *a = &accs[(*n_accs)++];
    a->plan = plan;
    a->py = py;
    a->ded = a->oop = 0;
    a->idx = CQ_STATE_NONE;
    if (member == CQ_STATE_NONE || pid == CQ_STATE_NONE)
        return a;
    //  the member's last accumulator first (kept in the roster block)
    uint32_t ai = m->user2;
    if (ai >= st->n_accs || st->accs[ai].member != member ||
        st->accs[ai].plan != pid || st->accs[ai].py_start != py) {
        ai = cq_state_acc_find(st, member, pid, py);
        if (ai == CQ_STATE_NONE)
            return a;
        m->user2 = ai;
    }
    a->idx = ai;
    a->ded = st->accs[ai].ded;
    a->oop = st->accs[ai].oop;
    if (exclude != CQ_STATE_NONE) {
        const cq_rec_t *r = &st->recs[exclude];
        for (uint32_t i = r->first_hist; i < r->first_hist + r->n_hist; i++) {
            const cq_hist_t *h = &st->hist[i];
            if (h->active && h->acc == ai) {
                a->ded -= h->ded;
                a->oop -= h->oop;
            }
        }
    }
    return a;
}

//  First and one-past-last day of the period a frequency limit counts.
static void
s_limit_period(const cq_proc_rule_t *rule, const s_line_t *L, int32_t date,
               int32_t *from, int32_t *to)
{
    switch (rule->per) {
    case CQ_PER_PLAN_YEAR:
        *from = L->py;
        *to = cq_date_plan_year_start(L->py + 366, L->plan->py_month,
                                      L->plan->py_day);
        break;
    case CQ_PER_CALENDAR_YEAR: {
        int y, m, dd;
        cq_date_to_ymd(date, &y, &m, &dd);
        *from = cq_date_from_ymd(y, 1, 1);
        *to = cq_date_from_ymd(y + 1, 1, 1);
        break;
    }
    default:
        *from = INT32_MIN;
        *to = INT32_MAX;
        break;
    }
}

//  ---- the stages --------------------------------------------------------
//
//  One decision's working state, shared by the stages in their order.
typedef struct {
    cq_engine_t *self;
    cq_state_t *st;
    const cq_claim_t *c;
    cq_decision_t *d;
    int32_t received_default;
    cq_state_entry_t e; // what cq_state_record is told
    char mkey[2 * CQ_ID_LEN + 2];
    char orig_lin[CQ_KEY_LEN];
    size_t n; // lines
    s_line_t L[CQ_MAX_LINES];
    cq_state_line_t acc_lines[CQ_MAX_LINES];
    size_t n_acc_lines;
    char other_id[CQ_ID_LEN];
    uint32_t exclude;  // the original, while its effects count
    uint32_t replaces; // the claim a replacement replaces
    cq_member_t *m;    // from stage 1 on
    uint32_t mid;      // the member's id in the state (stage 4 on)
    uint32_t npi_id;   // the billing NPI's id in the state
    size_t alive;      // lines eligible (stage 2)
    const cq_plan_t *claim_plan;
    bool in_network;
    int rc; // S_RETURN's value
} s_ctx_t;

//  What a stage says: go on, record the decision as it stands now, or
//  return x->rc (the stage recorded it, or the state failed).
typedef enum { S_NEXT, S_RECORD, S_RETURN } s_step_t;

//  0. claims a person or a decoder already settled: OCR fields to check
//  (pend OA-133), a duplicate a reviewer confirmed (OA-18)
static s_step_t
s_stage_settled(s_ctx_t *x)
{
    if (x->c->n_pend > 0) {
        s_pend_ocr(x->c, x->d);
        return S_RECORD;
    }
    if (x->c->review == S_REVIEW_DUPLICATE) {
        s_reject(x->d, "OA", "18", "",
                 "duplicate: a reviewer confirmed this claim repeats an "
                 "earlier one");
        return S_RECORD;
    }
    return S_NEXT;
}

//  0. the claim's own content (CO-16 + RARC)
static s_step_t
s_stage_syntax(s_ctx_t *x)
{
    return s_check_claim(x->self, x->c, x->d) ? S_RECORD : S_NEXT;
}

//  0. a void (8) or replacement (7): the claim it names (CO-16 M47); a
//  void is decided here
static s_step_t
s_stage_original(s_ctx_t *x)
{
    const cq_claim_t *c = x->c;
    if (c->frequency != '7' && c->frequency != '8')
        return S_NEXT;
    size_t olen = s_key(x->orig_lin, c->payer_id, c->billing_npi,
                        c->original_claim_id, 0);
    x->e.orig_lineage = x->orig_lin;
    uint32_t orec = cq_state_find_lineage(x->st, x->orig_lin, olen);
    const cq_rec_t *o = orec != CQ_STATE_NONE ? &x->st->recs[orec] : NULL;
    if (o == NULL) {
        s_reject(x->d, "CO", "16", "M47",
                 "original_claim_id: no claim \"%.39s\" from this provider",
                 c->original_claim_id);
        return S_RECORD;
    }
    if (o->reversed) {
        s_reject(x->d, "CO", "16", "M47",
                 "original_claim_id: claim \"%.39s\" was already voided",
                 c->original_claim_id);
        return S_RECORD;
    }
    bool accepted = o->outcome == CQ_DECISION_ACCEPT;
    if (c->frequency == '8') {
        if (!accepted) {
            s_reject(x->d, "CO", "16", "M47",
                     "original_claim_id: claim \"%.39s\" was not accepted; "
                     "there is nothing to void",
                     c->original_claim_id);
            return S_RECORD;
        }
        x->rc = s_void(x->st, orec, x->d);
        if (x->rc != 0)
            return S_RETURN;
        x->e.reverses = orec;
        return S_RECORD;
    }
    if (accepted)
        x->exclude = orec;
    x->replaces = orec;
    return S_NEXT;
}

//  1. the member: unknown CO-31, name or birth date off CO-140
static s_step_t
s_stage_member(s_ctx_t *x)
{
    const cq_claim_t *c = x->c;
    x->m = cq_roster_find(x->self->roster, c->payer_id, c->member.id);
    if (x->m == NULL) {
        s_reject(x->d, "CO", "31", "",
                 "member.id: not found in the roster of payer %.39s",
                 c->payer_id);
        return S_RECORD;
    }
    bool match = false;
    for (uint32_t k = 0; k < x->m->n_cov && !match; k++)
        match = x->m->cov[k].birth_date == c->member.birth_date &&
                s_name_eq(x->m->cov[k].last_name, c->member.last_name);
    if (!match) {
        s_reject(x->d, "CO", "140", "",
                 "member: last name or birth date does not match the roster");
        return S_RECORD;
    }
    return S_NEXT;
}

//  2. eligibility per line: CO-26 / CO-27 N30, an unknown plan CO-16 MA130
static s_step_t
s_stage_eligibility(s_ctx_t *x)
{
    const cq_claim_t *c = x->c;
    const cq_member_t *m = x->m;
    for (size_t i = 0; i < x->n; i++) {
        s_line_t *l = &x->L[i];
        memset(l, 0, sizeof *l);
        l->other = CQ_STATE_NONE;
        l->plan_idx = -1;
        int32_t date = c->lines[i].service_date;
        const cq_coverage_t *cov = NULL;
        int32_t first_start = INT32_MAX;
        for (uint32_t k = 0; k < m->n_cov; k++) {
            const cq_coverage_t *v = &m->cov[k];
            if (v->start < first_start)
                first_start = v->start;
            if (date >= v->start &&
                (v->end == CQ_DATE_NONE || date <= v->end)) {
                cov = v;
                break;
            }
        }
        if (cov == NULL) {
            l->why = date < first_start ? S_BEFORE_COVERAGE : S_AFTER_COVERAGE;
            continue;
        }
        if (cov->plan < 0) {
            l->why = S_PLAN_UNKNOWN;
            l->plan_name = cov->plan_id;
            continue;
        }
        l->plan_idx = cov->plan;
        cq_plan_t *plan = cq_plan_at_rw(x->self->rules, (size_t)cov->plan);
        l->plan = plan;
        l->py = s_plan_year(x->self, cov->plan, plan, date);
        l->rule = cq_plan_proc_rw(plan, c->lines[i].procedure);
        if (x->claim_plan == NULL)
            x->claim_plan = l->plan;
        x->alive++;
    }
    return S_NEXT;
}

//  3. timely filing, claim level: CO-29
static s_step_t
s_stage_timely_filing(s_ctx_t *x)
{
    if (x->alive == 0)
        return S_NEXT;
    const cq_claim_t *c = x->c;
    int32_t recv = c->received_date != CQ_DATE_NONE      ? c->received_date
                   : x->received_default != CQ_DATE_NONE ? x->received_default
                                                         : cq_date_today();
    int32_t earliest = INT32_MAX;
    for (size_t i = 0; i < x->n; i++)
        if (c->lines[i].service_date < earliest)
            earliest = c->lines[i].service_date;
    int64_t days = (int64_t)recv - earliest;
    if (days > x->claim_plan->timely_filing_days) {
        s_reject(x->d, "CO", "29", "",
                 "received %lld days after the earliest service date; plan "
                 "%s allows %d",
                 (long long)days, x->claim_plan->plan_id,
                 (int)x->claim_plan->timely_filing_days);
        return S_RECORD;
    }
    return S_NEXT;
}

//  4. duplicates per line, of the member's lines: exact OA-18; same date,
//  procedure and modifiers with another provider or charge: the claim
//  pends OA-133
static s_step_t
s_stage_duplicates(s_ctx_t *x)
{
    const cq_claim_t *c = x->c;
    cq_state_t *st = x->st;
    cq_member_t *m = x->m;
    //  the member's id in this state, cached in the roster
    x->mid = m->user;
    if (x->mid == CQ_STATE_NONE) {
        x->mid = cq_state_member_find(st, c->payer_id, c->member.id);
        m->user = x->mid;
    }
    x->npi_id =
        cq_intern_find(&st->codes, c->billing_npi, strnlen(c->billing_npi, 10));
    bool suspect = false;
    for (size_t i = 0; i < x->n; i++) {
        s_line_t *l = &x->L[i];
        const cq_line_t *cl = &c->lines[i];
        l->mods = cq_state_pack_mods(cl->modifiers, cl->n_modifiers);
        l->proc = CQ_STATE_NONE;
        if (l->why != S_OK)
            continue;
        //  the procedure's id in the state, cached in the plan's rule
        if (l->rule != NULL && l->rule->user != CQ_STATE_NONE) {
            l->proc = l->rule->user;
        } else {
            l->proc = cq_intern_find(&st->codes, cl->procedure,
                                     strnlen(cl->procedure, CQ_CODE_LEN));
            if (l->rule != NULL)
                l->rule->user = l->proc;
        }
        if (l->proc == CQ_STATE_NONE || x->mid == CQ_STATE_NONE)
            continue;
        if (!(m->user_bits & s_hist_bit(cl->service_date, l->proc))) {
            //  nothing to look at; recording the line will insert here
            cq_state_dup_prefetch(st, x->mid, cl->service_date, l->proc);
            continue;
        }
        uint32_t sus = CQ_STATE_NONE;
        for (uint32_t hi =
                 cq_state_dup_head(st, x->mid, cl->service_date, l->proc);
             hi != CQ_STATE_NONE; hi = st->hist[hi].next_dup) {
            const cq_hist_t *h = &st->hist[hi];
            if (!h->active || h->rec == x->exclude || h->mods != l->mods)
                continue;
            if (h->npi == x->npi_id && h->charge == cl->charge) {
                l->why = S_DUPLICATE;
                l->other = h->rec;
                break;
            }
            if (sus == CQ_STATE_NONE)
                sus = h->rec;
        }
        if (l->why == S_OK && sus != CQ_STATE_NONE &&
            c->review != S_REVIEW_NOT_DUPLICATE) {
            l->why = S_SUSPECT;
            l->other = sus;
            suspect = true;
        }
    }
    if (!suspect)
        return S_NEXT;
    x->d->decision = CQ_DECISION_PEND;
    for (size_t i = 0; i < x->n; i++)
        if (x->L[i].why == S_SUSPECT)
            s_reason(x->d, (unsigned)i + 1, "OA", "133", "",
                     "possible duplicate of a line of claim %s (same member, "
                     "date and procedure; another provider or charge): a "
                     "person must look",
                     s_rec_claim_id(st, x->L[i].other, x->other_id,
                                    sizeof x->other_id));
    return S_RECORD;
}

//  5. coverage per line: not in the fee schedule or excluded CO-96 N130,
//  prior auth missing CO-197, frequency limit reached CO-119
static s_step_t
s_stage_coverage(s_ctx_t *x)
{
    const cq_claim_t *c = x->c;
    for (size_t i = 0; i < x->n; i++) {
        s_line_t *l = &x->L[i];
        if (l->why != S_OK)
            continue;
        const cq_line_t *cl = &c->lines[i];
        if (l->rule == NULL || l->rule->fee < 0) {
            l->why = S_NOT_COVERED;
            continue;
        }
        if (l->rule->excluded) {
            l->why = S_EXCLUDED;
            continue;
        }
        if (l->rule->prior_auth && c->prior_auth[0] == '\0') {
            l->why = S_PRIOR_AUTH;
            continue;
        }
        if (l->rule->freq_max < 0)
            continue;
        int32_t from, to;
        s_limit_period(l->rule, l, cl->service_date, &from, &to);
        int64_t count = 0;
        if (l->proc != CQ_STATE_NONE) {
            for (uint32_t hi = cq_state_freq_head(x->st, x->mid, l->proc);
                 hi != CQ_STATE_NONE; hi = x->st->hist[hi].next_freq) {
                const cq_hist_t *h = &x->st->hist[hi];
                if (h->active && h->rec != x->exclude && h->date >= from &&
                    h->date < to)
                    count++;
            }
        }
        for (size_t j = 0; j < i; j++)
            if (x->L[j].why == S_OK &&
                strcmp(c->lines[j].procedure, cl->procedure) == 0 &&
                c->lines[j].service_date >= from &&
                c->lines[j].service_date < to)
                count++;
        if (count >= l->rule->freq_max)
            l->why = S_FREQUENCY;
    }
    return S_NEXT;
}

//  6. pricing per line: out of network and not covered there CO-242;
//  allowed = min(charge, fee x units [x factor]), the rest CO-45
static s_step_t
s_stage_pricing(s_ctx_t *x)
{
    const cq_claim_t *c = x->c;
    x->in_network = cq_plan_in_network(x->self->rules, c->billing_npi);
    for (size_t i = 0; i < x->n; i++) {
        s_line_t *l = &x->L[i];
        if (l->why != S_OK)
            continue;
        const cq_line_t *cl = &c->lines[i];
        __int128 fee;
        if (x->in_network) {
            fee = s_round_div((__int128)l->rule->fee * cl->units_milli, 1000);
        } else if (l->plan->oon_covered) {
            fee = s_round_div((__int128)l->rule->fee * cl->units_milli *
                                  l->plan->oon_factor_ppm,
                              INT64_C(1000000000));
        } else {
            l->why = S_OUT_OF_NETWORK;
            continue;
        }
        l->allowed = fee < cl->charge ? (int64_t)fee : cl->charge;
        l->co45 = cl->charge - l->allowed;
    }
    return S_NEXT;
}

//  7. cost share per line, in line order, on the plan-year accumulators:
//  PR-3 copay, PR-1 deductible, PR-2 coinsurance, capped by the
//  out-of-pocket maximum
static s_step_t
s_stage_cost_share(s_ctx_t *x)
{
    const cq_claim_t *c = x->c;
    s_acc_t accs[CQ_MAX_LINES];
    size_t n_accs = 0;
    for (size_t i = 0; i < x->n; i++) {
        s_line_t *l = &x->L[i];
        if (l->why != S_OK)
            continue;
        const cq_line_t *cl = &c->lines[i];
        uint32_t plan_id = s_plan_id(x->self, x->st, l->plan_idx, l->plan);
        s_acc_t *a = s_acc(x->st, accs, &n_accs, x->m, x->mid, l->plan, plan_id,
                           l->py, x->exclude);
        int64_t ded_left = l->plan->deductible - a->ded;
        int64_t oop_left = l->plan->oop_max - a->oop;
        if (ded_left < 0)
            ded_left = 0;
        if (oop_left < 0)
            oop_left = 0;
        int64_t rate =
            x->in_network ? l->plan->coins_ppm : l->plan->oon_coins_ppm;
        int64_t allowed = l->allowed;
        l->copay = s_min(s_min(l->rule->copay, allowed), oop_left);
        l->ded =
            s_min(s_min(allowed - l->copay, ded_left), oop_left - l->copay);
        l->coins = s_min(s_apply_rate(allowed - l->copay - l->ded, rate),
                         oop_left - l->copay - l->ded);
        l->paid = allowed - l->copay - l->ded - l->coins;
        a->ded += l->ded;
        a->oop += l->copay + l->ded + l->coins;

        cq_state_line_t *sl = &x->acc_lines[x->n_acc_lines++];
        sl->line = (uint8_t)(i + 1);
        sl->member_id = x->mid;
        sl->npi_id = x->npi_id;
        sl->proc_id = l->proc;
        sl->plan_id = plan_id;
        sl->track_freq = s_is_limited(x->self, cl->procedure);
        sl->acc_hint = a->idx;
        sl->member_key = x->mkey;
        sl->npi = c->billing_npi;
        sl->proc = cl->procedure;
        sl->plan = l->plan->plan_id;
        sl->date = cl->service_date;
        sl->py_start = l->py;
        sl->mods = l->mods;
        sl->charge = cl->charge;
        sl->copay = l->copay;
        sl->ded = l->ded;
        sl->coins = l->coins;
    }
    return S_NEXT;
}

//  A denied line's reason, in words.
static void
s_line_reason(s_ctx_t *x, size_t i)
{
    const s_line_t *l = &x->L[i];
    const cq_line_t *cl = &x->c->lines[i];
    cq_decision_t *d = x->d;
    unsigned ln = (unsigned)i + 1;
    const char *g = s_codes[l->why].group, *carc = s_codes[l->why].carc;
    const char *rarc = s_codes[l->why].rarc;
    switch (l->why) {
    case S_BEFORE_COVERAGE:
        s_reason(d, ln, g, carc, rarc,
                 "service date is before the member's coverage starts");
        break;
    case S_AFTER_COVERAGE:
        s_reason(d, ln, g, carc, rarc,
                 "service date is after the member's coverage ended");
        break;
    case S_PLAN_UNKNOWN:
        s_reason(d, ln, g, carc, rarc,
                 "plan_id: the member's plan \"%.39s\" is not in the plan "
                 "file",
                 l->plan_name);
        break;
    case S_DUPLICATE:
        s_reason(
            d, ln, g, carc, rarc, "exact duplicate of a line of claim %s",
            s_rec_claim_id(x->st, l->other, x->other_id, sizeof x->other_id));
        break;
    case S_NOT_COVERED:
        s_reason(d, ln, g, carc, rarc,
                 "procedure %.11s is not in the fee schedule of plan %s",
                 cl->procedure, l->plan->plan_id);
        break;
    case S_EXCLUDED:
        s_reason(d, ln, g, carc, rarc, "procedure %.11s is excluded by plan %s",
                 cl->procedure, l->plan->plan_id);
        break;
    case S_PRIOR_AUTH:
        s_reason(d, ln, g, carc, rarc,
                 "procedure %.11s needs prior authorization; the claim has "
                 "none",
                 cl->procedure);
        break;
    case S_FREQUENCY:
        s_reason(d, ln, g, carc, rarc,
                 "frequency limit of procedure %.11s reached (%d per %s)",
                 cl->procedure, (int)l->rule->freq_max,
                 l->rule->per == CQ_PER_PLAN_YEAR       ? "plan year"
                 : l->rule->per == CQ_PER_CALENDAR_YEAR ? "calendar year"
                                                        : "lifetime");
        break;
    case S_OUT_OF_NETWORK:
        s_reason(d, ln, g, carc, rarc,
                 "billing provider %.10s is out of network and plan %s does "
                 "not cover out-of-network services",
                 x->c->billing_npi, l->plan->plan_id);
        break;
    default:
        break;
    }
}

//  8. the outcome: amounts, adjustments and reasons in line order; reject
//  when every line is denied, else accept (recorded with its lines)
static s_step_t
s_stage_outcome(s_ctx_t *x)
{
    cq_decision_t *d = x->d;
    for (size_t i = 0; i < x->n; i++) {
        const s_line_t *l = &x->L[i];
        unsigned ln = (unsigned)i + 1;
        if (l->why == S_OK) {
            d->lines[i].allowed = l->allowed;
            d->lines[i].paid = l->paid;
            d->allowed += l->allowed;
            d->paid += l->paid;
            d->patient_resp += l->copay + l->ded + l->coins;
            s_adj(d, ln, "CO", "45", l->co45);
            s_adj(d, ln, "PR", "3", l->copay);
            s_adj(d, ln, "PR", "1", l->ded);
            s_adj(d, ln, "PR", "2", l->coins);
            continue;
        }
        d->lines[i].denied = true;
        s_adj(d, ln, s_codes[l->why].group, s_codes[l->why].carc,
              x->c->lines[i].charge);
        s_line_reason(x, i);
    }
    if (x->n_acc_lines == 0) {
        d->decision = CQ_DECISION_REJECT;
        return S_RECORD;
    }
    d->decision = CQ_DECISION_ACCEPT;
    x->e.lines = x->acc_lines;
    x->e.n_lines = x->n_acc_lines;
    x->e.reverses = x->exclude;
    x->e.replaces = x->replaces;
    size_t hist_before = x->st->n_hist;
    x->rc = cq_state_record(x->st, d, &x->e);
    if (x->rc != 0)
        return S_RETURN;
    cq_member_t *m = x->m;
    if (x->mid == CQ_STATE_NONE)
        m->user = cq_state_member_find(x->st, x->c->payer_id, x->c->member.id);
    //  the lines just recorded go into the member's filter (their ids
    //  exist now)
    if (x->self->cached_hist == hist_before) {
        for (size_t i = hist_before; i < x->st->n_hist; i++)
            m->user_bits |=
                s_hist_bit(x->st->hist[i].date, x->st->hist[i].proc);
        x->self->cached_hist = x->st->n_hist;
    }
    return S_RETURN;
}

//  The edit order of adjudication (the file's header comment): each stage
//  owns its codes; the first that settles the claim ends it.
static s_step_t (*const s_stages[])(s_ctx_t *) = {
    s_stage_settled,    s_stage_syntax,      s_stage_original,
    s_stage_member,     s_stage_eligibility, s_stage_timely_filing,
    s_stage_duplicates, s_stage_coverage,    s_stage_pricing,
    s_stage_cost_share, s_stage_outcome,
};

int
cq_engine_decide_with(cq_engine_t *self, cq_state_t *st, const cq_claim_t *c,
                      int32_t received_default, const cq_decide_opts_t *opts,
                      cq_decision_t *d, bool *replayed)
{
    assert(self && st && c && d);
    if (replayed)
        *replayed = false;

    //  0. resubmission of a claim key already decided
    char key[CQ_KEY_LEN];
    size_t klen = s_key(key, c->payer_id, c->billing_npi, c->claim_id,
                        c->frequency ? c->frequency : '1');
    //  a claim without a usable id is named by its record: "#3" straight
    //  from a decoder is never the same claim as another one; scoped by its
    //  document ("#1f2e3d4c:3", doc.c) it is, when the document comes again
    bool keyed = c->claim_id[0] != '\0' &&
                 (c->claim_id[0] != '#' || strchr(c->claim_id, ':') != NULL);
    uint32_t superseded = CQ_STATE_NONE;
    if (keyed) {
        uint32_t rec = cq_state_find_key(st, key, klen);
        if (rec != CQ_STATE_NONE && c->review &&
            st->recs[rec].outcome == CQ_DECISION_PEND) {
            //  a person released the pended claim: decide it again; the
            //  new decision supersedes the pend
            superseded = rec;
            rec = CQ_STATE_NONE;
        }
        if (rec != CQ_STATE_NONE) {
            int rc = cq_state_get(st, rec, d);
            if (rc == 0 && replayed)
                *replayed = true;
            return rc == 0 ? 0 : CQ_EIO;
        }
    }

    s_cache_state(self, st);
    s_start(self, c, opts, d);
    s_ctx_t x;
    x.self = self;
    x.st = st;
    x.c = c;
    x.d = d;
    x.received_default = received_default;
    x.n = d->n_lines;
    x.n_acc_lines = 0;
    x.exclude = x.replaces = CQ_STATE_NONE;
    x.m = NULL;
    x.mid = x.npi_id = CQ_STATE_NONE;
    x.alive = 0;
    x.claim_plan = NULL;
    x.in_network = false;
    x.rc = 0;
    //  the member, "payer\x1fmember_id": the ledger stores it with every
    //  decision, and duplicates and accumulators are kept under it
    size_t np = strnlen(c->payer_id, CQ_ID_LEN - 1);
    size_t nm = strnlen(c->member.id, CQ_ID_LEN - 1);
    memcpy(x.mkey, c->payer_id, np);
    x.mkey[np] = '\x1f';
    memcpy(x.mkey + np + 1, c->member.id, nm);
    x.mkey[np + 1 + nm] = '\0';
    x.e = (cq_state_entry_t){
        .key = key,
        .index_key = keyed,
        .orig_lineage = NULL,
        .reverses = CQ_STATE_NONE,
        .replaces = CQ_STATE_NONE,
        .lines = NULL,
        .n_lines = 0,
        .member_key = x.mkey,
        .supersedes1 = superseded == CQ_STATE_NONE ? 0 : superseded + 1};
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_stages); i++) {
        s_step_t step = s_stages[i](&x);
        if (step == S_RECORD)
            return cq_state_record(st, d, &x.e);
        if (step == S_RETURN)
            return x.rc;
    }
    return x.rc; // (s_stage_outcome always ends it)
}

void
cq_engine_prefetch(const cq_engine_t *self, const cq_state_t *st,
                   const cq_claim_t *c, int stage)
{
    if (stage == 1) {
        //  the slot is in the cache by now: load the member's block
        cq_roster_prefetch_block(self->roster, c->payer_id, c->member.id);
        return;
    }
    char key[CQ_KEY_LEN];
    size_t klen = s_key(key, c->payer_id, c->billing_npi, c->claim_id,
                        c->frequency ? c->frequency : '1');
    if (st->key_index.slots != NULL) {
        uint64_t h = cq_htab_fix(cq_strhash(key, klen));
        __builtin_prefetch(cq_htab_home(&st->key_index, h));
    }
    cq_roster_prefetch(self->roster, c->payer_id, c->member.id);
}

int
cq_engine_decide(cq_engine_t *self, cq_state_t *state, const cq_claim_t *claim,
                 int32_t received_default, cq_decision_t *out, bool *replayed)
{
    return cq_engine_decide_with(self, state, claim, received_default, NULL,
                                 out, replayed);
}
