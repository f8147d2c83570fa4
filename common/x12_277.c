//  x12_277.c: the 277CA claim acknowledgment (005010X214) of claims and
//  their decisions, and a reader that checks a 277CA's structure
//  (docs/formats.md "X12 277CA"; syntax failures are answered by the
//  999, content failures at the front end by a 277CA reject, adjudicated
//  denials by the 835).
//
//  What the writer chooses where the guide leaves a choice:
//  - one interchange, one GS*HN, one ST*277 per payer (the 2000A
//    information source), payers in order of first appearance; claims
//    keep their order inside a provider;
//  - 2000B information receiver: the submitter (the envelope's receiver),
//    one per ST, with STC A1:19:PR (the payer acknowledges receipt of the
//    batch) and the totals of its claims: QTY*90 / QTY*AA (accepted /
//    rejected claims), AMT*YU / AMT*YY (their CLM02 sums); zero totals
//    are left out;
//  - 2000C billing provider: one per billing NPI in order of first
//    appearance, NM1*85 with NM108 XX, its own totals QTY*QA / QTY*QC,
//    AMT*YU / AMT*YY;
//  - 2000D patient (HL03 PT, no HL04), one per claim: NM1*QC (the member),
//    TRN*2 with CLM01, one STC: A2:20 action WQ (accepted into
//    adjudication) for a claim that reached the rules engine, whatever it
//    decided (paid, denied, pended: their outcome is the 835's job);
//    A3:<code>[:<entity>] action U (returned as unprocessable, not
//    entered into adjudication) for a claim rejected before adjudication,
//    the claim status code and entity taken from the RARC of its CO-16
//    (M51 -> 454 procedure code, N257 -> 562:85 billing NPI ...; 21
//    missing or invalid information for the others), with STC12 saying
//    which field in words (the reason's message names fields, never
//    data); STC04 the claim's CLM02; REF*1K (payer claim control number)
//    for accepted claims: the claim id, as the 835's CLP07; DTP*472 the
//    claim's service dates (D8, or RD8 when they span days);
//  - no 2220D service lines: every rejection is at claim level.
//  BHT03 and the TRN02 of 2200A / 2200B carry one trace: the caller's, or
//  "CQ" + the date + the ST number; the 2200C TRN02 adds the provider's
//  rank to it.
#include "x12_int.h"
#include "money.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------- status

//  Claim status code (and entity) for the RARC of a front-end reject.
static const struct {
    const char *rarc, *code, *entity;
} s_rarc_status[] = {
    {"M51", "454", ""},    // procedure code for services rendered
    {"N519", "453", ""},   // procedure code modifier(s)
    {"M50", "455", ""},    // revenue code for services rendered
    {"M52", "187", ""},    // date(s) of service
    {"M59", "188", ""},    // statement from-through dates
    {"M53", "476", ""},    // missing or invalid units of service
    {"M54", "178", ""},    // submitted charges
    {"M79", "178", ""},    // submitted charges (a line's)
    {"M76", "255", ""},    // diagnosis code
    {"M77", "249", ""},    // place of service
    {"M47", "464", ""},    // payer assigned claim control number (REF*F8)
    {"N257", "562", "85"}, // entity's NPI: billing provider
    {"N290", "562", "82"}, // entity's NPI: rendering provider
    {"N382", "164", "IL"}, // entity's contract/member number: subscriber
};

//  The CO-16 reason of a decision that rejects before adjudication: its
//  reasons are all claim-level CO-16 (the engine's front-end checks);
//  NULL for any other decision.
static const cq_reason_t *
s_front_end_reject(const cq_decision_t *d)
{
    if (d->decision != CQ_DECISION_REJECT || d->n_reasons == 0)
        return NULL;
    for (uint16_t i = 0; i < d->n_reasons && i < CQ_MAX_REASONS; i++) {
        const cq_reason_t *r = &d->reasons[i];
        if (r->line != 0 || strcmp(r->group, "CO") != 0 ||
            strcmp(r->carc, "16") != 0)
            return NULL;
    }
    return &d->reasons[0];
}

void
cq_x12_277_status(const cq_claim_t *c, const cq_decision_t *d,
                  cq_x12_277_status_t *st)
{
    memset(st, 0, sizeof *st);
    const char *rarc = NULL;
    if (d) {
        const cq_reason_t *r = s_front_end_reject(d);
        if (r)
            rarc = r->rarc;
    } else if (c && c->invalid) {
        rarc = c->invalid_rarc;
    }
    st->accepted = rarc == NULL;
    cq_strlcpy(st->cat, st->accepted ? "A2" : "A3", sizeof st->cat);
    cq_strlcpy(st->code, st->accepted ? "20" : "21", sizeof st->code);
    for (size_t i = 0; rarc && i < CQ_ARRAY_LEN(s_rarc_status); i++)
        if (strcmp(rarc, s_rarc_status[i].rarc) == 0) {
            cq_strlcpy(st->code, s_rarc_status[i].code, sizeof st->code);
            cq_strlcpy(st->entity, s_rarc_status[i].entity, sizeof st->entity);
        }
}

// ------------------------------------------------------------- writer

//  Totals of a 2000B or 2000C level.
typedef struct {
    uint32_t acc_n, rej_n;
    int64_t acc_amt, rej_amt;
} s_tot_t;

typedef struct {
    cq_x12_out_t w;
    const cq_x12_277_opts_t *o;
    const cq_claim_t *claims;       // or NULL
    const cq_decision_t *decisions; // or NULL
    cq_x12_277_status_t *st;        // status of each claim
    uint32_t *next;                 // claims of a payer, chained
    uint32_t *idx;                  // scratch: the claims of one payer
    uint32_t *pfirst, *pnext;       // scratch: providers of one payer
    cq_claim_t bare;                // a claim made from a decision
} s_writer_t;

static const cq_claim_t *
s_claim(s_writer_t *W, size_t i)
{
    if (W->claims)
        return &W->claims[i];
    cq_x12_bare_claim(&W->decisions[i], &W->bare);
    return &W->bare;
}

static size_t
s_key(const char *v, char *buf, size_t size)
{
    cq_strlcpy(buf, v, size);
    return strlen(buf);
}

static size_t
s_payer_key(void *arg, size_t i, char *buf, size_t size)
{
    return s_key(s_claim(arg, i)->payer_id, buf, size);
}

static size_t
s_npi_key(void *arg, size_t j, char *buf, size_t size)
{
    s_writer_t *W = arg;
    return s_key(s_claim(W, W->idx[j])->billing_npi, buf, size);
}

static void
s_add(s_tot_t *t, const s_writer_t *W, const cq_claim_t *c, uint32_t i)
{
    if (W->st[i].accepted) {
        t->acc_n++;
        t->acc_amt += c->total_charge;
    } else {
        t->rej_n++;
        t->rej_amt += c->total_charge;
    }
}

//  QTY / AMT totals of a level (qualifiers: accepted, rejected).
static void
s_totals(cq_x12_out_t *w, const s_tot_t *t, const char *qa, const char *qr)
{
    char n[16], a[CQ_MONEY_STRLEN];
    if (t->acc_n) {
        snprintf(n, sizeof n, "%u", (unsigned)t->acc_n);
        cq_x12_out_seg(w, "QTY", 2, qa, n);
    }
    if (t->rej_n) {
        snprintf(n, sizeof n, "%u", (unsigned)t->rej_n);
        cq_x12_out_seg(w, "QTY", 2, qr, n);
    }
    if (t->acc_n)
        cq_x12_out_seg(w, "AMT", 2, "YU", cq_money_format_x12(t->acc_amt, a));
    if (t->rej_n)
        cq_x12_out_seg(w, "AMT", 2, "YY", cq_money_format_x12(t->rej_amt, a));
}

//  HL*id*parent*level[*child]; returns id.
static uint32_t
s_hl(cq_x12_out_t *w, uint32_t id, uint32_t parent, const char *level,
     const char *child)
{
    char h[16], p[16] = "";
    snprintf(h, sizeof h, "%u", (unsigned)id);
    if (parent)
        snprintf(p, sizeof p, "%u", (unsigned)parent);
    cq_x12_out_seg(w, "HL", 4, h, p, level, child);
    return id;
}

//  The claim's service dates: first and last day of its lines.
static void
s_dates(const cq_claim_t *c, int32_t *lo, int32_t *hi)
{
    *lo = *hi = CQ_DATE_NONE;
    for (uint8_t i = 0; i < c->n_lines && i < CQ_MAX_LINES; i++) {
        const cq_line_t *l = &c->lines[i];
        if (l->service_date == CQ_DATE_NONE)
            continue;
        int32_t e = l->service_date_end != CQ_DATE_NONE ? l->service_date_end
                                                        : l->service_date;
        if (*lo == CQ_DATE_NONE || l->service_date < *lo)
            *lo = l->service_date;
        if (*hi == CQ_DATE_NONE || e > *hi)
            *hi = e;
    }
}

//  Why claim i was rejected, in words (names fields, no data).
static const char *
s_why(const s_writer_t *W, const cq_claim_t *c, uint32_t i)
{
    if (W->decisions) {
        const cq_reason_t *r = s_front_end_reject(&W->decisions[i]);
        if (r && r->message[0])
            return r->message;
    }
    return c->invalid_msg;
}

//  One 2000D patient level.
static void
s_patient(s_writer_t *W, const cq_claim_t *c, uint32_t i, uint32_t hl,
          uint32_t parent)
{
    cq_x12_out_t *w = &W->w;
    const cq_x12_277_status_t *st = &W->st[i];
    s_hl(w, hl, parent, "PT", NULL);
    char last[CQ_NAME_LEN], first[CQ_NAME_LEN], mid[CQ_ID_LEN];
    cq_x12_out_clean(w, last, sizeof last, c->member.last_name, ' ');
    cq_x12_out_clean(w, first, sizeof first, c->member.first_name, ' ');
    cq_x12_out_clean(w, mid, sizeof mid, c->member.id, ' ');
    cq_x12_out_seg(w, "NM1", 9, "QC", "1", last[0] ? last : "UNKNOWN", first,
                   NULL, NULL, NULL, mid[0] ? "MI" : NULL, mid);
    cq_x12_out_seg(w, "TRN", 2, "2", c->claim_id);
    char stc[16], amt[CQ_MONEY_STRLEN], why[sizeof c->invalid_msg];
    char cs = w->seps.component;
    if (st->entity[0])
        snprintf(stc, sizeof stc, "%s%c%s%c%s", st->cat, cs, st->code, cs,
                 st->entity);
    else
        snprintf(stc, sizeof stc, "%s%c%s", st->cat, cs, st->code);
    cq_money_format_x12(c->total_charge, amt);
    if (st->accepted) {
        cq_x12_out_seg(w, "STC", 4, stc, w->date8, "WQ", amt);
        cq_x12_out_seg(w, "REF", 2, "1K", c->claim_id);
    } else {
        cq_x12_out_clean(w, why, sizeof why, s_why(W, c, i), ' ');
        cq_x12_out_seg(w, "STC", 12, stc, w->date8, "U", amt, NULL, NULL, NULL,
                       NULL, NULL, NULL, NULL, why);
    }
    int32_t lo, hi;
    s_dates(c, &lo, &hi);
    if (lo != CQ_DATE_NONE) {
        char d[20];
        cq_date_format_d8(lo, d);
        if (hi != lo) {
            d[8] = '-';
            cq_date_format_d8(hi, d + 9);
        }
        cq_x12_out_seg(w, "DTP", 3, "472", hi != lo ? "RD8" : "D8", d);
    }
}

//  One ST*277: the claims of one payer, from claim first on.
static void
s_write_set(s_writer_t *W, uint32_t first, uint32_t stn)
{
    cq_x12_out_t *w = &W->w;
    const cq_x12_277_opts_t *o = W->o;
    const cq_claim_t *c0 = s_claim(W, first);
    char payer[CQ_ID_LEN], ctl[16], trace[48], d8[9], amt[CQ_MONEY_STRLEN];
    cq_strlcpy(payer, c0->payer_id, sizeof payer);
    snprintf(ctl, sizeof ctl, "%04u", (unsigned)stn);
    if (o->trace && *o->trace && strlen(o->trace) <= 30) {
        cq_x12_out_clean(w, trace, sizeof trace, o->trace, '-');
        if (stn > 1)
            snprintf(trace + strlen(trace), sizeof trace - strlen(trace), "-%u",
                     (unsigned)stn);
    } else {
        snprintf(trace, sizeof trace, "CQ%s%04u", w->date8, (unsigned)stn);
    }
    //  The payer's claims, their providers, totals, the earliest received.
    uint32_t m = 0;
    s_tot_t all = {0};
    int32_t received = o->received_date;
    bool find_received = received == 0 || received == CQ_DATE_NONE;
    if (find_received)
        received = CQ_DATE_NONE;
    for (uint32_t i = first; i != UINT32_MAX; i = W->next[i]) {
        const cq_claim_t *c = s_claim(W, i);
        W->idx[m++] = i;
        s_add(&all, W, c, i);
        if (find_received && c->received_date != CQ_DATE_NONE &&
            (received == CQ_DATE_NONE || c->received_date < received))
            received = c->received_date;
    }
    uint32_t np = cq_x12_chain(m, NULL, s_npi_key, W, W->pfirst, W->pnext);
    size_t seg0 = w->segments;
    cq_x12_out_seg(w, "ST", 3, "277", ctl, "005010X214");
    cq_x12_out_seg(w, "BHT", 6, "0085", "08", trace, w->date8, w->hhmm, "TH");
    //  2000A information source: the payer
    s_hl(w, 1, 0, "20", "1");
    char name[CQ_NAME_LEN + 8];
    cq_x12_out_clean(w, name, sizeof name,
                     o->payer_name && *o->payer_name ? o->payer_name : payer,
                     ' ');
    cq_x12_out_seg(w, "NM1", 9, "PR", "2", name, NULL, NULL, NULL, NULL, "PI",
                   payer);
    cq_x12_out_seg(w, "TRN", 2, "1", trace);
    cq_x12_out_seg(w, "DTP", 3, "050", "D8",
                   received != CQ_DATE_NONE ? cq_date_format_d8(received, d8)
                                            : w->date8);
    cq_x12_out_seg(w, "DTP", 3, "009", "D8", w->date8);
    //  2000B information receiver: the submitter
    s_hl(w, 2, 1, "21", "1");
    cq_x12_out_clean(w, name, sizeof name,
                     o->receiver_name && *o->receiver_name ? o->receiver_name
                                                           : w->receiver,
                     ' ');
    cq_x12_out_seg(w, "NM1", 9, "41", "2", name, NULL, NULL, NULL, NULL, "46",
                   w->receiver);
    cq_x12_out_seg(w, "TRN", 2, "2", trace);
    char stc[16];
    snprintf(stc, sizeof stc, "A1%c19%cPR", w->seps.component,
             w->seps.component);
    cq_x12_out_seg(w, "STC", 4, stc, w->date8, "WQ",
                   cq_money_format_x12(all.acc_amt + all.rej_amt, amt));
    s_totals(w, &all, "90", "AA");
    //  2000C billing providers, each with its 2000D claims
    uint32_t hl = 2;
    for (uint32_t p = 0; p < np; p++) {
        const cq_claim_t *cp = s_claim(W, W->idx[W->pfirst[p]]);
        char npi[16], tr[64];
        cq_strlcpy(npi, cp->billing_npi, sizeof npi);
        cq_x12_out_clean(w, name, sizeof name,
                         cp->billing_name[0] ? cp->billing_name : npi, ' ');
        s_tot_t t = {0};
        for (uint32_t j = W->pfirst[p]; j != UINT32_MAX; j = W->pnext[j])
            s_add(&t, W, s_claim(W, W->idx[j]), W->idx[j]);
        uint32_t prov = s_hl(w, ++hl, 2, "19", "1");
        cq_x12_out_seg(w, "NM1", 9, "85", "2", name[0] ? name : "PROVIDER",
                       NULL, NULL, NULL, NULL, npi[0] ? "XX" : NULL, npi);
        snprintf(tr, sizeof tr, "%s.%u", trace, (unsigned)(p + 1));
        cq_x12_out_seg(w, "TRN", 2, "1", tr);
        s_totals(w, &t, "QA", "QC");
        for (uint32_t j = W->pfirst[p]; j != UINT32_MAX; j = W->pnext[j])
            s_patient(W, s_claim(W, W->idx[j]), W->idx[j], ++hl, prov);
    }
    char n[16];
    snprintf(n, sizeof n, "%zu", w->segments - seg0 + 1);
    cq_x12_out_seg(w, "SE", 2, n, ctl);
}

//  True when every byte of s may be written as a value.
static bool
s_writable(const cq_x12_out_t *w, const char *s)
{
    for (; *s; s++)
        if (!cq_x12_out_ok(w, (unsigned char)*s))
            return false;
    return true;
}

int
cq_x12_277_write(const cq_claim_t *claims, const cq_decision_t *decisions,
                 size_t n, const cq_x12_277_opts_t *o, cq_buf_t *out)
{
    cq_x12_277_opts_t none;
    memset(&none, 0, sizeof none);
    if (o == NULL)
        o = &none;
    assert(claims || decisions || n == 0);
    if (n >= UINT32_MAX / 4)
        return cq_diag_set(o->env.diag, CQ_ETOOBIG, 0, "277: too many claims");
    s_writer_t *W = cq_xcalloc(1, sizeof *W);
    W->o = o;
    W->claims = claims;
    W->decisions = decisions;
    W->st = cq_xcalloc(n + 1, sizeof *W->st);
    W->next = cq_xcalloc(n + 1, sizeof *W->next);
    W->idx = cq_xcalloc(n + 1, sizeof *W->idx);
    W->pfirst = cq_xcalloc(n + 1, sizeof *W->pfirst);
    W->pnext = cq_xcalloc(n + 1, sizeof *W->pnext);
    bool *skip = cq_xcalloc(n + 1, sizeof *skip);
    uint32_t *first = cq_xcalloc(n + 1, sizeof *first);
    cq_x12_envelope_t env = o->env;
    cq_x12_out_init(&W->w, &env, "SUBMITTER", out);
    if (!s_writable(&W->w, W->w.receiver))
        cq_strlcpy(W->w.receiver, "SUBMITTER", sizeof W->w.receiver);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const cq_claim_t *c = s_claim(W, i);
        cq_x12_277_status(c, decisions ? &decisions[i] : NULL, &W->st[i]);
        if (!s_writable(&W->w, c->claim_id) ||
            !s_writable(&W->w, c->payer_id) ||
            !s_writable(&W->w, c->billing_npi) || c->claim_id[0] == '\0') {
            skip[i] = true;
            bad = cq_diag_set(o->env.diag, CQ_EINVAL, i,
                              "claim %zu: claim_id, payer_id or billing NPI "
                              "holds an X12 delimiter (or no claim_id)",
                              i + 1);
        }
    }
    uint32_t ng = cq_x12_chain(n, skip, s_payer_key, W, first, W->next);
    if ((o->env.sender_id == NULL || !*o->env.sender_id) && ng > 0) {
        const char *payer = s_claim(W, first[0])->payer_id;
        cq_strlcpy(W->w.sender, payer[0] ? payer : "CLAIMQ",
                   sizeof W->w.sender);
    }
    uint32_t control = o->env.control ? o->env.control : 1;
    if (ng > 0) {
        cq_x12_out_isa(&W->w, control);
        cq_x12_out_gs(&W->w, "HN", control, "005010X214");
        for (uint32_t g = 0; g < ng; g++)
            s_write_set(W, first[g], g + 1);
        cq_x12_out_ge(&W->w, ng, control);
        cq_x12_out_iea(&W->w, 1, control);
    }
    int rc = W->w.err ? W->w.err : bad;
    free(skip);
    free(first);
    free(W->st);
    free(W->next);
    free(W->idx);
    free(W->pfirst);
    free(W->pnext);
    free(W);
    return rc;
}

// ------------------------------------------------------------- reader

//  One HL of the set being read.
typedef struct {
    uint64_t id;
    int level;     // 0 20, 1 21, 2 19, 3 PT
    uint32_t up;   // index of its parent, or UINT32_MAX
    char child;    // HL04 ('1', '0', or 0 when absent)
    uint32_t kids; // HLs naming it as parent
    s_tot_t said;  // QTY / AMT it carries
    s_tot_t got;   // what its claims say
} s_hl_t;

typedef struct {
    cq_x12_277_check_t *out;
    s_hl_t *hl;
    uint32_t n_hl, cap_hl;
    cq_x12_277_claim_t claim; // the PT level being read
    bool in_claim, has_nm1, has_trn, has_stc;
    char npi[16]; // NM109 of the current 19
} s_check_t;

static void s_problem(s_check_t *K, const char *fmt, ...) CQ_PRINTF(2, 3);

static void
s_problem(s_check_t *K, const char *fmt, ...)
{
    if (K->out->problems++ > 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(K->out->problem, sizeof K->out->problem, fmt, ap);
    va_end(ap);
}

static int
s_level(cq_x12_str_t v)
{
    static const char *const names[] = {"20", "21", "19", "PT"};
    for (int i = 0; i < 4; i++)
        if (cq_x12_eq(v, names[i]))
            return i;
    return -1;
}

//  Ends the PT level being read: checks it, adds it to its levels'
//  totals, hands it to fn.
static int
s_end_claim(s_check_t *K, cq_x12_277_claim_fn *fn, void *arg)
{
    if (!K->in_claim)
        return 0;
    K->in_claim = false;
    cq_x12_277_claim_t *c = &K->claim;
    if (!K->has_nm1 || !K->has_trn || !K->has_stc)
        s_problem(K, "HL %u: a patient level needs NM1*QC, TRN*2 and STC",
                  (unsigned)c->hl);
    bool acc = strcmp(c->action, "WQ") == 0;
    if (!acc && strcmp(c->action, "U") != 0)
        s_problem(K, "HL %u: STC03 must be WQ or U", (unsigned)c->hl);
    K->out->claims++;
    if (acc)
        K->out->accepted++;
    else
        K->out->rejected++;
    for (uint32_t h = K->n_hl - 1; h != UINT32_MAX; h = K->hl[h].up) {
        s_tot_t *t = &K->hl[h].got;
        if (acc) {
            t->acc_n++;
            t->acc_amt += c->amount;
        } else {
            t->rej_n++;
            t->rej_amt += c->amount;
        }
    }
    return fn ? fn(arg, c) : 0;
}

static void
s_hl_read(s_check_t *K, const cq_x12_seg_t *seg)
{
    cq_x12_str_t id = cq_x12_elem(seg, 1), up = cq_x12_elem(seg, 2),
                 lv = cq_x12_elem(seg, 3), ch = cq_x12_elem(seg, 4);
    uint64_t v = 0, p = 0;
    int level = s_level(lv);
    if (cq_x12_uint(id, &v) != 0 || level < 0) {
        s_problem(K, "HL: HL01 must be a number, HL03 20, 21, 19 or PT");
        return;
    }
    if (K->n_hl > 0 && v <= K->hl[K->n_hl - 1].id)
        s_problem(K, "HL %u: ids must increase", (unsigned)v);
    uint32_t parent = UINT32_MAX;
    if (level == 0) {
        if (up.n)
            s_problem(K, "HL %u: level 20 has no parent", (unsigned)v);
    } else if (cq_x12_uint(up, &p) != 0) {
        s_problem(K, "HL %u: HL02 missing", (unsigned)v);
    } else {
        for (uint32_t i = K->n_hl; i-- > 0;)
            if (K->hl[i].id == p) {
                parent = i;
                break;
            }
        if (parent == UINT32_MAX || K->hl[parent].level != level - 1)
            s_problem(K, "HL %u: parent %u is not an HL of the level above",
                      (unsigned)v, (unsigned)p);
    }
    if (level == 3 ? ch.n != 0 : !(cq_x12_eq(ch, "1") || cq_x12_eq(ch, "0")))
        s_problem(K, "HL %u: HL04 must be 1 or 0 (absent for PT)", (unsigned)v);
    if (K->n_hl == K->cap_hl) {
        K->cap_hl = K->cap_hl ? K->cap_hl * 2 : 64;
        K->hl = cq_xrealloc(K->hl, K->cap_hl * sizeof *K->hl);
    }
    s_hl_t *h = &K->hl[K->n_hl++];
    memset(h, 0, sizeof *h);
    h->id = v;
    h->level = level;
    h->up = parent;
    h->child = ch.n == 1 ? ch.p[0] : 0;
    if (parent != UINT32_MAX)
        K->hl[parent].kids++;
    K->out->hl[level]++;
    if (level == 3) {
        K->in_claim = true;
        K->has_nm1 = K->has_trn = K->has_stc = false;
        memset(&K->claim, 0, sizeof K->claim);
        K->claim.hl = (uint32_t)v;
        cq_strlcpy(K->claim.billing_npi, K->npi, sizeof K->claim.billing_npi);
    }
}

//  QTY / AMT of the current 21 or 19 level.
static void
s_total_read(s_check_t *K, const cq_x12_seg_t *seg, bool qty)
{
    if (K->n_hl == 0 || K->in_claim)
        return;
    s_hl_t *h = &K->hl[K->n_hl - 1];
    cq_x12_str_t q = cq_x12_elem(seg, 1), v = cq_x12_elem(seg, 2);
    const char *acc = h->level == 1 ? "90" : "QA";
    const char *rej = h->level == 1 ? "AA" : "QC";
    uint64_t n = 0;
    int64_t a = 0;
    if (qty && cq_x12_uint(v, &n) == 0 && cq_x12_eq(q, acc))
        h->said.acc_n = (uint32_t)n;
    else if (qty && cq_x12_uint(v, &n) == 0 && cq_x12_eq(q, rej))
        h->said.rej_n = (uint32_t)n;
    else if (!qty && cq_x12_amount(v, &a) == 0 && cq_x12_eq(q, "YU"))
        h->said.acc_amt = a;
    else if (!qty && cq_x12_amount(v, &a) == 0 && cq_x12_eq(q, "YY"))
        h->said.rej_amt = a;
    else
        s_problem(K, "%s*%.*s: not a total of this level", seg->id,
                  (int)(q.n > 4 ? 4 : q.n), q.p);
}

//  Claim-level segments of a PT level.
static void
s_claim_read(s_check_t *K, const cq_x12_seg_t *seg)
{
    cq_x12_277_claim_t *c = &K->claim;
    cq_x12_str_t e1 = cq_x12_elem(seg, 1), e2 = cq_x12_elem(seg, 2);
    char cs = seg->seps.component;
    switch (cq_x12_id(seg)) {
    case CQ_X12_ID('N', 'M', '1'):
        K->has_nm1 |= cq_x12_eq(e1, "QC");
        break;
    case CQ_X12_ID('T', 'R', 'N'):
        K->has_trn |= cq_x12_eq(e1, "2");
        cq_x12_copy(c->claim_id, sizeof c->claim_id, e2);
        break;
    case CQ_X12_ID('S', 'T', 'C'):
        if (K->has_stc)
            break; // one per claim is written; the first one counts
        K->has_stc = true;
        cq_x12_copy(c->cat, sizeof c->cat, cq_x12_comp(e1, cs, 1));
        cq_x12_copy(c->code, sizeof c->code, cq_x12_comp(e1, cs, 2));
        cq_x12_copy(c->entity, sizeof c->entity, cq_x12_comp(e1, cs, 3));
        cq_x12_copy(c->action, sizeof c->action, cq_x12_elem(seg, 3));
        if (cq_x12_amount(cq_x12_elem(seg, 4), &c->amount) != 0)
            s_problem(K, "HL %u: STC04 is not an amount", (unsigned)c->hl);
        break;
    case CQ_X12_ID('R', 'E', 'F'):
        if (cq_x12_eq(e1, "1K"))
            cq_x12_copy(c->payer_claim_id, sizeof c->payer_claim_id, e2);
        break;
    default:
        break;
    }
}

//  At SE: HL04 against the children seen, totals against the claims.
static void
s_end_set(s_check_t *K)
{
    for (uint32_t i = 0; i < K->n_hl; i++) {
        const s_hl_t *h = &K->hl[i];
        if (h->level < 3 && (h->child == '1') != (h->kids > 0))
            s_problem(K, "HL %u: HL04 %c but %u children", (unsigned)h->id,
                      h->child ? h->child : '-', (unsigned)h->kids);
        if ((h->level == 1 || h->level == 2) &&
            memcmp(&h->said, &h->got, sizeof h->said) != 0)
            s_problem(K,
                      "HL %u: QTY/AMT say %u accepted %lld, %u rejected "
                      "%lld; its claims %u %lld, %u %lld",
                      (unsigned)h->id, (unsigned)h->said.acc_n,
                      (long long)h->said.acc_amt, (unsigned)h->said.rej_n,
                      (long long)h->said.rej_amt, (unsigned)h->got.acc_n,
                      (long long)h->got.acc_amt, (unsigned)h->got.rej_n,
                      (long long)h->got.rej_amt);
    }
    K->n_hl = 0;
}

int
cq_x12_277_check(const void *buf, size_t len, cq_x12_277_claim_fn *fn,
                 void *arg, cq_x12_277_check_t *out, cq_diag_t *diag)
{
    memset(out, 0, sizeof *out);
    s_check_t K;
    memset(&K, 0, sizeof K);
    K.out = out;
    cq_x12_reader_t r;
    cq_x12_reader_init(&r, buf, len);
    cq_x12_seg_t *seg = cq_xmalloc(sizeof *seg);
    bool in_set = false;
    uint32_t count = 0;
    char ctl[16] = "";
    int rc = 0, k;
    while (rc == 0 && (k = cq_x12_reader_next(&r, seg)) > 0) {
        uint32_t id = cq_x12_id(seg);
        if (id == CQ_X12_ID('S', 'T', 0)) {
            in_set = cq_x12_eq(cq_x12_elem(seg, 1), "277");
            count = 1;
            cq_x12_copy(ctl, sizeof ctl, cq_x12_elem(seg, 2));
            out->sets += in_set;
            K.n_hl = 0;
            K.in_claim = false;
            continue;
        }
        if (!in_set)
            continue;
        count++;
        switch (id) {
        case CQ_X12_ID('S', 'E', 0): {
            rc = s_end_claim(&K, fn, arg);
            s_end_set(&K);
            uint64_t n = 0;
            if (cq_x12_uint(cq_x12_elem(seg, 1), &n) != 0 || n != count)
                s_problem(&K, "SE01 says %.*s segments, counted %u",
                          (int)(cq_x12_elem(seg, 1).n > 12
                                    ? 12
                                    : cq_x12_elem(seg, 1).n),
                          cq_x12_elem(seg, 1).p, (unsigned)count);
            if (!cq_x12_eq(cq_x12_elem(seg, 2), ctl))
                s_problem(&K, "SE02 does not match ST02 %s", ctl);
            in_set = false;
            break;
        }
        case CQ_X12_ID('H', 'L', 0):
            rc = s_end_claim(&K, fn, arg);
            s_hl_read(&K, seg);
            break;
        case CQ_X12_ID('N', 'M', '1'):
            if (!K.in_claim && K.n_hl > 0 && K.hl[K.n_hl - 1].level == 2 &&
                cq_x12_copy(K.npi, sizeof K.npi, cq_x12_elem(seg, 9)) != 0)
                K.npi[0] = '\0';
            if (K.in_claim)
                s_claim_read(&K, seg);
            break;
        case CQ_X12_ID('Q', 'T', 'Y'):
        case CQ_X12_ID('A', 'M', 'T'):
            s_total_read(&K, seg, id == CQ_X12_ID('Q', 'T', 'Y'));
            break;
        default:
            if (K.in_claim)
                s_claim_read(&K, seg);
            break;
        }
    }
    if (in_set)
        s_problem(&K, "ST %s: no SE", ctl);
    free(seg);
    free(K.hl);
    if (rc != 0)
        return rc;
    if (r.err || out->sets == 0)
        return cq_diag_set(diag, CQ_EPROTO, r.err_at, "%s",
                           r.err ? r.err_msg : "no 277 transaction set");
    return (int)out->claims;
}
