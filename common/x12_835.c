//  x12_835.c: the 835 remittance (005010X221A1) from claims and their
//  decisions, and a reader that checks an 835's balancing rules
//  (docs/formats.md "X12 835 remittance").
//
//  Balancing is made to hold by construction, whatever the decision holds:
//  for each line, billed - paid not explained by its adjustments is first
//  taken from the claim-level adjustments (a claim-level reject carries
//  one adjustment for the whole billed amount: it is spread over the lines
//  so that every SVC balances), then from the line's own reason; what the
//  claim still does not explain (CLM02 above the sum of the lines, say)
//  stays at claim level with the claim's reason.
#include "x12_int.h"
#include "money.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------- writer

#define S_MAX_CAS (CQ_MAX_ADJ + CQ_MAX_LINES + 8)

typedef struct {
    char group[3];
    char code[6];
    int64_t amount;
} s_adj_t;

//  One line of a CLP as written.
typedef struct {
    int64_t billed, paid, allowed;
    s_adj_t adj[CQ_MAX_ADJ + 8];
    uint16_t n_adj;
} s_svc_t;

//  One CLP as written, balanced.
typedef struct {
    int64_t billed, paid, resp;
    s_adj_t adj[S_MAX_CAS]; // claim level
    uint16_t n_adj;
    uint8_t n_svc; // 0: claim level only
    s_svc_t svc[CQ_MAX_LINES];
} s_clp_t;

typedef struct {
    cq_x12_out_t w;
    const cq_x12_835_opts_t *o;
    uint32_t *next;  // claims of a group, chained
    int64_t *paid;   // what each claim's CLPs pay in total
    cq_claim_t bare; // a claim made from a decision (no claims given)
    s_clp_t clp;     // scratch
} s_writer_t;

//  Claim i, or, when the caller has decisions only, a bare claim made
//  from decision i (no lines: the CLP then carries every adjustment).
static const cq_claim_t *
s_claim_at(s_writer_t *W, const cq_claim_t *claims,
           const cq_decision_t *decisions, size_t i)
{
    if (claims)
        return &claims[i];
    cq_x12_bare_claim(&decisions[i], &W->bare);
    return &W->bare;
}

static void
s_push(s_adj_t *arr, uint16_t *n, size_t cap, const char *group,
       const char *code, int64_t amount)
{
    if (amount == 0)
        return;
    for (uint16_t i = 0; i < *n; i++)
        if (strcmp(arr[i].group, group) == 0 &&
            strcmp(arr[i].code, code) == 0) {
            arr[i].amount += amount;
            return;
        }
    if (*n >= cap)
        return; // cannot happen with the caps above
    cq_strlcpy(arr[*n].group, group, sizeof arr[*n].group);
    cq_strlcpy(arr[*n].code, code, sizeof arr[*n].code);
    arr[*n].amount = amount;
    (*n)++;
}

//  The CARC to give an amount nothing else explains: the line's reason,
//  else the claim's, else OA-A1 (claim/service denied).
static void
s_reason_for(const cq_decision_t *d, unsigned line, const char **group,
             const char **code)
{
    *group = "OA";
    *code = "A1";
    for (int pass = 0; pass < 2; pass++)
        for (uint16_t i = 0; i < d->n_reasons; i++) {
            const cq_reason_t *r = &d->reasons[i];
            if ((pass == 0 && r->line == line && line != 0) ||
                (pass == 1 && r->line == 0)) {
                if (r->group[0] && r->carc[0]) {
                    *group = r->group;
                    *code = r->carc;
                    return;
                }
            }
        }
}

//  Builds the balanced CLP of (c, d); sign -1 negates everything (a
//  reversal written from a decision that holds positive amounts).
static void
s_build(s_clp_t *p, const cq_claim_t *c, const cq_decision_t *d, int sign,
        bool lines)
{
    memset(p, 0, offsetof(s_clp_t, svc));
    bool use_d = d->n_lines == c->n_lines;
    p->n_svc =
        lines && c->n_lines > 0 && (use_d || d->n_lines == 0) ? c->n_lines : 0;
    //  claim-level adjustments: line 0 and lines out of range
    int64_t pool_amt[CQ_MAX_ADJ];
    uint16_t pool_n = 0;
    const cq_adjustment_t *pool[CQ_MAX_ADJ];
    for (uint16_t i = 0; i < d->n_adj && i < CQ_MAX_ADJ; i++) {
        const cq_adjustment_t *a = &d->adj[i];
        if (a->line == 0 || a->line > p->n_svc) {
            pool[pool_n] = a;
            pool_amt[pool_n++] = sign * a->amount;
        }
    }
    for (uint8_t i = 0; i < p->n_svc; i++) {
        s_svc_t *s = &p->svc[i];
        memset(s, 0, sizeof *s);
        if (use_d) {
            s->billed = sign * d->lines[i].billed;
            s->paid = sign * d->lines[i].paid;
            s->allowed = sign * d->lines[i].allowed;
        } else {
            s->billed = sign * c->lines[i].charge;
        }
        int64_t left = s->billed - s->paid;
        for (uint16_t k = 0; k < d->n_adj; k++) {
            const cq_adjustment_t *a = &d->adj[k];
            if (a->line == i + 1) {
                s_push(s->adj, &s->n_adj, CQ_ARRAY_LEN(s->adj), a->group,
                       a->code, sign * a->amount);
                left -= sign * a->amount;
            }
        }
        //  Take what is missing from the claim-level adjustments.
        for (uint16_t k = 0; k < pool_n && left != 0; k++) {
            int64_t v = pool_amt[k];
            if (v == 0 || (v > 0) != (left > 0))
                continue;
            int64_t take = (v > 0 ? v < left : v > left) ? v : left;
            s_push(s->adj, &s->n_adj, CQ_ARRAY_LEN(s->adj), pool[k]->group,
                   pool[k]->code, take);
            pool_amt[k] -= take;
            left -= take;
        }
        if (left != 0) {
            const char *g, *cd;
            s_reason_for(d, i + 1u, &g, &cd);
            s_push(s->adj, &s->n_adj, CQ_ARRAY_LEN(s->adj), g, cd, left);
        }
    }
    //  Claim level: billed (CLM02 for an ordinary claim, the decision's
    //  for a reversal), paid, and what the lines do not explain.
    p->billed = sign < 0 || d->billed < 0 ? sign * d->billed : c->total_charge;
    p->paid = sign * d->paid;
    int64_t left = p->billed - p->paid;
    for (uint16_t k = 0; k < pool_n; k++) {
        s_push(p->adj, &p->n_adj, CQ_ARRAY_LEN(p->adj), pool[k]->group,
               pool[k]->code, pool_amt[k]);
        left -= pool_amt[k];
    }
    for (uint8_t i = 0; i < p->n_svc; i++)
        left -= p->svc[i].billed - p->svc[i].paid;
    if (left != 0) {
        const char *g, *cd;
        s_reason_for(d, 0, &g, &cd);
        s_push(p->adj, &p->n_adj, CQ_ARRAY_LEN(p->adj), g, cd, left);
    }
    for (uint16_t k = 0; k < p->n_adj; k++)
        if (strcmp(p->adj[k].group, "PR") == 0)
            p->resp += p->adj[k].amount;
    for (uint8_t i = 0; i < p->n_svc; i++)
        for (uint16_t k = 0; k < p->svc[i].n_adj; k++)
            if (strcmp(p->svc[i].adj[k].group, "PR") == 0)
                p->resp += p->svc[i].adj[k].amount;
}

//  CAS segments: one per group code, six triplets each at most.
static void
s_cas(cq_x12_out_t *w, const s_adj_t *adj, uint16_t n)
{
    static const char *const groups[] = {"CO", "PR", "OA", "PI", "CR"};
    bool done[S_MAX_CAS] = {false};
    for (size_t gi = 0; gi <= CQ_ARRAY_LEN(groups); gi++) {
        for (uint16_t i = 0; i < n; i++) {
            if (done[i] || adj[i].amount == 0)
                continue;
            const char *g =
                gi < CQ_ARRAY_LEN(groups) ? groups[gi] : adj[i].group;
            if (strcmp(adj[i].group, g) != 0)
                continue;
            //  up to six of this group
            const char *e[19] = {g};
            char amt[6][CQ_MONEY_STRLEN];
            int t = 0;
            for (uint16_t k = i; k < n && t < 6; k++) {
                if (done[k] || adj[k].amount == 0 ||
                    strcmp(adj[k].group, g) != 0)
                    continue;
                done[k] = true;
                cq_money_format_x12(adj[k].amount, amt[t]);
                e[1 + 3 * t] = adj[k].code;
                e[2 + 3 * t] = amt[t];
                e[3 + 3 * t] = NULL;
                t++;
            }
            cq_x12_out_seg(w, "CAS", 1 + 3 * t, e[0], e[1], e[2], e[3], e[4],
                           e[5], e[6], e[7], e[8], e[9], e[10], e[11], e[12],
                           e[13], e[14], e[15], e[16], e[17], e[18]);
        }
    }
}

//  A name for the 835 with any delimiter turned into a space.
static void
s_clean(const cq_x12_out_t *w, char *dst, size_t n, const char *src)
{
    cq_x12_out_clean(w, dst, n, src, ' ');
}

static void
s_units(int64_t milli, char *out, size_t n)
{
    if (milli % 1000 == 0) {
        snprintf(out, n, "%lld", (long long)(milli / 1000));
    } else {
        snprintf(out, n, "%lld.%03lld", (long long)(milli / 1000),
                 (long long)(milli % 1000));
        size_t k = strlen(out);
        while (out[k - 1] == '0')
            out[--k] = '\0';
    }
}

//  Writes one CLP loop (2100 + 2110s).
static void
s_write_clp(s_writer_t *W, const cq_claim_t *c, const cq_decision_t *d,
            const char *status, const char *claim_id, const char *payer_ctl,
            char frequency, const s_clp_t *p)
{
    cq_x12_out_t *w = &W->w;
    char cs = w->seps.component;
    char billed[CQ_MONEY_STRLEN], paid[CQ_MONEY_STRLEN], resp[CQ_MONEY_STRLEN];
    char freq[2] = {frequency ? frequency : '1', 0};
    const char *fil = W->o->filing_indicator && *W->o->filing_indicator
                          ? W->o->filing_indicator
                          : "12";
    const char *fac = c->type == CQ_CLAIM_INSTITUTIONAL ? "13"
                      : c->n_lines && c->lines[0].place_of_service[0]
                          ? c->lines[0].place_of_service
                          : "11";
    cq_money_format_x12(p->billed, billed);
    cq_money_format_x12(p->paid, paid);
    cq_money_format_x12(p->resp, resp);
    cq_x12_out_seg(w, "CLP", 9, claim_id, status, billed, paid, resp, fil,
                   payer_ctl, fac, freq);
    s_cas(w, p->adj, p->n_adj);
    char last[CQ_NAME_LEN], first[CQ_NAME_LEN], mid[CQ_ID_LEN];
    s_clean(w, last, sizeof last, c->member.last_name);
    s_clean(w, first, sizeof first, c->member.first_name);
    s_clean(w, mid, sizeof mid, c->member.id);
    cq_x12_out_seg(w, "NM1", 9, "QC", "1", last, first, NULL, NULL, NULL,
                   mid[0] ? "MI" : NULL, mid);
    //  claim-level remark codes
    const char *rarc[5] = {NULL};
    int nr = 0;
    for (uint16_t i = 0; i < d->n_reasons && nr < 5; i++)
        if (d->reasons[i].line == 0 && d->reasons[i].rarc[0]) {
            char tmp[8];
            s_clean(w, tmp, sizeof tmp, d->reasons[i].rarc);
            if (strcmp(tmp, d->reasons[i].rarc) == 0)
                rarc[nr++] = d->reasons[i].rarc;
        }
    if (nr > 0)
        cq_x12_out_seg(w, "MOA", 7, NULL, NULL, rarc[0], rarc[1], rarc[2],
                       rarc[3], rarc[4]);
    int32_t lo = CQ_DATE_NONE, hi = CQ_DATE_NONE;
    for (uint8_t i = 0; i < c->n_lines; i++) {
        const cq_line_t *l = &c->lines[i];
        if (l->service_date == CQ_DATE_NONE)
            continue;
        int32_t e = l->service_date_end != CQ_DATE_NONE ? l->service_date_end
                                                        : l->service_date;
        if (lo == CQ_DATE_NONE || l->service_date < lo)
            lo = l->service_date;
        if (hi == CQ_DATE_NONE || e > hi)
            hi = e;
    }
    char d8[9];
    if (lo != CQ_DATE_NONE) {
        cq_x12_out_seg(w, "DTM", 2, "232", cq_date_format_d8(lo, d8));
        cq_x12_out_seg(w, "DTM", 2, "233", cq_date_format_d8(hi, d8));
    }
    if (c->received_date != CQ_DATE_NONE)
        cq_x12_out_seg(w, "DTM", 2, "050",
                       cq_date_format_d8(c->received_date, d8));
    for (uint8_t i = 0; i < p->n_svc; i++) {
        const cq_line_t *l = &c->lines[i];
        const s_svc_t *s = &p->svc[i];
        char proc[64], units[32], lb[CQ_MONEY_STRLEN], lp[CQ_MONEY_STRLEN];
        const char *rev = NULL;
        if (l->procedure[0]) {
            int k = snprintf(proc, sizeof proc, "HC%c%s", cs, l->procedure);
            for (uint8_t m = 0;
                 m < l->n_modifiers && k > 0 && (size_t)k < sizeof proc; m++)
                k += snprintf(proc + k, sizeof proc - (size_t)k, "%c%s", cs,
                              l->modifiers[m]);
            rev = l->revenue_code[0] ? l->revenue_code : NULL;
        } else {
            snprintf(proc, sizeof proc, "NU%c%s", cs,
                     l->revenue_code[0] ? l->revenue_code : "0001");
        }
        cq_money_format_x12(s->billed, lb);
        cq_money_format_x12(s->paid, lp);
        s_units(l->units_milli, units, sizeof units);
        cq_x12_out_seg(w, "SVC", 5, proc, lb, lp, rev, units);
        if (l->service_date != CQ_DATE_NONE) {
            if (l->service_date_end != CQ_DATE_NONE &&
                l->service_date_end != l->service_date) {
                cq_x12_out_seg(w, "DTM", 2, "150",
                               cq_date_format_d8(l->service_date, d8));
                cq_x12_out_seg(w, "DTM", 2, "151",
                               cq_date_format_d8(l->service_date_end, d8));
            } else {
                cq_x12_out_seg(w, "DTM", 2, "472",
                               cq_date_format_d8(l->service_date, d8));
            }
        }
        s_cas(w, s->adj, s->n_adj);
        if (s->allowed != 0 || s->paid != 0) {
            char al[CQ_MONEY_STRLEN];
            cq_x12_out_seg(w, "AMT", 2, "B6",
                           cq_money_format_x12(s->allowed, al));
        }
        for (uint16_t k = 0; k < d->n_reasons; k++)
            if (d->reasons[k].line == i + 1 && d->reasons[k].rarc[0]) {
                char tmp[8];
                s_clean(w, tmp, sizeof tmp, d->reasons[k].rarc);
                cq_x12_out_seg(w, "LQ", 2, "HE", tmp);
            }
    }
}

static bool
s_id_ok(const cq_x12_out_t *w, const char *s)
{
    for (; *s; s++)
        if (!cq_x12_out_ok(w, (unsigned char)*s))
            return false;
    return true;
}

//  The 835's grouping key: payer and billing NPI.
static size_t
s_payer_npi(void *arg, size_t i, char *buf, size_t size)
{
    const cq_decision_t *d = &((const cq_decision_t *)arg)[i];
    int k = snprintf(buf, size, "%s|%s", d->payer_id, d->billing_npi);
    return k < 0 ? 0 : (size_t)k < size ? (size_t)k : size - 1;
}

static void
s_write_set(s_writer_t *W, const cq_claim_t *claims,
            const cq_decision_t *decisions, uint32_t first, uint32_t st)
{
    cq_x12_out_t *w = &W->w;
    const cq_x12_835_opts_t *o = W->o;
    const cq_claim_t *c0 = s_claim_at(W, claims, decisions, first);
    const cq_decision_t *d0 = &decisions[first];
    char pe_name[CQ_NAME_LEN + 8], pe_tax[16];
    cq_strlcpy(pe_name, c0->billing_name, sizeof pe_name);
    cq_strlcpy(pe_tax, c0->billing_tax_id, sizeof pe_tax);
    //  total payment first (BPR comes before the claims)
    int64_t total = 0;
    s_clp_t *p = &W->clp;
    for (uint32_t i = first; i != UINT32_MAX; i = W->next[i])
        total += W->paid[i];
    char ctl[16], trace[64], tin[16], amt[CQ_MONEY_STRLEN];
    snprintf(ctl, sizeof ctl, "%04u", (unsigned)st);
    const char *prefix =
        o->trace_prefix && s_id_ok(w, o->trace_prefix) ? o->trace_prefix : "CQ";
    snprintf(trace, sizeof trace, "%.20s%s%04u", prefix, w->date8,
             (unsigned)st);
    const char *ptin =
        o->payer_tin && strlen(o->payer_tin) == 9 && s_id_ok(w, o->payer_tin)
            ? o->payer_tin
            : "000000000";
    snprintf(tin, sizeof tin, "1%s", ptin);
    size_t seg0 = w->segments;
    int64_t plb = total < 0 ? total : 0;
    int64_t bpr = total - plb;
    cq_money_format_x12(bpr, amt);
    cq_x12_out_seg(w, "ST", 2, "835", ctl);
    cq_x12_out_seg(w, "BPR", 16, bpr > 0 ? "I" : "H", amt, "C",
                   bpr > 0 ? "CHK" : "NON", NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, w->date8);
    cq_x12_out_seg(w, "TRN", 3, "1", trace, tin);
    cq_x12_out_seg(w, "DTM", 2, "405", w->date8);
    char name[CQ_NAME_LEN + 8];
    s_clean(w, name, sizeof name,
            o->payer_name && *o->payer_name ? o->payer_name : d0->payer_id);
    cq_x12_out_seg(w, "N1", 2, "PR", name);
    s_clean(w, name, sizeof name, pe_name[0] ? pe_name : d0->billing_npi);
    char npi[16];
    s_clean(w, npi, sizeof npi, d0->billing_npi);
    cq_x12_out_seg(w, "N1", 4, "PE", name, "XX", npi);
    if (pe_tax[0] && s_id_ok(w, pe_tax))
        cq_x12_out_seg(w, "REF", 2, "TJ", pe_tax);
    cq_x12_out_seg(w, "LX", 1, "1");
    for (uint32_t i = first; i != UINT32_MAX; i = W->next[i]) {
        const cq_claim_t *c = s_claim_at(W, claims, decisions, i);
        const cq_decision_t *d = &decisions[i];
        bool is_void = c->frequency == '8' && d->decision == CQ_DECISION_ACCEPT;
        //  A replacement first reverses what the original was paid.
        if (c->frequency == '7' && d->decision == CQ_DECISION_ACCEPT &&
            o->original) {
            const cq_decision_t *od = o->original(o->original_arg, c);
            if (od && od->decision == CQ_DECISION_ACCEPT) {
                int sign = od->billed < 0 ? 1 : -1;
                s_build(p, c, od, sign, false);
                s_write_clp(W, c, od, "22", od->claim_id, c->original_claim_id,
                            od->frequency, p);
            }
        }
        if (is_void) {
            int sign = d->billed > 0 ? -1 : 1;
            s_build(p, c, d, sign, true);
            s_write_clp(W, c, d, "22", c->claim_id,
                        c->original_claim_id[0] ? c->original_claim_id
                                                : c->claim_id,
                        c->frequency, p);
        } else {
            s_build(p, c, d, 1, true);
            s_write_clp(W, c, d, d->decision == CQ_DECISION_REJECT ? "4" : "1",
                        c->claim_id, c->claim_id, c->frequency, p);
        }
    }
    if (plb != 0) {
        char ref[80], fy[9], pamt[CQ_MONEY_STRLEN];
        snprintf(fy, sizeof fy, "%.4s1231", w->date8);
        snprintf(ref, sizeof ref, "FB%c%s", w->seps.component, trace);
        cq_x12_out_seg(w, "PLB", 4, npi, fy, ref,
                       cq_money_format_x12(plb, pamt));
    }
    char n[16];
    snprintf(n, sizeof n, "%zu", w->segments - seg0 + 1);
    cq_x12_out_seg(w, "SE", 2, n, ctl);
}

int
cq_x12_835_write(const cq_claim_t *claims, const cq_decision_t *decisions,
                 size_t n, const cq_x12_835_opts_t *o, cq_buf_t *out)
{
    cq_x12_835_opts_t none;
    memset(&none, 0, sizeof none);
    if (o == NULL)
        o = &none;
    if (n >= UINT32_MAX / 4)
        return cq_diag_set(o->env.diag, CQ_ETOOBIG, 0, "835: too many claims");
    s_writer_t *W = cq_xmalloc(sizeof *W);
    memset(W, 0, offsetof(s_writer_t, clp));
    W->o = o;
    bool *skip = cq_xcalloc(n + 1, sizeof *skip);
    uint32_t *first = cq_xcalloc(n + 1, sizeof *first);
    W->next = cq_xcalloc(n + 1, sizeof *W->next);
    W->paid = cq_xcalloc(n + 1, sizeof *W->paid);
    const char *recv = NULL;
    for (size_t i = 0; i < n; i++)
        if (decisions[i].decision != CQ_DECISION_PEND) {
            recv = decisions[i].billing_npi;
            break;
        }
    cq_x12_envelope_t env = o->env;
    cq_x12_out_init(&W->w, &env, recv ? recv : "PROVIDER", out);
    if (recv && !s_id_ok(&W->w, W->w.receiver))
        cq_strlcpy(W->w.receiver, "PROVIDER", sizeof W->w.receiver);
    if ((o->env.sender_id == NULL || !*o->env.sender_id) && recv) {
        for (size_t i = 0; i < n; i++)
            if (decisions[i].decision != CQ_DECISION_PEND &&
                s_id_ok(&W->w, decisions[i].payer_id) &&
                decisions[i].payer_id[0]) {
                cq_strlcpy(W->w.sender, decisions[i].payer_id,
                           sizeof W->w.sender);
                break;
            }
    }
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const cq_decision_t *d = &decisions[i];
        const cq_claim_t *c = s_claim_at(W, claims, decisions, i);
        skip[i] = d->decision == CQ_DECISION_PEND;
        if (!skip[i] && (!s_id_ok(&W->w, c->claim_id) ||
                         !s_id_ok(&W->w, c->original_claim_id) ||
                         !s_id_ok(&W->w, d->billing_npi))) {
            skip[i] = true;
            bad = cq_diag_set(o->env.diag, CQ_EINVAL, i,
                              "claim %zu: claim_id, original_claim_id or "
                              "billing NPI holds an X12 delimiter",
                              i + 1);
        }
        if (skip[i])
            continue;
        //  what the CLP will say it paid (a void's reversal is negative)
        if (c->frequency == '8' && d->decision == CQ_DECISION_ACCEPT)
            W->paid[i] = d->billed > 0 ? -d->paid : d->paid;
        else
            W->paid[i] = d->paid;
        if (c->frequency == '7' && d->decision == CQ_DECISION_ACCEPT &&
            o->original) {
            const cq_decision_t *od = o->original(o->original_arg, c);
            if (od && od->decision == CQ_DECISION_ACCEPT)
                W->paid[i] += od->billed < 0 ? od->paid : -od->paid;
        }
    }
    uint32_t ng =
        cq_x12_chain(n, skip, s_payer_npi, (void *)decisions, first, W->next);
    uint32_t control = o->env.control ? o->env.control : 1;
    if (ng > 0) {
        cq_x12_out_isa(&W->w, control);
        cq_x12_out_gs(&W->w, "HP", control, "005010X221A1");
        for (uint32_t g = 0; g < ng; g++)
            s_write_set(W, claims, decisions, first[g], g + 1);
        cq_x12_out_ge(&W->w, ng, control);
        cq_x12_out_iea(&W->w, 1, control);
    }
    int rc = W->w.err ? W->w.err : bad;
    free(skip);
    free(first);
    free(W->next);
    free(W->paid);
    free(W);
    return rc;
}

// ------------------------------------------------------------- reader

typedef struct {
    cq_x12_835_check_t *out;
    cq_x12_835_claim_fn *fn;
    void *arg;
    int stop;
    cq_x12_835_claim_t *cl; // current claim, or NULL
    bool resp_given;        // CLP05 not empty
    int svc;                // current SVC index, -1 none
    int64_t svc_billed, svc_paid, svc_cas;
    uint32_t svc_number;
    bool in_835;
    int64_t bpr, paid, plb;
    size_t seg_count;
    char set_ctl[16];
} s_reader_t;

static void s_problem(s_reader_t *R, const char *fmt, ...) CQ_PRINTF(2, 3);

static void
s_problem(s_reader_t *R, const char *fmt, ...)
{
    R->out->unbalanced++;
    if (R->cl)
        R->cl->n_unbalanced++;
    if (R->out->problem[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(R->out->problem, sizeof R->out->problem, fmt, ap);
    va_end(ap);
}

static void
s_svc_end(s_reader_t *R)
{
    if (R->cl == NULL || R->svc < 0)
        return;
    if (R->svc_billed - R->svc_paid != R->svc_cas) {
        char a[CQ_MONEY_STRLEN], b[CQ_MONEY_STRLEN], c[CQ_MONEY_STRLEN];
        s_problem(R, "claim %s, SVC %u: SVC02 %s - SVC03 %s != line CAS %s",
                  R->cl->claim_id, (unsigned)R->svc_number,
                  cq_money_format(R->svc_billed, a),
                  cq_money_format(R->svc_paid, b),
                  cq_money_format(R->svc_cas, c));
    }
    R->svc = -1;
}

static void
s_clp_end(s_reader_t *R)
{
    cq_x12_835_claim_t *cl = R->cl;
    if (cl == NULL)
        return;
    s_svc_end(R);
    char a[CQ_MONEY_STRLEN], b[CQ_MONEY_STRLEN], c[CQ_MONEY_STRLEN];
    if (cl->billed - cl->paid != cl->cas_claim + cl->cas_lines)
        s_problem(R, "claim %s: CLP03 %s - CLP04 %s != CAS %s", cl->claim_id,
                  cq_money_format(cl->billed, a), cq_money_format(cl->paid, b),
                  cq_money_format(cl->cas_claim + cl->cas_lines, c));
    if (R->resp_given && cl->patient_resp != cl->cas_pr)
        s_problem(R, "claim %s: CLP05 %s != PR adjustments %s", cl->claim_id,
                  cq_money_format(cl->patient_resp, a),
                  cq_money_format(cl->cas_pr, b));
    R->out->claims++;
    if (R->fn && R->stop == 0)
        R->stop = R->fn(R->arg, cl);
    R->cl = NULL;
}

static int64_t
s_amt(s_reader_t *R, const cq_x12_seg_t *seg, unsigned i)
{
    int64_t v = 0;
    cq_x12_str_t s = cq_x12_elem(seg, i);
    if (s.n > 0 && cq_x12_amount(s, &v) != 0)
        s_problem(R, "segment %zu (%s%02u): not an amount", seg->number,
                  seg->id, i);
    return v;
}

int
cq_x12_835_check(const void *buf, size_t len, cq_x12_835_claim_fn *fn,
                 void *arg, cq_x12_835_check_t *out, cq_diag_t *diag)
{
    cq_x12_835_check_t local;
    if (out == NULL)
        out = &local;
    memset(out, 0, sizeof *out);
    s_reader_t R;
    memset(&R, 0, sizeof R);
    R.out = out;
    R.fn = fn;
    R.arg = arg;
    R.svc = -1;
    cq_x12_835_claim_t *cl = cq_xmalloc(sizeof *cl);
    cq_x12_reader_t r;
    cq_x12_reader_init(&r, buf, len);
    cq_x12_seg_t seg;
    while (R.stop == 0 && cq_x12_reader_next(&r, &seg) > 0) {
        uint32_t id = cq_x12_id(&seg);
        if (id == CQ_X12_ID('S', 'T', 0)) {
            s_clp_end(&R);
            R.in_835 = cq_x12_eq(cq_x12_elem(&seg, 1), "835");
            R.bpr = R.paid = R.plb = 0;
            R.seg_count = 1;
            cq_x12_copy(R.set_ctl, sizeof R.set_ctl, cq_x12_elem(&seg, 2));
            out->sets += R.in_835;
            continue;
        }
        if (!R.in_835)
            continue;
        R.seg_count++;
        switch (id) {
        case CQ_X12_ID('B', 'P', 'R'):
            R.bpr = s_amt(&R, &seg, 2);
            out->bpr_total += R.bpr;
            break;
        case CQ_X12_ID('C', 'L', 'P'): {
            s_clp_end(&R);
            memset(cl, 0, offsetof(cq_x12_835_claim_t, services));
            R.cl = cl;
            cq_x12_copy(cl->claim_id, sizeof cl->claim_id,
                        cq_x12_elem(&seg, 1));
            cq_x12_copy(cl->status, sizeof cl->status, cq_x12_elem(&seg, 2));
            cq_x12_copy(cl->payer_claim_id, sizeof cl->payer_claim_id,
                        cq_x12_elem(&seg, 7));
            cl->billed = s_amt(&R, &seg, 3);
            cl->paid = s_amt(&R, &seg, 4);
            cl->patient_resp = s_amt(&R, &seg, 5);
            R.resp_given = cq_x12_elem(&seg, 5).n > 0;
            R.paid += cl->paid;
            out->paid_total += cl->paid;
            break;
        }
        case CQ_X12_ID('C', 'A', 'S'): {
            if (R.cl == NULL)
                break;
            int64_t sum = 0;
            for (unsigned k = 3; k <= 18; k += 3)
                sum += s_amt(&R, &seg, k);
            if (R.svc >= 0) {
                R.svc_cas += sum;
                R.cl->cas_lines += sum;
                if (R.svc < CQ_MAX_LINES)
                    R.cl->services[R.svc].cas += sum;
            } else {
                R.cl->cas_claim += sum;
            }
            if (cq_x12_eq(cq_x12_elem(&seg, 1), "PR"))
                R.cl->cas_pr += sum;
            break;
        }
        case CQ_X12_ID('S', 'V', 'C'): {
            if (R.cl == NULL)
                break;
            s_svc_end(&R);
            R.svc = R.cl->n_services++;
            R.svc_number = (uint32_t)R.svc + 1;
            R.svc_billed = s_amt(&R, &seg, 2);
            R.svc_paid = s_amt(&R, &seg, 3);
            R.svc_cas = 0;
            out->services++;
            if (R.svc < CQ_MAX_LINES) {
                R.cl->services[R.svc].billed = R.svc_billed;
                R.cl->services[R.svc].paid = R.svc_paid;
                R.cl->services[R.svc].cas = 0;
                cq_x12_copy(
                    R.cl->services[R.svc].procedure,
                    sizeof R.cl->services[0].procedure,
                    cq_x12_comp(cq_x12_elem(&seg, 1), seg.seps.component, 2));
            }
            break;
        }
        case CQ_X12_ID('P', 'L', 'B'):
            s_clp_end(&R);
            for (unsigned k = 4; k <= 14; k += 2)
                R.plb += s_amt(&R, &seg, k);
            out->plb_total = R.plb + out->plb_total;
            break;
        case CQ_X12_ID('S', 'E', 0): {
            s_clp_end(&R);
            char a[CQ_MONEY_STRLEN], b[CQ_MONEY_STRLEN], c[CQ_MONEY_STRLEN];
            if (R.bpr != R.paid - R.plb)
                s_problem(&R, "set %s: BPR02 %s != sum CLP04 %s - PLB %s",
                          R.set_ctl, cq_money_format(R.bpr, a),
                          cq_money_format(R.paid, b),
                          cq_money_format(R.plb, c));
            cq_x12_str_t n = cq_x12_elem(&seg, 1);
            uint64_t nv = 0;
            if (cq_x12_uint(cq_x12_trim(n), &nv) != 0 || nv != R.seg_count)
                s_problem(&R, "set %s: SE01 %.*s but %zu segments", R.set_ctl,
                          (int)(n.n > 12 ? 12 : n.n), n.p, R.seg_count);
            R.in_835 = false;
            break;
        }
        default:
            break;
        }
    }
    s_clp_end(&R);
    free(cl);
    if (r.err)
        return cq_diag_set(diag, r.err, r.err_at, "%s", r.err_msg);
    if (out->sets == 0)
        return cq_diag_set(diag, CQ_EPROTO, 0, "no 835 transaction set");
    return R.stop ? R.stop : (int)out->claims;
}
