//  x12_837w.c: claims to an 837P / 837I file (claimq gen --x12, the round
//  trip tests, the parse benchmark). Many claims per ST, many ST per file.
//
//  Layout of one transaction set: ST, BHT, 1000A submitter (NM1*41, PER),
//  1000B receiver (NM1*40), then per billing provider an HL 20 (NM1*85,
//  REF*EI), per member and payer an HL 22 with the member as subscriber
//  and patient (SBR*P*18, NM1*IL, DMG, NM1*PR), and its claims (CLM,
//  DTP*050 when the claim has a received date, REF, HI, NM1*82, LX,
//  SV1 / SV2, DTP*472). Consecutive claims of the same
//  provider / member share their HL. What the claim model does not hold
//  (addresses, the 837I type of bill) is left out or takes a default.
#include "x12_int.h"
#include "money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cq_x12_837w {
    cq_x12_write_opts_t o; // options (strings borrowed)
    cq_x12_out_t w;        // output
    cq_diag_t *diag;       // o.env.diag
    bool receiver_set;     // ISA08 given by the options
    bool isa_open, gs_open, st_open;
    cq_claim_type_t gs_type; // kind of the open group
    uint32_t isa_control;    // ISA13
    uint32_t n_groups;       // groups in the interchange
    uint32_t gs_control;     // GS06 of the open group
    uint32_t sets_in_group;  // ST in the open group
    uint32_t st_control;     // last ST02 used
    size_t claims_in_set;    // claims in the open ST
    size_t st_first_segment; // w.segments at the open ST
    uint32_t hl;             // last HL01 in the open ST
    uint32_t hl20;           // HL01 of the open billing provider level
    bool have20, have22;     // levels open in this ST
    char npi[11], tax[16];   // key of the open HL 20
    char name[CQ_NAME_LEN];
    cq_member_ref_t member; // key of the open HL 22
    char payer[CQ_ID_LEN];
    size_t count; // claims written
};

cq_x12_837w_t *
cq_x12_837w_new(const cq_x12_write_opts_t *o, cq_buf_t *out)
{
    cq_x12_837w_t *w = cq_xcalloc(1, sizeof *w);
    if (o)
        w->o = *o;
    if (w->o.claims_per_set == 0)
        w->o.claims_per_set = 1000;
    if (w->o.claims_per_set > 5000)
        w->o.claims_per_set = 5000;
    cq_x12_out_init(&w->w, &w->o.env, "", out);
    w->receiver_set = w->o.env.receiver_id && *w->o.env.receiver_id;
    w->diag = w->o.env.diag;
    w->isa_control = w->o.env.control ? w->o.env.control % 1000000000u : 1;
    if (w->isa_control == 0)
        w->isa_control = 1;
    return w;
}

void
cq_x12_837w_destroy(cq_x12_837w_t **w_p)
{
    assert(w_p);
    free(*w_p);
    *w_p = NULL;
}

size_t
cq_x12_837w_count(const cq_x12_837w_t *w)
{
    return w->count;
}

//  Refuses a value with a delimiter without making the writer unusable.
static int
s_check(cq_x12_837w_t *w, const char *field, const char *v)
{
    const cq_x12_seps_t *s = &w->w.seps;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p == (unsigned char)s->element ||
            *p == (unsigned char)s->component ||
            *p == (unsigned char)s->segment ||
            *p == (unsigned char)s->repetition || *p < 0x20)
            return cq_diag_set(w->diag, CQ_EINVAL, w->count,
                               "claim %zu: %s holds an X12 delimiter or "
                               "control character",
                               w->count + 1, field);
    return 0;
}

static int
s_check_claim(cq_x12_837w_t *w, const cq_claim_t *c)
{
    int rc = 0;
    const cq_member_ref_t *m = &c->member;
    const struct {
        const char *f, *v;
    } t[] = {{"claim_id", c->claim_id},
             {"payer_id", c->payer_id},
             {"original_claim_id", c->original_claim_id},
             {"member.id", m->id},
             {"member.last_name", m->last_name},
             {"member.first_name", m->first_name},
             {"billing_provider.npi", c->billing_npi},
             {"billing_provider.tax_id", c->billing_tax_id},
             {"billing_provider.name", c->billing_name},
             {"prior_auth", c->prior_auth}};
    for (size_t i = 0; i < CQ_ARRAY_LEN(t) && rc == 0; i++)
        rc = s_check(w, t[i].f, t[i].v);
    for (uint8_t i = 0; i < c->n_diagnoses && rc == 0; i++)
        rc = s_check(w, "diagnoses", c->diagnoses[i]);
    for (uint8_t i = 0; i < c->n_lines && rc == 0; i++) {
        const cq_line_t *l = &c->lines[i];
        rc = s_check(w, "lines.procedure", l->procedure);
        for (uint8_t k = 0; k < l->n_modifiers && rc == 0; k++)
            rc = s_check(w, "lines.modifiers", l->modifiers[k]);
        if (rc == 0)
            rc = s_check(w, "lines.revenue_code", l->revenue_code);
        if (rc == 0)
            rc = s_check(w, "lines.place_of_service", l->place_of_service);
        if (rc == 0)
            rc = s_check(w, "lines.rendering_npi", l->rendering_npi);
    }
    if (rc == 0 && c->n_lines > CQ_MAX_LINES)
        rc = cq_diag_set(w->diag, CQ_EINVAL, w->count,
                         "claim %zu: too many "
                         "lines",
                         w->count + 1);
    return rc;
}

static int
s_close_set(cq_x12_837w_t *w)
{
    if (!w->st_open)
        return w->w.err;
    char n[24], ctl[16];
    snprintf(n, sizeof n, "%zu", w->w.segments - w->st_first_segment + 1);
    snprintf(ctl, sizeof ctl, "%04u", (unsigned)w->st_control);
    w->st_open = false;
    return cq_x12_out_seg(&w->w, "SE", 2, n, ctl);
}

static int
s_close_group(cq_x12_837w_t *w)
{
    s_close_set(w);
    if (!w->gs_open)
        return w->w.err;
    w->gs_open = false;
    return cq_x12_out_ge(&w->w, w->sets_in_group, w->gs_control);
}

static const char *
s_version(cq_claim_type_t t)
{
    return t == CQ_CLAIM_INSTITUTIONAL ? "005010X223A2" : "005010X222A1";
}

static int
s_open_set(cq_x12_837w_t *w)
{
    cq_x12_out_t *o = &w->w;
    char ctl[16];
    w->st_control++;
    snprintf(ctl, sizeof ctl, "%04u", (unsigned)w->st_control);
    w->st_first_segment = o->segments;
    w->st_open = true;
    w->sets_in_group++;
    w->claims_in_set = 0;
    w->hl = 0;
    w->have20 = w->have22 = false;
    const char *sub =
        w->o.submitter && *w->o.submitter ? w->o.submitter : "CLAIMQ";
    const char *rname = w->o.receiver_name && *w->o.receiver_name
                            ? w->o.receiver_name
                            : o->receiver;
    cq_x12_out_seg(o, "ST", 3, "837", ctl, s_version(w->gs_type));
    cq_x12_out_seg(o, "BHT", 6, "0019", "00", ctl, o->date8, o->hhmm, "CH");
    cq_x12_out_seg(o, "NM1", 9, "41", "2", sub, NULL, NULL, NULL, NULL, "46",
                   o->sender);
    cq_x12_out_seg(o, "PER", 4, "IC", sub, "TE", "8005550100");
    return cq_x12_out_seg(o, "NM1", 9, "40", "2", rname, NULL, NULL, NULL, NULL,
                          "46", o->receiver);
}

static int
s_open(cq_x12_837w_t *w, const cq_claim_t *c)
{
    cq_x12_out_t *o = &w->w;
    if (!w->isa_open) {
        if (!w->receiver_set && c->payer_id[0])
            cq_strlcpy(o->receiver, c->payer_id, sizeof o->receiver);
        cq_x12_out_isa(o, w->isa_control);
        w->isa_open = true;
    }
    bool need_set = !w->st_open || w->claims_in_set >= w->o.claims_per_set;
    if (!w->gs_open || w->gs_type != c->type ||
        (need_set && w->o.sets_per_group &&
         w->sets_in_group >= w->o.sets_per_group)) {
        s_close_group(w);
        w->gs_type = c->type;
        w->gs_control = w->isa_control + w->n_groups;
        w->n_groups++;
        w->sets_in_group = 0;
        w->gs_open = true;
        cq_x12_out_gs(o, "HC", w->gs_control, s_version(c->type));
    }
    if (w->st_open && w->claims_in_set >= w->o.claims_per_set)
        s_close_set(w);
    if (!w->st_open)
        s_open_set(w);
    return o->err;
}

static void
s_d8(int32_t day, char *out)
{
    cq_date_format_d8(day, out);
}

static void
s_units(int64_t milli, char *out, size_t n)
{
    if (milli % 1000 == 0) {
        snprintf(out, n, "%lld", (long long)(milli / 1000));
        return;
    }
    char frac[8];
    snprintf(frac, sizeof frac, "%03lld", (long long)(milli % 1000));
    size_t k = strlen(frac);
    while (k > 0 && frac[k - 1] == '0')
        frac[--k] = '\0';
    snprintf(out, n, "%lld.%s", (long long)(milli / 1000), frac);
}

//  "HC:99213:25:59" into out.
static void
s_proc(const cq_x12_837w_t *w, const cq_line_t *l, char *out, size_t n)
{
    char cs = w->w.seps.component;
    int k = snprintf(out, n, "HC%c%s", cs, l->procedure);
    for (uint8_t i = 0; i < l->n_modifiers && k > 0 && (size_t)k < n; i++)
        k += snprintf(out + k, n - (size_t)k, "%c%s", cs, l->modifiers[i]);
}

static bool
s_same_member(const cq_member_ref_t *a, const cq_member_ref_t *b)
{
    return strcmp(a->id, b->id) == 0 &&
           strcmp(a->last_name, b->last_name) == 0 &&
           strcmp(a->first_name, b->first_name) == 0 &&
           a->birth_date == b->birth_date && a->sex == b->sex;
}

static void
s_levels(cq_x12_837w_t *w, const cq_claim_t *c)
{
    cq_x12_out_t *o = &w->w;
    char hl[16], parent[16];
    if (!w->have20 || strcmp(w->npi, c->billing_npi) != 0 ||
        strcmp(w->tax, c->billing_tax_id) != 0 ||
        strcmp(w->name, c->billing_name) != 0) {
        w->hl20 = ++w->hl;
        snprintf(hl, sizeof hl, "%u", (unsigned)w->hl20);
        cq_x12_out_seg(o, "HL", 4, hl, NULL, "20", "1");
        cq_x12_out_seg(o, "NM1", 9, "85", "2", c->billing_name, NULL, NULL,
                       NULL, NULL, "XX", c->billing_npi);
        if (c->billing_tax_id[0])
            cq_x12_out_seg(o, "REF", 2, "EI", c->billing_tax_id);
        cq_strlcpy(w->npi, c->billing_npi, sizeof w->npi);
        cq_strlcpy(w->tax, c->billing_tax_id, sizeof w->tax);
        cq_strlcpy(w->name, c->billing_name, sizeof w->name);
        w->have20 = true;
        w->have22 = false;
    }
    if (!w->have22 || !s_same_member(&w->member, &c->member) ||
        strcmp(w->payer, c->payer_id) != 0) {
        snprintf(hl, sizeof hl, "%u", (unsigned)++w->hl);
        snprintf(parent, sizeof parent, "%u", (unsigned)w->hl20);
        const char *filing = w->o.filing && *w->o.filing ? w->o.filing : "CI";
        cq_x12_out_seg(o, "HL", 4, hl, parent, "22", "0");
        cq_x12_out_seg(o, "SBR", 9, "P", "18", NULL, NULL, NULL, NULL, NULL,
                       NULL, filing);
        const cq_member_ref_t *m = &c->member;
        cq_x12_out_seg(o, "NM1", 9, "IL", "1", m->last_name, m->first_name,
                       NULL, NULL, NULL, "MI", m->id);
        if (m->birth_date != CQ_DATE_NONE || m->sex) {
            char dob[9] = "", sex[2] = {m->sex, 0};
            if (m->birth_date != CQ_DATE_NONE)
                s_d8(m->birth_date, dob);
            cq_x12_out_seg(o, "DMG", 3, "D8", dob, sex);
        }
        cq_x12_out_seg(o, "NM1", 9, "PR", "2", c->payer_id, NULL, NULL, NULL,
                       NULL, "PI", c->payer_id);
        w->member = c->member;
        cq_strlcpy(w->payer, c->payer_id, sizeof w->payer);
        w->have22 = true;
    }
}

static void
s_claim(cq_x12_837w_t *w, const cq_claim_t *c)
{
    cq_x12_out_t *o = &w->w;
    char cs = o->seps.component;
    bool inst = c->type == CQ_CLAIM_INSTITUTIONAL;
    char total[CQ_MONEY_STRLEN], c5[16], amt[CQ_MONEY_STRLEN];
    char freq = c->frequency ? c->frequency : '1';
    const char *pos = c->n_lines && c->lines[0].place_of_service[0]
                          ? c->lines[0].place_of_service
                          : "11";
    if (inst) {
        const char *bt =
            w->o.bill_type && *w->o.bill_type ? w->o.bill_type : "13";
        snprintf(c5, sizeof c5, "%.2s%cA%c%c", bt, cs, cs, freq);
    } else {
        snprintf(c5, sizeof c5, "%.2s%cB%c%c", pos, cs, cs, freq);
    }
    cq_money_format_x12(c->total_charge, total);
    if (inst)
        cq_x12_out_seg(o, "CLM", 9, c->claim_id, total, NULL, NULL, c5, NULL,
                       "A", "Y", "Y");
    else
        cq_x12_out_seg(o, "CLM", 9, c->claim_id, total, NULL, NULL, c5, "Y",
                       "A", "Y", "Y");
    if (inst) {
        int32_t lo = CQ_DATE_NONE, hi = CQ_DATE_NONE;
        for (uint8_t i = 0; i < c->n_lines; i++) {
            const cq_line_t *l = &c->lines[i];
            if (l->service_date == CQ_DATE_NONE)
                continue;
            int32_t e = l->service_date_end != CQ_DATE_NONE
                            ? l->service_date_end
                            : l->service_date;
            if (lo == CQ_DATE_NONE || l->service_date < lo)
                lo = l->service_date;
            if (hi == CQ_DATE_NONE || e > hi)
                hi = e;
        }
        if (lo != CQ_DATE_NONE) {
            char a[9], b[9], r[18];
            s_d8(lo, a);
            s_d8(hi, b);
            snprintf(r, sizeof r, "%s-%s", a, b);
            cq_x12_out_seg(o, "DTP", 3, "434", "RD8", r);
        }
    }
    if (c->received_date != CQ_DATE_NONE) {
        //  2300 DTP*050 (received), after the other claim dates: the
        //  reader takes it as the claim's received_date.
        char rd[9];
        s_d8(c->received_date, rd);
        cq_x12_out_seg(o, "DTP", 3, "050", "D8", rd);
    }
    if (c->original_claim_id[0])
        cq_x12_out_seg(o, "REF", 2, "F8", c->original_claim_id);
    if (c->prior_auth[0])
        cq_x12_out_seg(o, "REF", 2, "G1", c->prior_auth);
    //  HI: codes without their point; 837I puts the principal alone.
    char dx[CQ_MAX_DX][CQ_CODE_LEN + 8];
    for (uint8_t i = 0; i < c->n_diagnoses && i < CQ_MAX_DX; i++) {
        char code[CQ_CODE_LEN];
        size_t k = 0;
        for (const char *p = c->diagnoses[i]; *p && k + 1 < sizeof code; p++)
            if (*p != '.')
                code[k++] = *p;
        code[k] = '\0';
        //  An ICD-10-CM code starts with a letter and, past 3 characters,
        //  has its point after the third; anything else (862.8, E888,
        //  E888.8) is ICD-9-CM: BK/BF.
        const char *src = c->diagnoses[i];
        bool icd9 = (src[0] >= '0' && src[0] <= '9') ||
                    (strlen(src) > 3 && src[3] != '.');
        snprintf(dx[i], sizeof dx[i], "%s%c%s",
                 i == 0 ? (icd9 ? "BK" : "ABK") : (icd9 ? "BF" : "ABF"), cs,
                 code);
    }
    const char *e[CQ_MAX_DX] = {NULL};
    uint8_t nd = c->n_diagnoses > CQ_MAX_DX ? CQ_MAX_DX : c->n_diagnoses;
    if (inst && nd > 0) {
        cq_x12_out_seg(o, "HI", 1, dx[0]);
        for (uint8_t i = 1; i < nd; i++)
            e[i - 1] = dx[i];
        if (nd > 1)
            cq_x12_out_seg(o, "HI", 11, e[0], e[1], e[2], e[3], e[4], e[5],
                           e[6], e[7], e[8], e[9], e[10]);
    } else if (nd > 0) {
        for (uint8_t i = 0; i < nd; i++)
            e[i] = dx[i];
        cq_x12_out_seg(o, "HI", 12, e[0], e[1], e[2], e[3], e[4], e[5], e[6],
                       e[7], e[8], e[9], e[10], e[11]);
    }
    //  One rendering provider for all lines goes to the claim (2310).
    bool same = c->n_lines > 0 && c->lines[0].rendering_npi[0];
    for (uint8_t i = 1; i < c->n_lines && same; i++)
        same =
            strcmp(c->lines[i].rendering_npi, c->lines[0].rendering_npi) == 0;
    if (same)
        cq_x12_out_seg(o, "NM1", 9, "82", "2", "RENDERING PROVIDER", NULL, NULL,
                       NULL, NULL, "XX", c->lines[0].rendering_npi);
    for (uint8_t i = 0; i < c->n_lines; i++) {
        const cq_line_t *l = &c->lines[i];
        char lx[8], proc[64], units[32];
        snprintf(lx, sizeof lx, "%u", (unsigned)i + 1);
        cq_x12_out_seg(o, "LX", 1, lx);
        s_proc(w, l, proc, sizeof proc);
        cq_money_format_x12(l->charge, amt);
        s_units(l->units_milli, units, sizeof units);
        if (inst) {
            cq_x12_out_seg(o, "SV2", 5, l->revenue_code,
                           l->procedure[0] ? proc : NULL, amt, "UN", units);
        } else {
            char ptr[24] = "";
            size_t k = 0;
            for (uint8_t p = 0; p < l->n_pointers && p < CQ_MAX_POINTERS; p++) {
                if (p)
                    ptr[k++] = cs;
                k += (size_t)snprintf(ptr + k, sizeof ptr - k, "%u",
                                      (unsigned)l->dx_pointers[p]);
            }
            const char *lpos =
                strcmp(l->place_of_service, pos) != 0 && l->place_of_service[0]
                    ? l->place_of_service
                    : NULL;
            cq_x12_out_seg(o, "SV1", 7, proc, amt, "UN", units, lpos, NULL,
                           ptr);
        }
        if (l->service_date != CQ_DATE_NONE) {
            char a[9], b[9], r[18];
            s_d8(l->service_date, a);
            if (l->service_date_end != CQ_DATE_NONE &&
                l->service_date_end != l->service_date) {
                s_d8(l->service_date_end, b);
                snprintf(r, sizeof r, "%s-%s", a, b);
                cq_x12_out_seg(o, "DTP", 3, "472", "RD8", r);
            } else {
                cq_x12_out_seg(o, "DTP", 3, "472", "D8", a);
            }
        }
        if (!same && l->rendering_npi[0])
            cq_x12_out_seg(o, "NM1", 9, "82", "2", "RENDERING PROVIDER", NULL,
                           NULL, NULL, NULL, "XX", l->rendering_npi);
    }
}

int
cq_x12_837w_add(cq_x12_837w_t *w, const cq_claim_t *c)
{
    if (w->w.err)
        return w->w.err;
    int rc = s_check_claim(w, c);
    if (rc != 0)
        return rc;
    if (s_open(w, c) != 0)
        return w->w.err;
    s_levels(w, c);
    s_claim(w, c);
    if (w->w.err)
        return w->w.err;
    w->claims_in_set++;
    w->count++;
    return 0;
}

int
cq_x12_837w_finish(cq_x12_837w_t *w)
{
    if (!w->isa_open)
        return w->w.err;
    s_close_group(w);
    cq_x12_out_iea(&w->w, w->n_groups, w->isa_control);
    w->isa_open = false;
    return w->w.err;
}

int
cq_x12_837_write(const cq_claim_t *claims, size_t n,
                 const cq_x12_write_opts_t *o, cq_buf_t *out)
{
    cq_x12_837w_t *w = cq_x12_837w_new(o, out);
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = cq_x12_837w_add(w, &claims[i]);
        if (rc != 0 && first == 0)
            first = rc;
        if (rc == CQ_ETOOBIG)
            break;
    }
    int rc = cq_x12_837w_finish(w);
    cq_x12_837w_destroy(&w);
    return first ? first : rc;
}
