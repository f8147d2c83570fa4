//  x12_837_map.c: pass 2 of the 837 reader, a set that passed the
//  structural checks (x12_837.c) to claims: the loops above the claim
//  (billing provider, subscriber, patient, payer), each CLM with its
//  codes, dates, amounts and service lines. It never refuses a set: what
//  is wrong in a claim marks that claim invalid (the engine rejects it
//  CO-16) with a CTX error in the report; it logs nothing.
#include "x12_837_int.h"
#include "money.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void s_invalid(cq_x12p_t *P, const char *rarc, const char *fmt, ...)
    CQ_PRINTF(3, 4);

static void
s_invalid(cq_x12p_t *P, const char *rarc, const char *fmt, ...)
{
    if (!P->in_claim || P->claim.invalid)
        return;
    char msg[sizeof P->claim.invalid_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cq_claim_set_invalid(&P->claim, rarc, "%s", msg);
}

//  Pass 2: an X12 error in the set being mapped, a data element error
//  (IK3 code 8, IK4 elem_code at elem[:comp]) or, with elem 0, a segment
//  error (IK3 seg_code). Inside a claim the claim is made invalid too
//  (CO-16 with rarc), with the same message; outside one (2010AA, 2010BA
//  ...) the caller keeps the problem for the claims below (s_ctx_bad).
static void s_map_err(cq_x12p_t *P, const cq_x12_seg_t *seg,
                      const char *seg_code, unsigned elem, unsigned comp,
                      const char *elem_code, const char *rarc, const char *fmt,
                      ...) CQ_PRINTF(8, 9);

static void
s_map_err(cq_x12p_t *P, const cq_x12_seg_t *seg, const char *seg_code,
          unsigned elem, unsigned comp, const char *elem_code, const char *rarc,
          const char *fmt, ...)
{
    char msg[sizeof P->claim.invalid_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (P->map_w && (elem == 0 ? seg_code : elem_code) != NULL) {
        P->map_errors++;
        uint32_t pos = (uint32_t)(seg->number - P->map_st + 1);
        cq_x12p_err(P, P->map_set, seg, pos, P->map_w, seg_code, elem, comp,
                    elem_code, "%s", msg);
    }
    s_invalid(P, rarc, "%s", msg);
}

//  IK403 of an amount or quantity (X12 type R) the claim model refused:
//  1 when empty, 6 (invalid character) when it is no decimal number at
//  all, NULL when it is one the model cannot hold (negative, too many
//  decimals): that is no X12 error.
static const char *
s_num_code(cq_x12_str_t v)
{
    if (v.n == 0)
        return "1";
    size_t i = v.p[0] == '-' ? 1 : 0, digits = 0, points = 0;
    for (; i < v.n; i++) {
        if (v.p[i] == '.')
            points++;
        else if (v.p[i] >= '0' && v.p[i] <= '9')
            digits++;
        else
            return "6";
    }
    return points > 1 || digits == 0 ? "6" : digits > 18 ? "5" : NULL;
}

//  Keeps a context problem until a claim can carry it.
static void
s_ctx_bad(bool *flag, char *why, size_t n, const char *msg)
{
    if (*flag)
        return;
    *flag = true;
    cq_strlcpy(why, msg, n);
}

int
cq_x12_icd_format(cq_x12_str_t code, bool icd9, char *out, size_t n)
{
    char c[8];
    size_t k = 0;
    for (size_t i = 0; i < code.n; i++) {
        char ch = code.p[i];
        if (ch == '.' && i == 3 && !icd9)
            continue; // a point where it belongs: tolerated
        if (ch == '.' && icd9 && (i == 3 || i == 4))
            continue;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) ||
            k == sizeof c - 1)
            return CQ_EINVAL;
        c[k++] = ch;
    }
    c[k] = '\0';
    if (k < 3)
        return CQ_EINVAL;
    //  The shapes of the code sets: ICD-10-CM a letter, a digit, a letter
    //  or digit, then up to 4 more; ICD-9-CM 3-5 digits, V and 2-4
    //  digits, or E and 3-4 digits.
    size_t head = 3;
    bool ok;
    if (!icd9) {
        ok = c[0] >= 'A' && c[0] <= 'Z' && c[1] >= '0' && c[1] <= '9';
    } else {
        size_t from = c[0] == 'V' || c[0] == 'E' ? 1 : 0;
        if (c[0] == 'E')
            head = 4;
        ok = k >= head && k <= head + 2 - (c[0] == 'E');
        for (size_t i = from; i < k && ok; i++)
            ok = c[i] >= '0' && c[i] <= '9';
    }
    if (!ok)
        return CQ_EINVAL;
    if (k + 2 > n)
        return CQ_EINVAL;
    memcpy(out, c, head < k ? head : k);
    size_t o = head < k ? head : k;
    if (k > head) {
        out[o++] = '.';
        memcpy(out + o, c + head, k - head);
        o += k - head;
    }
    out[o] = '\0';
    return 0;
}

static bool
s_npi_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

//  NM1 name: an organisation's NM103, or a person's "NM104 NM103".
static int
s_nm1_name(const cq_x12_seg_t *seg, char *out, size_t n)
{
    cq_x12_str_t last = cq_x12_elem(seg, 3), first = cq_x12_elem(seg, 4);
    if (cq_x12_eq(cq_x12_elem(seg, 2), "1") && first.n > 0) {
        char tmp[2 * CQ_NAME_LEN + 2];
        snprintf(tmp, sizeof tmp, "%.*s %.*s",
                 (int)(first.n > CQ_NAME_LEN ? CQ_NAME_LEN : first.n), first.p,
                 (int)(last.n > CQ_NAME_LEN ? CQ_NAME_LEN : last.n), last.p);
        cq_strlcpy(out, tmp, n);
        return last.n >= n ? CQ_ETOOBIG : 0;
    }
    return cq_x12_copy(out, n, last);
}

//  A problem in a loop above the claims (2010AA, 2010BA, 2010CA): said
//  once at its segment (IK4 code at elem; NULL: not an X12 error) and kept
//  for every claim below it.
static void
s_ctx_err(cq_x12p_t *P, const cq_x12_seg_t *seg, unsigned elem,
          const char *code, bool *flag, char *why, size_t n, const char *msg)
{
    s_map_err(P, seg, "8", elem, 0, code, NULL, "%s", msg);
    s_ctx_bad(flag, why, n, msg);
}

//  IK403 of an identifier (NM109, REF02) that does not fit its field of
//  cap bytes (NUL included): 5 when it is also over the guide's max, else
//  none (a limit of the claim model, not an X12 error).
static const char *
s_long_code(cq_x12_str_t v, size_t max)
{
    return v.n > max ? "5" : NULL;
}

//  NM103 / NM104 of a person into last / first: IK4 5 (too long) at the
//  element that does not fit.
static void
s_person(cq_x12p_t *P, const cq_x12_seg_t *seg, cq_member_ref_t *m, bool *bad,
         char *why, size_t n, const char *msg)
{
    for (unsigned k = 3; k <= 4; k++) {
        char *dst = k == 3 ? m->last_name : m->first_name;
        size_t cap = k == 3 ? sizeof m->last_name : sizeof m->first_name;
        if (cq_x12_copy(dst, cap, cq_x12_elem(seg, k)) != 0)
            s_ctx_err(P, seg, k, "5", bad, why, n, msg);
    }
}

static void
s_ctx_nm1(cq_x12p_t *P, const cq_x12_seg_t *seg, cq_x12p_loop_t loop)
{
    cq_x12p_ctx_t *x = &P->ctx;
    cq_x12_str_t q8 = cq_x12_elem(seg, 8), id9 = cq_x12_elem(seg, 9);
    switch (loop) {
    case L_2010AA:
        x->billing_seen = true;
        if (s_nm1_name(seg, x->billing_name, sizeof x->billing_name) != 0)
            s_ctx_err(P, seg, 3, "5", &x->billing_bad, x->billing_why,
                      sizeof x->billing_why,
                      "billing_provider.name: NM103 of 2010AA too long");
        if (!cq_x12_eq(q8, "XX"))
            s_ctx_err(P, seg, 8, q8.n ? "7" : "1", &x->billing_bad,
                      x->billing_why, sizeof x->billing_why,
                      "billing_provider.npi: NM108/NM109 of 2010AA must be "
                      "XX and a 10-digit NPI");
        else if (cq_x12_copy(x->billing_npi, sizeof x->billing_npi, id9) != 0 ||
                 !s_npi_ok(x->billing_npi))
            s_ctx_err(P, seg, 9, id9.n ? "I12" : "1", &x->billing_bad,
                      x->billing_why, sizeof x->billing_why,
                      "billing_provider.npi: NM108/NM109 of 2010AA must be "
                      "XX and a 10-digit NPI");
        break;
    case L_2010BA:
        x->last_nm1 = 'I';
        if (id9.n == 0)
            s_ctx_err(P, seg, 9, "1", &x->sub_bad, x->sub_why,
                      sizeof x->sub_why, "member.id: NM109 of 2010BA missing");
        else if (cq_x12_copy(x->sub.id, sizeof x->sub.id, id9) != 0)
            s_ctx_err(P, seg, 9, s_long_code(id9, 80), &x->sub_bad, x->sub_why,
                      sizeof x->sub_why,
                      "member.id: NM109 of 2010BA longer than 39");
        s_person(P, seg, &x->sub, &x->sub_bad, x->sub_why, sizeof x->sub_why,
                 "member.last_name: NM103/NM104 of 2010BA too long");
        break;
    case L_2010BB:
        if (id9.n == 0) {
            s_map_err(P, seg, "8", 9, 0, "1", NULL,
                      "payer_id: NM109 of 2010BB missing");
        } else if (cq_x12_copy(x->payer_id, sizeof x->payer_id, id9) != 0) {
            s_map_err(P, seg, "8", 9, 0, s_long_code(id9, 80), NULL,
                      "payer_id: NM109 of 2010BB longer than %d",
                      CQ_ID_LEN - 1);
            x->payer_bad = true;
        }
        break;
    case L_2010CA:
        x->last_nm1 = 'Q';
        s_person(P, seg, &x->pat, &x->pat_bad, x->pat_why, sizeof x->pat_why,
                 "member.last_name: NM103/NM104 of 2010CA too long");
        break;
    default:
        break;
    }
}

static void
s_ctx_dmg(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    cq_x12p_ctx_t *x = &P->ctx;
    cq_member_ref_t *m = x->last_nm1 == 'I'   ? &x->sub
                         : x->last_nm1 == 'Q' ? &x->pat
                                              : NULL;
    if (m == NULL)
        return;
    bool *bad = x->last_nm1 == 'I' ? &x->sub_bad : &x->pat_bad;
    char *why = x->last_nm1 == 'I' ? x->sub_why : x->pat_why;
    cq_x12_str_t q = cq_x12_elem(seg, 1), d = cq_x12_elem(seg, 2),
                 sex = cq_x12_elem(seg, 3);
    if (d.n > 0 && !cq_x12_eq(q, "D8"))
        s_ctx_err(P, seg, 1, q.n ? "7" : "1", bad, why, 96,
                  "member.birth_date: DMG02 is not a CCYYMMDD date");
    else if (d.n > 0 && cq_date_parse_d8(d.p, d.n, &m->birth_date) != 0)
        s_ctx_err(P, seg, 2, "8", bad, why, 96,
                  "member.birth_date: DMG02 is not a CCYYMMDD date");
    if (sex.n == 1 && (sex.p[0] == 'F' || sex.p[0] == 'M' || sex.p[0] == 'U'))
        m->sex = sex.p[0];
    else if (sex.n > 0)
        s_ctx_err(P, seg, 3, "7", bad, why, 96,
                  "member.sex: DMG03 must be F, M or U");
}

//  Clears the scratch claim cheaply: the template's header and tail (to
//  the audit text's first byte), and only the lines the previous claim
//  used.
static void
s_claim_reset(cq_x12p_t *P)
{
    cq_claim_t *c = &P->claim;
    size_t lines_at = offsetof(cq_claim_t, lines);
    size_t tail_at = lines_at + sizeof c->lines;
    size_t end_at = offsetof(cq_claim_t, review_audit) + 1;
    memcpy(c, &P->blank, lines_at);
    memset(c->lines, 0, (size_t)P->dirty_lines * sizeof c->lines[0]);
    memcpy((char *)c + tail_at, (const char *)&P->blank + tail_at,
           end_at - tail_at);
    P->dirty_lines = 0;
}

static void
s_claim_start(cq_x12p_t *P, const cq_x12_set_t *set, const cq_x12_seg_t *seg)
{
    s_claim_reset(P);
    cq_claim_t *c = &P->claim;
    cq_x12p_ctx_t *x = &P->ctx;
    P->in_claim = true;
    P->line_open = false;
    P->line_dropped = false;
    P->icd9 = false;
    P->claim_pos[0] = '\0';
    P->claim_rendering[0] = '\0';
    P->stmt_from = P->stmt_to = CQ_DATE_NONE;
    c->type = set->type;
    c->source = CQ_SOURCE_X12;
    cq_x12p_err_claim(P, seg);
    cq_x12_str_t id = cq_x12_elem(seg, 1);
    if (id.n == 0) {
        snprintf(c->claim_id, sizeof c->claim_id, "#%zu", seg->number);
        s_map_err(P, seg, "8", 1, 0, "1", "M47",
                  "claim_id: CLM01 missing (segment %zu)", seg->number);
    } else if (cq_x12_copy(c->claim_id, sizeof c->claim_id, id) != 0 ||
               id.n > 38) {
        //  (1028 Claim Submitter's Identifier is AN 1-38)
        s_map_err(P, seg, "8", 1, 0, "5", "M47",
                  "claim_id: CLM01 longer than 38");
    }
    //  Context from the loops above: payer, billing provider, member.
    cq_strlcpy(c->payer_id, x->payer_id, sizeof c->payer_id);
    cq_strlcpy(c->billing_npi, x->billing_npi, sizeof c->billing_npi);
    cq_strlcpy(c->billing_tax_id, x->billing_tax_id, sizeof c->billing_tax_id);
    cq_strlcpy(c->billing_name, x->billing_name, sizeof c->billing_name);
    c->member = x->sub;
    if (x->dependent) {
        cq_strlcpy(c->member.last_name, x->pat.last_name,
                   sizeof c->member.last_name);
        cq_strlcpy(c->member.first_name, x->pat.first_name,
                   sizeof c->member.first_name);
        c->member.birth_date = x->pat.birth_date;
        c->member.sex = x->pat.sex;
        if (x->pat_bad)
            s_invalid(P, NULL, "%s", x->pat_why);
    }
    if (!x->billing_seen)
        s_invalid(P, "N257",
                  "billing_provider.npi: no 2010AA NM1*85 "
                  "billing provider");
    else if (x->billing_bad)
        s_invalid(P, "N257", "%s", x->billing_why);
    if (x->sub_bad)
        s_invalid(P, "N382", "%s", x->sub_why);
    if (c->member.id[0] == '\0')
        s_invalid(P, "N382", "member.id: NM109 of 2010BA missing");
    if (x->payer_bad)
        s_invalid(P, NULL, "payer_id: NM109 of 2010BB longer than %d",
                  CQ_ID_LEN - 1);
    else if (c->payer_id[0] == '\0')
        s_invalid(P, NULL, "payer_id: NM109 of 2010BB missing");
    //  CLM02 total, CLM05 facility / qualifier / frequency.
    cq_x12_str_t total = cq_x12_elem(seg, 2);
    if (cq_x12_amount(total, &c->total_charge) != 0 || c->total_charge < 0)
        s_map_err(P, seg, "8", 2, 0, s_num_code(total), "M54",
                  "total_charge: CLM02 is not a non-negative "
                  "amount");
    cq_x12_str_t c5 = cq_x12_elem(seg, 5);
    char cs = seg->seps.component;
    cq_x12_str_t pos = cq_x12_comp(c5, cs, 1), freq = cq_x12_comp(c5, cs, 3);
    if (freq.n == 1 && freq.p[0] >= '0' && freq.p[0] <= '9') {
        c->frequency = freq.p[0];
    } else {
        s_map_err(P, seg, "8", 5, 3, freq.n ? "7" : "1", NULL,
                  "frequency: CLM05-3 must be a claim frequency code "
                  "(1, 7, 8 ...)");
    }
    if (c->type == CQ_CLAIM_PROFESSIONAL) {
        if (pos.n == 2 && cq_x12p_numeric(pos))
            cq_x12_copy(P->claim_pos, sizeof P->claim_pos, pos);
        else
            s_map_err(P, seg, "8", 5, 1, pos.n ? "7" : "1", "M77",
                      "place_of_service: CLM05-1 must be a "
                      "2-digit place of service");
    }
}

//  Finishes the claim: defaults from the claim to its lines, the checks
//  that need the whole claim, then hands it to fn.
static void
s_claim_end(cq_x12p_t *P, cq_x12_set_t *set)
{
    if (!P->in_claim)
        return;
    cq_claim_t *c = &P->claim;
    int64_t sum = 0;
    bool sum_ok = true;
    for (uint8_t i = 0; i < c->n_lines; i++) {
        cq_line_t *l = &c->lines[i];
        if (l->rendering_npi[0] == '\0')
            cq_strlcpy(l->rendering_npi, P->claim_rendering,
                       sizeof l->rendering_npi);
        if (!P->line_has_date[i]) {
            if (P->stmt_from != CQ_DATE_NONE) {
                l->service_date = P->stmt_from;
                l->service_date_end =
                    P->stmt_to != P->stmt_from ? P->stmt_to : CQ_DATE_NONE;
            } else {
                s_invalid(P, "M52", "lines[%u].service_date: DTP*472 missing",
                          (unsigned)i + 1);
            }
        }
        if (!P->line_has_charge[i])
            sum_ok = false;
        sum += l->charge;
        for (uint8_t k = 0; k < l->n_pointers; k++)
            if (l->dx_pointers[k] > c->n_diagnoses)
                s_invalid(P, "M76",
                          "lines[%u].diagnosis_pointers: pointer %u but "
                          "only %u diagnoses",
                          (unsigned)i + 1, (unsigned)l->dx_pointers[k],
                          (unsigned)c->n_diagnoses);
    }
    if (c->received_date != CQ_DATE_NONE)
        for (uint8_t i = 0; i < c->n_lines; i++) {
            const cq_line_t *l = &c->lines[i];
            int32_t last = l->service_date_end != CQ_DATE_NONE
                               ? l->service_date_end
                               : l->service_date;
            if (last != CQ_DATE_NONE && last > c->received_date) {
                s_invalid(P, "M52",
                          "lines[%u].service_date: after the received date "
                          "(DTP*050)",
                          (unsigned)i + 1);
                break;
            }
        }
    if (c->n_lines == 0)
        s_invalid(P, NULL, "lines: no service line (2400 LX) in the claim");
    if (sum_ok && c->n_lines > 0 && !P->line_dropped &&
        sum != c->total_charge) {
        char a[CQ_MONEY_STRLEN], b[CQ_MONEY_STRLEN];
        s_invalid(P, "M54",
                  "total_charge: CLM02 %s does not equal the sum of the "
                  "line charges %s",
                  cq_money_format(c->total_charge, a), cq_money_format(sum, b));
    }
    if (c->n_diagnoses == 0 && c->type == CQ_CLAIM_PROFESSIONAL)
        s_invalid(P, "M76", "diagnoses: no HI diagnosis code");
    if (P->icd9) {
        //  ICD-9-CM is valid only for services before 2015-10-01.
        int32_t cut = cq_date_from_ymd(2015, 10, 1);
        for (uint8_t i = 0; i < c->n_lines; i++)
            if (c->lines[i].service_date != CQ_DATE_NONE &&
                c->lines[i].service_date >= cut) {
                s_invalid(P, "M76",
                          "diagnoses: ICD-9 codes (HI BK/BF) on a service "
                          "from 2015-10-01 on; use ICD-10 (ABK/ABF)");
                break;
            }
    }
    if ((c->frequency == '7' || c->frequency == '8') &&
        c->original_claim_id[0] == '\0')
        s_invalid(P, "M47",
                  "original_claim_id: frequency %c needs REF*F8 (the "
                  "original claim)",
                  c->frequency);
    P->in_claim = false;
    cq_x12p_err_claim(P, NULL);
    P->dirty_lines = c->n_lines;
    set->claims++;
    set->total_charge += c->total_charge;
    P->rep->claims++;
    P->rep->total_charge += c->total_charge;
    if (c->invalid) {
        set->invalid_claims++;
        P->rep->invalid_claims++;
    }
    if (P->fn && P->stop == 0) {
        P->stop = P->fn(P->arg, c);
        if (c->n_lines > P->dirty_lines)
            P->dirty_lines =
                c->n_lines > CQ_MAX_LINES ? CQ_MAX_LINES : c->n_lines;
    }
}

static int
s_date_range(const cq_x12_seg_t *seg, int32_t *from, int32_t *to)
{
    cq_x12_str_t q = cq_x12_elem(seg, 2), v = cq_x12_elem(seg, 3);
    if (cq_x12_eq(q, "D8"))
        return cq_date_parse_d8(v.p, v.n, from) == 0 ? ((*to = *from), 0)
                                                     : CQ_EINVAL;
    if (cq_x12_eq(q, "RD8")) {
        if (v.n != 17 || v.p[8] != '-' || cq_date_parse_d8(v.p, 8, from) != 0 ||
            cq_date_parse_d8(v.p + 9, 8, to) != 0 || *to < *from)
            return CQ_EINVAL;
        return 0;
    }
    return CQ_EINVAL;
}

static cq_line_t *
s_line(cq_x12p_t *P)
{
    if (!P->in_claim || !P->line_open)
        return NULL;
    return &P->claim.lines[P->claim.n_lines - 1];
}

static bool
s_is_alnum_str(cq_x12_str_t s)
{
    for (size_t i = 0; i < s.n; i++) {
        char ch = s.p[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9')))
            return false;
    }
    return true;
}

static void
s_procedure(cq_x12p_t *P, const cq_x12_seg_t *seg, cq_line_t *l, unsigned ln,
            unsigned en, const char *el)
{
    char cs = seg->seps.component;
    cq_x12_str_t e = cq_x12_elem(seg, en);
    cq_x12_str_t code = cq_x12_comp(e, cs, 2);
    if (code.n == 0 || cq_x12_copy(l->procedure, sizeof l->procedure, code)) {
        //  (234 Product/Service ID is AN 1-48)
        s_map_err(P, seg, "8", en, 2, code.n == 0 ? "1" : s_long_code(code, 48),
                  "M51",
                  "lines[%u].procedure: %s-2 missing or longer "
                  "than %d",
                  ln, el, CQ_CODE_LEN - 1);
    }
    for (unsigned k = 3; k <= 6; k++) {
        cq_x12_str_t m = cq_x12_comp(e, cs, k);
        if (m.n == 0)
            continue;
        if (m.n != 2 || !s_is_alnum_str(m)) {
            //  (1339 Procedure Modifier is AN 2-2)
            s_map_err(P, seg, "8", en, k,
                      m.n < 2   ? "4"
                      : m.n > 2 ? "5"
                                : "6",
                      "N519",
                      "lines[%u].modifiers: %s-%u is not a "
                      "2-character modifier",
                      ln, el, k);
            continue;
        }
        cq_x12_copy(l->modifiers[l->n_modifiers++], 3, m);
    }
}

static void
s_charge_units(cq_x12p_t *P, const cq_x12_seg_t *seg, cq_line_t *l, unsigned ln,
               unsigned ce, unsigned ue, const char *sv)
{
    cq_x12_str_t charge = cq_x12_elem(seg, ce), units = cq_x12_elem(seg, ue);
    if (cq_x12_amount(charge, &l->charge) != 0 || l->charge < 0)
        s_map_err(P, seg, "8", ce, 0, s_num_code(charge), "M79",
                  "lines[%u].charge: %s%02u is not a non-negative "
                  "amount",
                  ln, sv, ce);
    else
        P->line_has_charge[ln - 1] = true;
    int q = cq_x12_quantity(units, &l->units_milli);
    if (q != 0 || l->units_milli == 0)
        s_map_err(P, seg, "8", ue, 0, q != 0 ? s_num_code(units) : NULL, "M53",
                  "lines[%u].units: %s%02u must be a quantity above 0", ln, sv,
                  ue);
}

static void
s_sv1(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    cq_line_t *l = s_line(P);
    if (l == NULL)
        return;
    unsigned ln = P->claim.n_lines;
    char cs = seg->seps.component;
    s_procedure(P, seg, l, ln, 1, "SV101");
    s_charge_units(P, seg, l, ln, 2, 4, "SV1");
    cq_x12_str_t pos = cq_x12_elem(seg, 5);
    if (pos.n > 0) {
        if (pos.n == 2 && cq_x12p_numeric(pos))
            cq_x12_copy(l->place_of_service, sizeof l->place_of_service, pos);
        else
            s_map_err(P, seg, "8", 5, 0, "7", "M77",
                      "lines[%u].place_of_service: SV105 must be "
                      "a 2-digit place of service",
                      ln);
    }
    cq_x12_str_t ptr = cq_x12_elem(seg, 7);
    unsigned np = cq_x12_ncomp(ptr, cs);
    if (np > CQ_MAX_POINTERS) {
        s_map_err(P, seg, "8", 7, 0, "13", "M76",
                  "lines[%u].diagnosis_pointers: SV107 has more "
                  "than 4 pointers",
                  ln);
        np = CQ_MAX_POINTERS;
    }
    for (unsigned k = 1; k <= np; k++) {
        cq_x12_str_t v = cq_x12_comp(ptr, cs, k);
        uint64_t x = 0;
        bool number = cq_x12_uint(v, &x) == 0;
        if (!number || x < 1 || x > CQ_MAX_DX) {
            //  (1328 Diagnosis Code Pointer is N0 1-2; the guide: 1-12)
            s_map_err(P, seg, "8", 7, k,
                      number ? "7"
                      : v.n  ? "6"
                             : "1",
                      "M76",
                      "lines[%u].diagnosis_pointers: SV107-%u "
                      "must be 1 to 12",
                      ln, k);
            continue;
        }
        l->dx_pointers[l->n_pointers++] = (uint8_t)x;
    }
}

static void
s_sv2(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    cq_line_t *l = s_line(P);
    if (l == NULL)
        return;
    unsigned ln = P->claim.n_lines;
    cq_x12_str_t rev = cq_x12_elem(seg, 1);
    if (rev.n == 0 || !cq_x12p_numeric(rev) ||
        cq_x12_copy(l->revenue_code, sizeof l->revenue_code, rev) != 0)
        s_map_err(P, seg, "8", 1, 0, rev.n ? "7" : "1", "M50",
                  "lines[%u].revenue_code: SV201 must be a "
                  "revenue code",
                  ln);
    if (cq_x12_elem(seg, 2).n > 0)
        s_procedure(P, seg, l, ln, 2, "SV202");
    s_charge_units(P, seg, l, ln, 3, 5, "SV2");
}

static void
s_hi(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    cq_claim_t *c = &P->claim;
    char cs = seg->seps.component;
    for (unsigned k = 1; k <= seg->n_elems; k++) {
        cq_x12_str_t e = cq_x12_elem(seg, k);
        cq_x12_str_t q = cq_x12_comp(e, cs, 1), code = cq_x12_comp(e, cs, 2);
        bool icd9;
        if (cq_x12_eq(q, "ABK") || cq_x12_eq(q, "ABF"))
            icd9 = false;
        else if (cq_x12_eq(q, "BK") || cq_x12_eq(q, "BF"))
            icd9 = true;
        else
            continue; // condition, value, occurrence, procedure codes...
        if (c->n_diagnoses == CQ_MAX_DX) {
            s_invalid(P, "M76", "diagnoses: more than %d", CQ_MAX_DX);
            return;
        }
        if (cq_x12_icd_format(code, icd9, c->diagnoses[c->n_diagnoses],
                              sizeof c->diagnoses[0]) != 0) {
            s_map_err(P, seg, "8", k, 2, code.n ? "7" : "1", "M76",
                      "diagnoses: HI%02u-2 is not an ICD code", k);
            continue;
        }
        c->n_diagnoses++;
        P->icd9 |= icd9;
    }
}

static void
s_ref(cq_x12p_t *P, const cq_x12_seg_t *seg, cq_x12p_loop_t loop)
{
    cq_x12_str_t q = cq_x12_elem(seg, 1), v = cq_x12_elem(seg, 2);
    cq_claim_t *c = &P->claim;
    if (loop == L_2010AA) {
        if (cq_x12_eq(q, "EI") || cq_x12_eq(q, "SY")) {
            if (cq_x12_copy(P->ctx.billing_tax_id, sizeof P->ctx.billing_tax_id,
                            v) != 0)
                s_ctx_err(P, seg, 2, s_long_code(v, 50), &P->ctx.billing_bad,
                          P->ctx.billing_why, sizeof P->ctx.billing_why,
                          "billing_provider.tax_id: REF02 of 2010AA too "
                          "long");
        }
        return;
    }
    if (!P->in_claim)
        return;
    if (loop == L_2300 && cq_x12_eq(q, "G1")) {
        if (cq_x12_copy(c->prior_auth, sizeof c->prior_auth, v) != 0)
            s_map_err(P, seg, "8", 2, 0, s_long_code(v, 50), NULL,
                      "prior_auth: REF02 (G1) longer than %d", CQ_ID_LEN - 1);
    } else if (loop == L_2300 && cq_x12_eq(q, "F8")) {
        if (cq_x12_copy(c->original_claim_id, sizeof c->original_claim_id, v) !=
            0)
            s_map_err(P, seg, "8", 2, 0, s_long_code(v, 50), "M47",
                      "original_claim_id: REF02 (F8) longer "
                      "than %d",
                      CQ_ID_LEN - 1);
    } else if (loop == L_2400 && cq_x12_eq(q, "G1") &&
               c->prior_auth[0] == '\0') {
        cq_x12_copy(c->prior_auth, sizeof c->prior_auth, v);
    }
}

//  Which element of a DTP s_date_range refused, and its IK403: DTP02 not
//  D8 / RD8 (7 invalid code), else DTP03 (8 invalid date); 1 when empty.
static const char *
s_dtp_code(const cq_x12_seg_t *seg, unsigned *elem)
{
    cq_x12_str_t q = cq_x12_elem(seg, 2), v = cq_x12_elem(seg, 3);
    if (!cq_x12_eq(q, "D8") && !cq_x12_eq(q, "RD8")) {
        *elem = 2;
        return q.n ? "7" : "1";
    }
    *elem = 3;
    return v.n ? "8" : "1";
}

static void
s_dtp(cq_x12p_t *P, const cq_x12_seg_t *seg, cq_x12p_loop_t loop)
{
    if (!P->in_claim)
        return;
    cq_x12_str_t q = cq_x12_elem(seg, 1);
    int32_t from, to;
    if (loop == L_2400 && cq_x12_eq(q, "472")) {
        cq_line_t *l = s_line(P);
        if (l == NULL)
            return;
        unsigned ln = P->claim.n_lines;
        if (s_date_range(seg, &from, &to) != 0) {
            unsigned el;
            const char *code = s_dtp_code(seg, &el);
            s_map_err(P, seg, "8", el, 0, code, "M52",
                      "lines[%u].service_date: DTP*472 is not a "
                      "D8 date or RD8 range",
                      ln);
            return;
        }
        l->service_date = from;
        l->service_date_end = to != from ? to : CQ_DATE_NONE;
        P->line_has_date[ln - 1] = true;
    } else if (loop == L_2300 &&
               (cq_x12_eq(q, "434") ||
                (cq_x12_eq(q, "472") && P->stmt_from == CQ_DATE_NONE))) {
        //  837I statement period; a claim-level 472 some 837P senders
        //  write serves the same purpose: the date of lines without one.
        if (s_date_range(seg, &from, &to) != 0) {
            unsigned el;
            const char *code = s_dtp_code(seg, &el);
            s_map_err(P, seg, "8", el, 0, code, "M59",
                      "statement dates: DTP*%.3s is not a D8 date "
                      "or RD8 range",
                      q.p);
            return;
        }
        P->stmt_from = from;
        P->stmt_to = to;
    } else if (loop == L_2300 && cq_x12_eq(q, "050")) {
        //  Received (the guides' "repricer received date"): the day a
        //  clearinghouse, repricer or mailroom first received the claim.
        //  It is the claim's received_date; without it the day the broker
        //  journals the document is (docs/formats.md "X12 837").
        if (s_date_range(seg, &from, &to) != 0 || to != from) {
            s_invalid(P, "MA130", "received_date: DTP*050 is not a D8 date");
            return;
        }
        P->claim.received_date = from;
    }
}

static void
s_nm1_provider(cq_x12p_t *P, const cq_x12_seg_t *seg, cq_x12p_loop_t loop)
{
    if (!P->in_claim || !cq_x12_eq(cq_x12_elem(seg, 1), "82"))
        return;
    cq_x12_str_t q8 = cq_x12_elem(seg, 8), id = cq_x12_elem(seg, 9);
    if (!cq_x12_eq(q8, "XX"))
        return;
    char npi[16];
    if (cq_x12_copy(npi, sizeof npi, id) != 0 || !s_npi_ok(npi)) {
        s_map_err(P, seg, "8", 9, 0, id.n ? "I12" : "1", "N290",
                  "rendering_npi: NM109 of the rendering "
                  "provider is not a 10-digit NPI");
        return;
    }
    if (loop == L_2310) {
        cq_strlcpy(P->claim_rendering, npi, sizeof P->claim_rendering);
    } else {
        cq_line_t *l = s_line(P);
        if (l)
            cq_strlcpy(l->rendering_npi, npi, sizeof l->rendering_npi);
    }
}

static void
s_lx(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    if (!P->in_claim)
        return;
    cq_claim_t *c = &P->claim;
    if (c->n_lines == CQ_MAX_LINES) {
        //  IK3 code 4: loop 2400 occurs over its maximum (50)
        if (!P->line_dropped) {
            cq_limit_hit(CQ_LIMIT_CLAIM_LINES);
            s_map_err(P, seg, "4", 0, 0, NULL, NULL,
                      "lines: more than %d service lines", CQ_MAX_LINES);
        }
        P->line_dropped = true;
        P->line_open = false;
        return;
    }
    cq_line_t *l = &c->lines[c->n_lines];
    P->line_has_date[c->n_lines] = false;
    P->line_has_charge[c->n_lines] = false;
    c->n_lines++;
    if (c->n_lines > P->dirty_lines)
        P->dirty_lines = c->n_lines;
    P->line_open = true;
    l->service_date = CQ_DATE_NONE;
    l->service_date_end = CQ_DATE_NONE;
    cq_strlcpy(l->place_of_service, P->claim_pos, sizeof l->place_of_service);
}

//  Pass 2: one segment of an accepted set.
static void
s_map(cq_x12p_t *P, cq_x12_set_t *set, const cq_x12p_where_t *w,
      const cq_x12_seg_t *seg)
{
    cq_x12p_ctx_t *x = &P->ctx;
    switch (cq_x12_id(seg)) {
    case CQ_X12_ID('H', 'L', 0): {
        s_claim_end(P, set);
        cq_x12_str_t lv = cq_x12_elem(seg, 3);
        if (cq_x12_eq(lv, "20")) {
            memset(x, 0, sizeof *x);
            x->sub.birth_date = x->pat.birth_date = CQ_DATE_NONE;
        } else if (cq_x12_eq(lv, "22")) {
            memset(&x->sub, 0, sizeof x->sub);
            memset(&x->pat, 0, sizeof x->pat);
            x->sub.birth_date = x->pat.birth_date = CQ_DATE_NONE;
            x->payer_id[0] = '\0';
            x->sub_bad = x->pat_bad = x->payer_bad = false;
            x->dependent = false;
        } else {
            memset(&x->pat, 0, sizeof x->pat);
            x->pat.birth_date = CQ_DATE_NONE;
            x->pat_bad = false;
            x->dependent = true;
        }
        x->last_nm1 = 0;
        break;
    }
    case CQ_X12_ID('N', 'M', '1'):
        x->last_nm1 = 0;
        if (w->loop == L_2310 || w->loop == L_2420)
            s_nm1_provider(P, seg, w->loop);
        else if (!P->in_claim)
            s_ctx_nm1(P, seg, w->loop);
        break;
    case CQ_X12_ID('D', 'M', 'G'):
        if (!P->in_claim && (w->loop == L_2010BA || w->loop == L_2010CA))
            s_ctx_dmg(P, seg);
        break;
    case CQ_X12_ID('R', 'E', 'F'):
        s_ref(P, seg, w->loop);
        break;
    case CQ_X12_ID('C', 'L', 'M'):
        s_claim_end(P, set);
        s_claim_start(P, set, seg);
        break;
    case CQ_X12_ID('H', 'I', 0):
        if (P->in_claim && w->loop == L_2300)
            s_hi(P, seg);
        break;
    case CQ_X12_ID('D', 'T', 'P'):
        s_dtp(P, seg, w->loop);
        break;
    case CQ_X12_ID('L', 'X', 0):
        s_lx(P, seg);
        break;
    case CQ_X12_ID('S', 'V', '1'):
        if (w->loop == L_2400)
            s_sv1(P, seg);
        break;
    case CQ_X12_ID('S', 'V', '2'):
        if (w->loop == L_2400)
            s_sv2(P, seg);
        break;
    default:
        break;
    }
}

//  The next segment of the set for pass 2: from the refs pass 1 kept, or
//  read again when there were too many to keep.
static bool
s_next_ref(cq_x12p_t *P, cq_x12_reader_t *rd, const cq_x12_seg_t *st,
           uint32_t k, cq_x12_seg_t *seg)
{
    if (P->refs_over)
        return cq_x12_reader_raw(rd, seg) > 0;
    if (k >= P->n_refs)
        return false;
    const cq_x12p_ref_t *f = &P->refs[k];
    seg->data = P->buf + f->off;
    seg->len = f->len;
    seg->offset = f->off;
    seg->number = st->number + 1 + k;
    seg->seps = st->seps;
    seg->err = CQ_X12_SEG_OK;
    seg->err_elem = 0;
    seg->flags = f->flags;
    seg->id_len = f->id_len;
    seg->n_elems = 0;
    seg->start[0] = 1;
    memset(seg->id, 0, sizeof seg->id);
    memcpy(seg->id, seg->data, f->id_len);
    return true;
}

void
cq_x12p_map_set(cq_x12p_t *P, uint32_t si, cq_x12_reader_t rd,
                const cq_x12_seg_t *st)
{
    cq_x12_set_t *set = &P->rep->sets[si];
    memset(&P->ctx, 0, sizeof P->ctx);
    P->ctx.sub.birth_date = P->ctx.pat.birth_date = CQ_DATE_NONE;
    P->in_claim = false;
    cq_x12p_where_t w = {L_HEADER, 0, set->type == CQ_CLAIM_INSTITUTIONAL};
    P->map_set = si;
    P->map_st = st->number;
    P->map_w = &w;
    P->map_errors = 0;
    cq_x12p_err_claim(P, NULL);
    cq_x12_seg_t seg;
    for (uint32_t k = 0; P->stop == 0 && s_next_ref(P, &rd, st, k, &seg); k++) {
        switch (cq_x12_id(&seg)) {
        case CQ_X12_ID('S', 'E', 0):
            goto done;
        case CQ_X12_ID('H', 'L', 0):
        case CQ_X12_ID('N', 'M', '1'):
        case CQ_X12_ID('D', 'M', 'G'):
        case CQ_X12_ID('R', 'E', 'F'):
        case CQ_X12_ID('C', 'L', 'M'):
        case CQ_X12_ID('H', 'I', 0):
        case CQ_X12_ID('D', 'T', 'P'):
        case CQ_X12_ID('S', 'V', '1'):
        case CQ_X12_ID('S', 'V', '2'):
            cq_x12_seg_split(&seg);
            break;
        default:
            break;
        }
        cq_x12p_where_update(&w, &seg);
        s_map(P, set, &w, &seg);
    }
done:
    if (P->stop == 0)
        s_claim_end(P, set);
    P->in_claim = false;
    P->map_w = NULL;
}
