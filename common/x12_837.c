//  x12_837.c: 837P / 837I documents to claims, with a report of every
//  interchange, functional group and transaction set: the envelopes, the
//  structural pass and the driver. Pass 2 (a set's segments to claims) is
//  x12_837_map.c; what they share is x12_837_int.h.
//
//  Each transaction set is read twice. Pass 1 checks it as a whole: the
//  SE trailer (count, control number), the syntax of every segment, the
//  HL tree and the order of the loops. Only a set that passes is read
//  again (pass 2) to build claims, so a refused set yields no claim at all
//  even though its errors may sit after its first claims. Pass 2 never
//  refuses a set: what is wrong in a claim's content marks that claim
//  invalid (the engine rejects it CO-16) and the others go on.
#include "x12_837_int.h"
#include "hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE UINT32_MAX

// ------------------------------------------------------------ seen sets

static void
s_seen_clear(cq_x12p_seen_t *t)
{
    free(t->slot);
    memset(t, 0, sizeof *t);
}

//  Adds key; returns true when it was already there.
static bool
s_seen_add(cq_x12p_seen_t *t, const char *key)
{
    uint64_t h = cq_hash64(key, strlen(key), 0x5eed) | 1;
    if ((t->n + 1) * 2 > t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        uint64_t *slot = cq_xcalloc(cap, sizeof *slot);
        for (uint32_t i = 0; i < t->cap; i++) {
            if (t->slot[i] == 0)
                continue;
            uint32_t j = (uint32_t)t->slot[i] & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = t->slot[i];
        }
        free(t->slot);
        t->slot = slot;
        t->cap = cap;
    }
    uint32_t j = (uint32_t)h & (t->cap - 1);
    while (t->slot[j]) {
        if (t->slot[j] == h)
            return true;
        j = (j + 1) & (t->cap - 1);
    }
    t->slot[j] = h;
    t->n++;
    return false;
}

// ------------------------------------------------------------- loops

static void
s_where_name(const cq_x12p_where_t *w, char *out)
{
    static const char *const names[] = {
        "",      "1000A",  "1000B",  "2000A", "2010AA", "2010AB", "2010AC",
        "2000B", "2010BA", "2010BB", "2000C", "2010CA", "2300",   "2310",
        "2320",  "2330",   "2400",   "2410",  "2420",   "2430",   "2440"};
    size_t n = strlen(names[w->loop]);
    memcpy(out, names[w->loop], n);
    if (w->sub && (w->loop == L_2310 || w->loop == L_2330 || w->loop == L_2420))
        out[n++] = w->sub;
    out[n] = '\0';
}

//  Segments of the 837P / 837I implementation guides.
static bool
s_known_837(uint32_t id)
{
    switch (id) {
    case CQ_X12_ID('S', 'T', 0):
    case CQ_X12_ID('S', 'E', 0):
    case CQ_X12_ID('B', 'H', 'T'):
    case CQ_X12_ID('N', 'M', '1'):
    case CQ_X12_ID('P', 'E', 'R'):
    case CQ_X12_ID('H', 'L', 0):
    case CQ_X12_ID('P', 'R', 'V'):
    case CQ_X12_ID('C', 'U', 'R'):
    case CQ_X12_ID('N', '3', 0):
    case CQ_X12_ID('N', '4', 0):
    case CQ_X12_ID('R', 'E', 'F'):
    case CQ_X12_ID('S', 'B', 'R'):
    case CQ_X12_ID('P', 'A', 'T'):
    case CQ_X12_ID('D', 'M', 'G'):
    case CQ_X12_ID('C', 'L', 'M'):
    case CQ_X12_ID('D', 'T', 'P'):
    case CQ_X12_ID('P', 'W', 'K'):
    case CQ_X12_ID('C', 'N', '1'):
    case CQ_X12_ID('A', 'M', 'T'):
    case CQ_X12_ID('N', 'T', 'E'):
    case CQ_X12_ID('C', 'R', '1'):
    case CQ_X12_ID('C', 'R', '2'):
    case CQ_X12_ID('C', 'R', '3'):
    case CQ_X12_ID('C', 'R', '4'):
    case CQ_X12_ID('C', 'R', '5'):
    case CQ_X12_ID('C', 'R', '6'):
    case CQ_X12_ID('C', 'R', '7'):
    case CQ_X12_ID('C', 'R', '8'):
    case CQ_X12_ID('C', 'R', 'C'):
    case CQ_X12_ID('H', 'I', 0):
    case CQ_X12_ID('H', 'C', 'P'):
    case CQ_X12_ID('K', '3', 0):
    case CQ_X12_ID('L', 'X', 0):
    case CQ_X12_ID('S', 'V', '1'):
    case CQ_X12_ID('S', 'V', '2'):
    case CQ_X12_ID('S', 'V', '5'):
    case CQ_X12_ID('Q', 'T', 'Y'):
    case CQ_X12_ID('M', 'E', 'A'):
    case CQ_X12_ID('P', 'S', '1'):
    case CQ_X12_ID('L', 'I', 'N'):
    case CQ_X12_ID('C', 'T', 'P'):
    case CQ_X12_ID('S', 'V', 'D'):
    case CQ_X12_ID('C', 'A', 'S'):
    case CQ_X12_ID('O', 'I', 0):
    case CQ_X12_ID('M', 'O', 'A'):
    case CQ_X12_ID('M', 'I', 'A'):
    case CQ_X12_ID('L', 'Q', 0):
    case CQ_X12_ID('F', 'R', 'M'):
    case CQ_X12_ID('C', 'L', '1'):
    case CQ_X12_ID('H', 'S', 'D'):
    case CQ_X12_ID('T', 'O', 'O'):
        return true;
    default:
        return false;
    }
}

static bool
s_is_envelope(uint32_t id)
{
    return id == CQ_X12_ID('I', 'S', 'A') || id == CQ_X12_ID('I', 'E', 'A') ||
           id == CQ_X12_ID('G', 'S', 0) || id == CQ_X12_ID('G', 'E', 0) ||
           id == CQ_X12_ID('S', 'T', 0);
}

// ------------------------------------------------------------- report

void
cq_x12_report_free(cq_x12_report_t *rep)
{
    if (rep == NULL)
        return;
    free(rep->interchanges);
    free(rep->groups);
    free(rep->sets);
    free(rep->errors);
    memset(rep, 0, sizeof *rep);
}

bool
cq_x12_report_ok(const cq_x12_report_t *rep)
{
    if (rep->status != 0 || rep->sets_refused > 0 || rep->invalid_claims > 0 ||
        rep->n_errors > 0 || rep->errors_dropped > 0 ||
        rep->n_interchanges == 0)
        return false;
    for (uint32_t i = 0; i < rep->n_interchanges; i++)
        if (strcmp(rep->interchanges[i].ta1, "000") != 0)
            return false;
    for (uint32_t i = 0; i < rep->n_groups; i++)
        if (rep->groups[i].status != 'A' || strcmp(rep->groups[i].id, "HC"))
            return false;
    return true;
}

const char *
cq_x12_group_name(const char *gs01)
{
    static const struct {
        const char *id, *name;
    } t[] = {
        {"HC", "an 837 claim"},
        {"HP", "an 835 remittance"},
        {"FA", "a 999 acknowledgment"},
        {"BE", "an 834 benefit enrollment"},
        {"HS", "a 270 eligibility inquiry"},
        {"HB", "a 271 eligibility response"},
        {"HR", "a 276 claim status request"},
        {"HN", "a 277 claim status response"},
        {"HI", "a 278 services review"},
        {"RA", "an 820 premium payment"},
    };
    for (size_t i = 0; i < CQ_ARRAY_LEN(t); i++)
        if (strcmp(gs01, t[i].id) == 0)
            return t[i].name;
    return "a non-claim X12";
}

//  Grows an array of the report to hold one more item, within cap.
static void *
s_grow(void *arr, uint32_t n, uint32_t *cap, size_t size, uint32_t max)
{
    if (n < *cap)
        return arr;
    if (n >= max)
        return NULL;
    uint32_t c = *cap ? *cap * 2 : 8;
    if (c > max)
        c = max;
    arr = cq_xrealloc(arr, (size_t)c * size);
    *cap = c;
    return arr;
}

// ------------------------------------------------------------- parser

//  IK402: the data element reference numbers of the elements the checks
//  look at (X12 data element dictionary); 0 for the others. comp 0 is the
//  element itself; a composite's components have their own numbers.
static uint16_t
s_elem_ref(const char *sid, unsigned elem, unsigned comp)
{
    static const struct {
        char seg[4];
        uint8_t elem, comp_lo, comp_hi;
        uint16_t ref;
    } t[] = {
        {"ST", 1, 0, 0, 143},   {"ST", 2, 0, 0, 329},   {"ST", 3, 0, 0, 1705},
        {"SE", 1, 0, 0, 96},    {"SE", 2, 0, 0, 329},   {"BHT", 1, 0, 0, 1005},
        {"BHT", 2, 0, 0, 353},  {"BHT", 3, 0, 0, 127},  {"BHT", 4, 0, 0, 373},
        {"BHT", 5, 0, 0, 337},  {"BHT", 6, 0, 0, 640},  {"HL", 1, 0, 0, 628},
        {"HL", 2, 0, 0, 734},   {"HL", 3, 0, 0, 735},   {"HL", 4, 0, 0, 736},
        {"NM1", 1, 0, 0, 98},   {"NM1", 2, 0, 0, 1065}, {"NM1", 3, 0, 0, 1035},
        {"NM1", 4, 0, 0, 1036}, {"NM1", 5, 0, 0, 1037}, {"NM1", 7, 0, 0, 1039},
        {"NM1", 8, 0, 0, 66},   {"NM1", 9, 0, 0, 67},   {"REF", 1, 0, 0, 128},
        {"REF", 2, 0, 0, 127},  {"DTP", 1, 0, 0, 374},  {"DTP", 2, 0, 0, 1250},
        {"DTP", 3, 0, 0, 1251}, {"DMG", 1, 0, 0, 1250}, {"DMG", 2, 0, 0, 1251},
        {"DMG", 3, 0, 0, 1068}, {"CLM", 1, 0, 0, 1028}, {"CLM", 2, 0, 0, 782},
        {"CLM", 5, 1, 1, 1331}, {"CLM", 5, 2, 2, 1332}, {"CLM", 5, 3, 3, 1325},
        {"LX", 1, 0, 0, 554},   {"SV1", 1, 1, 1, 235},  {"SV1", 1, 2, 2, 234},
        {"SV1", 1, 3, 6, 1339}, {"SV1", 2, 0, 0, 782},  {"SV1", 3, 0, 0, 355},
        {"SV1", 4, 0, 0, 380},  {"SV1", 5, 0, 0, 1331}, {"SV1", 7, 1, 4, 1328},
        {"SV2", 1, 0, 0, 234},  {"SV2", 2, 1, 1, 235},  {"SV2", 2, 2, 2, 234},
        {"SV2", 2, 3, 6, 1339}, {"SV2", 3, 0, 0, 782},  {"SV2", 4, 0, 0, 355},
        {"SV2", 5, 0, 0, 380},  {"NTE", 1, 0, 0, 363},  {"NTE", 2, 0, 0, 352},
    };
    if (strcmp(sid, "HI") == 0)
        return comp == 1 ? 1270 : comp == 2 ? 1271 : 0; // C022, HI01..HI12
    for (size_t i = 0; i < CQ_ARRAY_LEN(t); i++)
        if (t[i].elem == elem && comp >= t[i].comp_lo && comp <= t[i].comp_hi &&
            strcmp(t[i].seg, sid) == 0)
            return t[i].ref;
    return 0;
}

//  IK404: a copy of the bad element, for codes that have a value to copy
//  (not 1 missing, 2 conditional missing, 3 too many elements), except in
//  segments that carry names, identifiers, addresses or birth dates: the
//  999 goes back to the sender, but it is stored and shown elsewhere too.
static void
s_bad_copy(cq_x12_error_t *e, const cq_x12_seg_t *seg, unsigned elem,
           unsigned comp)
{
    static const char *const personal[] = {"NM1", "N3",  "N4",  "DMG", "PER",
                                           "REF", "PAT", "CUR", NULL};
    const char *c = e->elem_code;
    if (strcmp(c, "1") == 0 || strcmp(c, "2") == 0 || strcmp(c, "3") == 0 ||
        !(seg->flags & CQ_X12_SEG_SPLIT) || elem > seg->n_elems)
        return;
    for (int i = 0; personal[i]; i++)
        if (strcmp(seg->id, personal[i]) == 0)
            return;
    cq_x12_str_t v = cq_x12_elem(seg, elem);
    if (comp)
        v = cq_x12_comp(v, seg->seps.component, comp);
    cq_strncpy_n(e->bad, sizeof e->bad, v.p,
                 v.n > CQ_X12_MAX_BAD ? CQ_X12_MAX_BAD : v.n);
}

//  Records an error of a set (set != S_NONE) or of the envelope; sid, when
//  not NULL, names the segment instead of seg (a missing segment).
static void s_verr(cq_x12p_t *P, uint32_t set, const cq_x12_seg_t *seg,
                   const char *sid, uint32_t pos, const cq_x12p_where_t *w,
                   const char *seg_code, unsigned elem, unsigned comp,
                   const char *elem_code, const char *fmt, va_list ap)
    CQ_PRINTF(11, 0);

static void
s_verr(cq_x12p_t *P, uint32_t set, const cq_x12_seg_t *seg, const char *sid,
       uint32_t pos, const cq_x12p_where_t *w, const char *seg_code,
       unsigned elem, unsigned comp, const char *elem_code, const char *fmt,
       va_list ap)
{
    cq_x12_report_t *rep = P->rep;
    if (set != S_NONE) {
        cq_x12_set_t *s = &rep->sets[set];
        P->set_errors++;
        if (s->n_errors >= CQ_X12_MAX_SET_ERRORS) {
            rep->errors_dropped++;
            return;
        }
    }
    cq_x12_error_t *arr = s_grow(rep->errors, rep->n_errors, &rep->cap_errors,
                                 sizeof *arr, CQ_X12_MAX_ERRORS);
    if (arr == NULL) {
        cq_limit_hit(CQ_LIMIT_X12_ENVELOPES);
        rep->errors_dropped++;
        return;
    }
    rep->errors = arr;
    cq_x12_error_t *e = &arr[rep->n_errors++];
    memset(e, 0, sizeof *e);
    e->set = set;
    e->position = pos;
    if (seg) {
        e->offset = seg->offset;
        e->number = seg->number;
        cq_strlcpy(e->seg_id, seg->id, sizeof e->seg_id);
    }
    if (sid)
        cq_strlcpy(e->seg_id, sid, sizeof e->seg_id);
    if (w)
        s_where_name(w, e->loop);
    cq_strlcpy(e->seg_code, seg_code ? seg_code : "", sizeof e->seg_code);
    e->element = (uint8_t)(elem > 99 ? 99 : elem);
    e->component = (uint8_t)(comp > 99 ? 99 : comp);
    cq_strlcpy(e->elem_code, elem_code ? elem_code : "", sizeof e->elem_code);
    if (set != S_NONE && seg_code && seg_code[0]) {
        cq_strlcpy(e->claim_id, P->err_claim, sizeof e->claim_id);
        if (elem > 0 && e->elem_code[0]) {
            e->elem_ref = s_elem_ref(e->seg_id, elem, comp);
            if (seg)
                s_bad_copy(e, seg, elem, comp);
        }
    }
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    if (set != S_NONE) {
        cq_x12_set_t *s = &rep->sets[set];
        if (s->n_errors == 0)
            s->first_error = rep->n_errors - 1;
        s->n_errors++;
    }
}

void
cq_x12p_err(cq_x12p_t *P, uint32_t set, const cq_x12_seg_t *seg, uint32_t pos,
            const cq_x12p_where_t *w, const char *seg_code, unsigned elem,
            unsigned comp, const char *elem_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verr(P, set, seg, NULL, pos, w, seg_code, elem, comp, elem_code, fmt, ap);
    va_end(ap);
}

//  A required segment sid missing at position pos (IK304 3).
static void s_missing(cq_x12p_t *P, uint32_t set, const char *sid, uint32_t pos,
                      const cq_x12p_where_t *w, const char *fmt, ...)
    CQ_PRINTF(6, 7);

static void
s_missing(cq_x12p_t *P, uint32_t set, const char *sid, uint32_t pos,
          const cq_x12p_where_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verr(P, set, NULL, sid, pos, w, "3", 0, 0, "", fmt, ap);
    va_end(ap);
}

static void
s_add_code(char codes[5][4], uint8_t *n, const char *code)
{
    for (uint8_t i = 0; i < *n; i++)
        if (strcmp(codes[i], code) == 0)
            return;
    if (*n < 5)
        cq_strlcpy(codes[(*n)++], code, 4);
}

static void
s_copy_trim(char *dst, size_t n, cq_x12_str_t s)
{
    cq_x12_copy(dst, n, cq_x12_trim(s));
}

// --------------------------------------------------------- envelope

static void
s_close_group(cq_x12p_t *P, bool trailer_missing)
{
    if (P->gs == S_NONE)
        return;
    cq_x12_group_t *g = &P->rep->groups[P->gs];
    if (trailer_missing)
        s_add_code(g->codes, &g->n_codes, "3");
    g->accepted = 0;
    bool noted = false; // a set accepted with errors noted
    for (uint32_t i = 0; i < g->n_sets; i++) {
        char st = P->rep->sets[g->first_set + i].status;
        g->accepted += st != 'R';
        noted |= st == 'E';
    }
    if (g->n_sets == 0)
        g->status = g->n_codes ? 'R' : 'A';
    else if (g->accepted == g->n_sets)
        g->status = g->n_codes || noted ? 'E' : 'A';
    else if (g->accepted == 0)
        g->status = 'R';
    else
        g->status = 'P';
    P->gs = S_NONE;
    s_seen_clear(&P->st_seen);
}

static void
s_close_interchange(cq_x12p_t *P, bool trailer_missing)
{
    s_close_group(P, true);
    if (P->ic == S_NONE)
        return;
    cq_x12_interchange_t *ic = &P->rep->interchanges[P->ic];
    if (trailer_missing && strcmp(ic->ta1, "000") == 0)
        cq_strlcpy(ic->ta1, "023", sizeof ic->ta1);
    P->ic = S_NONE;
    s_seen_clear(&P->gs_seen);
}

static void
s_isa(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    cq_x12_report_t *rep = P->rep;
    if (P->ic != S_NONE) {
        cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
                    "ISA: interchange %s has no IEA before the next ISA",
                    rep->interchanges[P->ic].control);
        s_close_interchange(P, true);
    }
    cq_x12_interchange_t *arr =
        s_grow(rep->interchanges, rep->n_interchanges, &rep->cap_interchanges,
               sizeof *arr, CQ_X12_MAX_INTERCHANGES);
    if (arr == NULL) {
        cq_limit_hit(CQ_LIMIT_X12_ENVELOPES);
        rep->errors_dropped++;
        return;
    }
    rep->interchanges = arr;
    cq_x12_interchange_t *ic = &arr[rep->n_interchanges];
    memset(ic, 0, sizeof *ic);
    s_copy_trim(ic->sender_qual, sizeof ic->sender_qual, cq_x12_elem(seg, 5));
    s_copy_trim(ic->sender, sizeof ic->sender, cq_x12_elem(seg, 6));
    s_copy_trim(ic->receiver_qual, sizeof ic->receiver_qual,
                cq_x12_elem(seg, 7));
    s_copy_trim(ic->receiver, sizeof ic->receiver, cq_x12_elem(seg, 8));
    s_copy_trim(ic->date, sizeof ic->date, cq_x12_elem(seg, 9));
    s_copy_trim(ic->time, sizeof ic->time, cq_x12_elem(seg, 10));
    s_copy_trim(ic->version, sizeof ic->version, cq_x12_elem(seg, 12));
    s_copy_trim(ic->control, sizeof ic->control, cq_x12_elem(seg, 13));
    cq_x12_str_t a = cq_x12_elem(seg, 14), u = cq_x12_elem(seg, 15);
    ic->ack_requested = a.n == 1 ? a.p[0] : '0';
    ic->usage = u.n == 1 ? u.p[0] : 'P';
    ic->seps = seg->seps;
    ic->offset = seg->offset;
    ic->first_group = rep->n_groups;
    cq_strlcpy(ic->ta1, "000", sizeof ic->ta1);
    if (seg->n_elems < 16)
        cq_strlcpy(ic->ta1, "024", sizeof ic->ta1); // invalid ISA
    else if (s_seen_add(&P->isa_seen, ic->control))
        cq_strlcpy(ic->ta1, "025", sizeof ic->ta1);
    P->ic = rep->n_interchanges++;
}

static void
s_iea(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    if (P->ic == S_NONE) {
        cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
                    "IEA: no interchange is open");
        return;
    }
    s_close_group(P, true);
    cq_x12_interchange_t *ic = &P->rep->interchanges[P->ic];
    char n[12] = "", ctl[16] = "";
    s_copy_trim(n, sizeof n, cq_x12_elem(seg, 1));
    s_copy_trim(ctl, sizeof ctl, cq_x12_elem(seg, 2));
    ic->declared_groups = (uint32_t)strtoul(n, NULL, 10);
    if (strcmp(ic->ta1, "000") == 0) {
        if (strcmp(ctl, ic->control) != 0) {
            cq_strlcpy(ic->ta1, "001", sizeof ic->ta1);
            cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 2, 0, "",
                        "IEA02 %s does not match ISA13 %s (TA1 001)", ctl,
                        ic->control);
        } else if (n[0] == 0 || ic->declared_groups != ic->n_groups) {
            cq_strlcpy(ic->ta1, "021", sizeof ic->ta1);
            cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 1, 0, "",
                        "IEA01 says %s groups, counted %u (TA1 021)", n,
                        (unsigned)ic->n_groups);
        }
    }
    P->ic = S_NONE;
    s_seen_clear(&P->gs_seen);
}

static void
s_gs(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    cq_x12_report_t *rep = P->rep;
    if (P->gs != S_NONE) {
        cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
                    "GS: group %s has no GE before the next GS",
                    rep->groups[P->gs].control);
        s_close_group(P, true);
    }
    if (P->ic == S_NONE) {
        cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
                    "GS: outside an interchange (no ISA before it)");
        if (rep->n_interchanges == 0)
            return;
    }
    cq_x12_group_t *arr = s_grow(rep->groups, rep->n_groups, &rep->cap_groups,
                                 sizeof *arr, CQ_X12_MAX_GROUPS);
    if (arr == NULL) {
        cq_limit_hit(CQ_LIMIT_X12_ENVELOPES);
        rep->errors_dropped++;
        return;
    }
    rep->groups = arr;
    cq_x12_group_t *g = &arr[rep->n_groups];
    memset(g, 0, sizeof *g);
    s_copy_trim(g->id, sizeof g->id, cq_x12_elem(seg, 1));
    s_copy_trim(g->sender, sizeof g->sender, cq_x12_elem(seg, 2));
    s_copy_trim(g->receiver, sizeof g->receiver, cq_x12_elem(seg, 3));
    s_copy_trim(g->control, sizeof g->control, cq_x12_elem(seg, 6));
    s_copy_trim(g->version, sizeof g->version, cq_x12_elem(seg, 8));
    uint32_t ic = P->ic != S_NONE ? P->ic : rep->n_interchanges - 1;
    g->interchange = ic;
    g->offset = seg->offset;
    g->first_set = rep->n_sets;
    g->acknowledge = strcmp(g->id, "FA") != 0;
    g->status = 'A';
    if (P->ic != S_NONE) {
        rep->interchanges[ic].n_groups++;
        if (s_seen_add(&P->gs_seen, g->control))
            s_add_code(g->codes, &g->n_codes, "6");
    }
    if (strcmp(g->id, "HC") == 0) {
        if (strncmp(g->version, "00501", 5) != 0) {
            s_add_code(g->codes, &g->n_codes, "2");
            cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 8, 0, "",
                        "GS08 %s: only 005010 837s are supported", g->version);
        }
    } else if (g->acknowledge) {
        s_add_code(g->codes, &g->n_codes, "1");
    }
    P->gs = rep->n_groups++;
}

static void
s_ge(cq_x12p_t *P, const cq_x12_seg_t *seg)
{
    if (P->gs == S_NONE) {
        cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
                    "GE: no functional group is open");
        return;
    }
    cq_x12_group_t *g = &P->rep->groups[P->gs];
    char n[12] = "", ctl[16] = "";
    s_copy_trim(n, sizeof n, cq_x12_elem(seg, 1));
    s_copy_trim(ctl, sizeof ctl, cq_x12_elem(seg, 2));
    g->declared_sets = (uint32_t)strtoul(n, NULL, 10);
    if (strcmp(ctl, g->control) != 0) {
        s_add_code(g->codes, &g->n_codes, "4");
        cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 2, 0, "",
                    "GE02 %s does not match GS06 %s (AK9 4)", ctl, g->control);
    }
    if (n[0] == 0 || g->declared_sets != g->n_sets) {
        s_add_code(g->codes, &g->n_codes, "5");
        cq_x12p_err(P, S_NONE, seg, 0, NULL, "", 1, 0, "",
                    "GE01 says %s transaction sets, counted %u (AK9 5)", n,
                    (unsigned)g->n_sets);
    }
    s_close_group(P, false);
}

// ------------------------------------------------------------- pass 1

//  Per-set state of the structural checks.
typedef struct {
    cq_x12p_where_t where;
    bool type_known;         // X222 / X223 said which, or SV1/SV2 did
    uint64_t last_hl;        // last HL01 (numeric), 0 none
    char hl20[16], hl22[16]; // HL01 of the current 20 and 22
    int level;               // current HL level: 0, 20, 22, 23
    uint32_t prev;           // id of the previous segment
    uint32_t lx_pos;         // position of an LX waiting for SV1/SV2
    uint32_t n_hl20;         // billing provider levels seen
    uint32_t n_clm;          // claims seen
} s_scan_t;

//  The claim the next errors sit in (CTX*CLM01 of the 999): its CLM01,
//  or none ("" also for a claim without CLM01).
void
cq_x12p_err_claim(cq_x12p_t *P, const cq_x12_seg_t *clm)
{
    P->err_claim[0] = '\0';
    if (clm && cq_x12_copy(P->err_claim, sizeof P->err_claim,
                           cq_x12_elem(clm, 1)) != 0)
        P->err_claim[0] = '\0';
}

bool
cq_x12p_numeric(cq_x12_str_t s)
{
    if (s.n == 0 || s.n > 12)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

static void
s_check_hl(cq_x12p_t *P, uint32_t set, s_scan_t *sc, const cq_x12_seg_t *seg,
           uint32_t pos)
{
    cq_x12_str_t id = cq_x12_elem(seg, 1), parent = cq_x12_elem(seg, 2),
                 lv = cq_x12_elem(seg, 3);
    const cq_x12p_where_t *w = &sc->where;
    if (!cq_x12p_numeric(id)) {
        cq_x12p_err(P, set, seg, pos, w, "8", 1, 0, id.n ? "6" : "1",
                    "HL01: hierarchical id must be a number");
        return;
    }
    uint64_t v = 0;
    cq_x12_uint(id, &v);
    if (v <= sc->last_hl) {
        cq_x12p_err(P, set, seg, pos, w, "8", 1, 0, "7",
                    "HL01: id %.*s is not above the previous HL01 (ids must be "
                    "unique and increasing)",
                    (int)id.n, id.p);
    }
    sc->last_hl = v;
    char idc[16];
    cq_x12_copy(idc, sizeof idc, id);
    if (cq_x12_eq(lv, "20")) {
        if (parent.n != 0)
            cq_x12p_err(P, set, seg, pos, w, "8", 2, 0, "10",
                        "HL02: a billing provider level (20) has no parent");
        cq_strlcpy(sc->hl20, idc, sizeof sc->hl20);
        sc->hl22[0] = '\0';
        sc->level = 20;
    } else if (cq_x12_eq(lv, "22")) {
        if (sc->hl20[0] == '\0')
            cq_x12p_err(P, set, seg, pos, w, "7", 0, 0, "",
                        "HL: subscriber level (22) before any billing provider "
                        "level (20)");
        else if (!cq_x12_eq(parent, sc->hl20))
            cq_x12p_err(P, set, seg, pos, w, "8", 2, 0, "7",
                        "HL02: parent %.*s of a subscriber level is not the "
                        "billing provider HL %s",
                        (int)(parent.n > 12 ? 12 : parent.n), parent.p,
                        sc->hl20);
        cq_strlcpy(sc->hl22, idc, sizeof sc->hl22);
        sc->level = 22;
    } else if (cq_x12_eq(lv, "23")) {
        if (sc->hl22[0] == '\0')
            cq_x12p_err(
                P, set, seg, pos, w, "7", 0, 0, "",
                "HL: patient level (23) before any subscriber level (22)");
        else if (!cq_x12_eq(parent, sc->hl22))
            cq_x12p_err(P, set, seg, pos, w, "8", 2, 0, "7",
                        "HL02: parent %.*s of a patient level is not the "
                        "subscriber HL %s",
                        (int)(parent.n > 12 ? 12 : parent.n), parent.p,
                        sc->hl22);
        sc->level = 23;
    } else {
        cq_x12p_err(P, set, seg, pos, w, "8", 3, 0, lv.n ? "7" : "1",
                    "HL03: level code must be 20, 22 or 23");
    }
}

//  Pass 1 check of one segment inside a transaction set.
static void
s_check_segment(cq_x12p_t *P, uint32_t set, s_scan_t *sc, cq_x12_seg_t *seg,
                uint32_t pos)
{
    cq_x12_set_t *s = &P->rep->sets[set];
    uint32_t id = cq_x12_id(seg);
    //  A short segment without control bytes cannot break a cap: split
    //  only what must be looked at.
    if (seg->len > CQ_X12_MAX_ELEMENTS || (seg->flags & CQ_X12_SEG_CTL) ||
        id == CQ_X12_ID('H', 'L', 0) || id == CQ_X12_ID('C', 'L', 'M'))
        cq_x12_seg_split(seg);
    if (id == CQ_X12_ID('H', 'L', 0))
        cq_x12p_err_claim(P, NULL);
    else if (id == CQ_X12_ID('C', 'L', 'M'))
        cq_x12p_err_claim(P, seg);
    //  An LX must be followed by its SV1 / SV2.
    if (sc->lx_pos && id != CQ_X12_ID('S', 'V', '1') &&
        id != CQ_X12_ID('S', 'V', '2'))
        s_missing(P, set, s->type == CQ_CLAIM_INSTITUTIONAL ? "SV2" : "SV1",
                  sc->lx_pos + 1, &sc->where,
                  "LX at position %u: %s must follow it", (unsigned)sc->lx_pos,
                  s->type == CQ_CLAIM_INSTITUTIONAL ? "SV2" : "SV1");
    sc->lx_pos = 0;
    cq_x12p_where_update(&sc->where, seg);
    const cq_x12p_where_t *w = &sc->where;
    switch (seg->err) {
    case CQ_X12_SEG_BAD_ID:
        cq_x12p_err(P, set, seg, pos, w, "1", 0, 0, "",
                    "segment %u: not a segment id (2-3 letters or digits)",
                    (unsigned)pos);
        return;
    case CQ_X12_SEG_TOO_LONG:
        cq_x12p_err(P, set, seg, pos, w, "8", 0, 0, "",
                    "%s: segment longer than %u bytes (wrong terminator?)",
                    seg->id, (unsigned)CQ_X12_MAX_SEGMENT_LEN);
        return;
    case CQ_X12_SEG_TOO_MANY_ELEMS:
        cq_x12p_err(P, set, seg, pos, w, "8", seg->err_elem, 0, "3",
                    "%s: more than %u elements", seg->id,
                    (unsigned)CQ_X12_MAX_ELEMENTS);
        return;
    case CQ_X12_SEG_ELEM_TOO_LONG:
        cq_x12p_err(P, set, seg, pos, w, "8", seg->err_elem, 0, "5",
                    "%s%02u: longer than %u bytes", seg->id,
                    (unsigned)seg->err_elem, (unsigned)CQ_X12_MAX_ELEMENT_LEN);
        return;
    case CQ_X12_SEG_BAD_CHAR:
        cq_x12p_err(P, set, seg, pos, w, "8", seg->err_elem, 0, "6",
                    "%s%02u: control character in the data", seg->id,
                    (unsigned)seg->err_elem);
        return;
    default:
        break;
    }
    if (!s_known_837(id)) {
        cq_x12p_err(P, set, seg, pos, w, "1", 0, 0, "",
                    "%s: not a segment of the 837 implementation guides",
                    seg->id);
        return;
    }
    if (pos == 2 && id != CQ_X12_ID('B', 'H', 'T'))
        s_missing(P, set, "BHT", 2, w,
                  "BHT: required as the second segment of an 837");
    switch (id) {
    case CQ_X12_ID('H', 'L', 0):
        s_check_hl(P, set, sc, seg, pos);
        sc->n_hl20 += sc->level == 20;
        break;
    case CQ_X12_ID('C', 'L', 'M'):
        sc->n_clm++;
        if (sc->level != 22 && sc->level != 23)
            cq_x12p_err(P, set, seg, pos, w, "2", 0, 0, "",
                        "CLM: a claim must sit under a subscriber (22) or "
                        "patient (23) HL");
        break;
    case CQ_X12_ID('L', 'X', 0):
        if (w->loop != L_2400 || sc->level < 22) {
            cq_x12p_err(P, set, seg, pos, w, "2", 0, 0, "",
                        "LX: service line outside a claim (no CLM before it)");
        } else {
            //  Service lines need a claim in this HL: remember to check.
            sc->lx_pos = pos;
        }
        break;
    case CQ_X12_ID('S', 'V', '1'):
    case CQ_X12_ID('S', 'V', '2'): {
        bool inst = id == CQ_X12_ID('S', 'V', '2');
        if (!sc->type_known) {
            sc->type_known = true;
            s->type = inst ? CQ_CLAIM_INSTITUTIONAL : CQ_CLAIM_PROFESSIONAL;
            sc->where.institutional = inst;
        }
        if (sc->prev != CQ_X12_ID('L', 'X', 0))
            cq_x12p_err(P, set, seg, pos, w, "7", 0, 0, "",
                        "%s: must directly follow an LX", seg->id);
        else if (inst != (s->type == CQ_CLAIM_INSTITUTIONAL))
            cq_x12p_err(P, set, seg, pos, w, "2", 0, 0, "",
                        "%s: not allowed in an %s", seg->id,
                        s->type == CQ_CLAIM_INSTITUTIONAL ? "837I" : "837P");
        break;
    }
    default:
        break;
    }
    sc->prev = id;
}

// ------------------------------------------------------------- sets

static bool
s_contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

//  The set an ST opens in the report (NULL: none, outside a group or past
//  the cap), and whether it is an 837 this reader takes (*supported).
static cq_x12_set_t *
s_set_open(cq_x12p_t *P, const cq_x12_seg_t *st, uint32_t *si, s_scan_t *sc,
           bool *supported)
{
    cq_x12_report_t *rep = P->rep;
    *si = S_NONE;
    cq_x12_group_t *g = P->gs != S_NONE ? &rep->groups[P->gs] : NULL;
    if (g == NULL) {
        cq_x12p_err(P, S_NONE, st, 0, NULL, "", 0, 0, "",
                    "ST: outside a functional group (no GS before it); the "
                    "transaction set is ignored");
    } else {
        cq_x12_set_t *arr = s_grow(rep->sets, rep->n_sets, &rep->cap_sets,
                                   sizeof *arr, CQ_X12_MAX_SETS);
        if (arr == NULL) {
            cq_limit_hit(CQ_LIMIT_X12_ENVELOPES);
            rep->errors_dropped++;
            g = NULL;
        } else {
            rep->sets = arr;
            *si = rep->n_sets++;
        }
    }
    cq_x12_set_t *set = *si != S_NONE ? &rep->sets[*si] : NULL;
    *supported = false;
    memset(sc, 0, sizeof *sc);
    if (set) {
        memset(set, 0, sizeof *set);
        s_copy_trim(set->id, sizeof set->id, cq_x12_elem(st, 1));
        s_copy_trim(set->control, sizeof set->control, cq_x12_elem(st, 2));
        cq_x12_str_t v = cq_x12_elem(st, 3);
        if (v.n > 0)
            s_copy_trim(set->version, sizeof set->version, v);
        else
            cq_strlcpy(set->version, g->version, sizeof set->version);
        set->group = P->gs;
        set->offset = st->offset;
        set->status = 'A';
        g->n_sets++;
        bool x223 = s_contains(set->version, "X223");
        sc->type_known = x223 || s_contains(set->version, "X222");
        set->type = x223 ? CQ_CLAIM_INSTITUTIONAL : CQ_CLAIM_PROFESSIONAL;
        sc->where.institutional = x223;
        P->set_errors = 0;
        if (!g->acknowledge) {
            *supported = false;
        } else if (strcmp(g->id, "HC") != 0) {
            cq_x12p_err(P, *si, st, 1, NULL, "", 0, 0, "",
                        "ST*%s: %s, not an 837 claim (IK5 1)", set->id,
                        cq_x12_group_name(g->id));
        } else if (strcmp(set->id, "837") != 0) {
            cq_x12p_err(
                P, *si, st, 1, NULL, "", 1, 0, "",
                "ST01 %s: only 837 transaction sets belong in an HC group",
                set->id);
        } else if (strncmp(g->version, "00501", 5) != 0) {
            cq_x12p_err(P, *si, st, 1, NULL, "", 0, 0, "",
                        "GS08 %s: only 005010 837s are supported", g->version);
        } else if (strncmp(set->version, "00501", 5) != 0) {
            cq_x12p_err(P, *si, st, 1, NULL, "", 3, 0, "",
                        "ST03 %s: only 005010 837s are supported",
                        set->version);
        } else if (s_contains(set->version, "X224") ||
                   s_contains(g->version, "X224")) {
            cq_x12p_err(P, *si, st, 1, NULL, "", 3, 0, "",
                        "ST03 %s: 837D (dental) claims are not supported",
                        set->version);
        } else {
            *supported = true;
        }
    }
    return set;
}

//  The checks a whole set needs (loops left open, ST02 unique, the SE
//  trailer): their IK5 codes, and the errors.
static void
s_set_verdict(cq_x12p_t *P, uint32_t si, const cq_x12_seg_t *st,
              const cq_x12_seg_t *se, bool ended, uint32_t pos,
              const s_scan_t *sc, bool supported)
{
    cq_x12_set_t *set = &P->rep->sets[si];
    const cq_x12_group_t *g = &P->rep->groups[set->group];
    if (supported && sc->lx_pos)
        s_missing(P, si, set->type == CQ_CLAIM_INSTITUTIONAL ? "SV2" : "SV1",
                  sc->lx_pos + 1, &sc->where,
                  "LX at position %u: no SV1/SV2 after it",
                  (unsigned)sc->lx_pos);
    if (supported && ended && pos <= 2)
        s_missing(P, si, "BHT", 2, &sc->where,
                  "BHT: required as the second segment of an 837");
    else if (supported && ended && sc->n_hl20 == 0)
        s_missing(P, si, "HL", pos, &sc->where,
                  "HL: no billing provider level (HL 20, loop 2000A)");
    else if (supported && ended && sc->n_clm == 0)
        s_missing(P, si, "CLM", pos, &sc->where,
                  "CLM: no claim in the transaction set (loop 2300)");
    uint32_t seg_errors = P->set_errors;
    set->segments = pos;
    if (!supported && g->acknowledge)
        s_add_code(set->codes, &set->n_codes, "1");
    if (seg_errors > 0)
        s_add_code(set->codes, &set->n_codes, "5");
    cq_x12_str_t ctl = cq_x12_elem(st, 2);
    if (ctl.n < 4 || ctl.n > 9) {
        s_add_code(set->codes, &set->n_codes, "7");
        cq_x12p_err(P, si, st, 1, NULL, "", 2, 0, "",
                    "ST02: control number must be 4 to 9 characters (IK5 7)");
    } else if (s_seen_add(&P->st_seen, set->control)) {
        s_add_code(set->codes, &set->n_codes, "23");
        cq_x12p_err(P, si, st, 1, NULL, "", 2, 0, "",
                    "ST02 %s: not unique in its functional group (IK5 23)",
                    set->control);
    }
    if (!ended) {
        s_add_code(set->codes, &set->n_codes, "2");
        cq_x12p_err(P, si, NULL, pos, NULL, "", 0, 0, "",
                    "transaction set %s has no SE trailer (IK5 2)",
                    set->control);
    } else {
        cq_x12_str_t n = cq_x12_trim(cq_x12_elem(se, 1));
        cq_x12_str_t c2 = cq_x12_trim(cq_x12_elem(se, 2));
        uint64_t nv = 0;
        if (cq_x12_uint(n, &nv) != 0 || nv != pos) {
            s_add_code(set->codes, &set->n_codes, "4");
            cq_x12p_err(P, si, se, pos, NULL, "", 1, 0, "",
                        "SE01 says %.*s segments, counted %u (IK5 4)",
                        (int)(n.n > 12 ? 12 : n.n), n.p, (unsigned)pos);
        }
        if (!cq_x12_eq(c2, set->control)) {
            s_add_code(set->codes, &set->n_codes, "3");
            cq_x12p_err(P, si, se, pos, NULL, "", 2, 0, "",
                        "SE02 %.*s does not match ST02 %s (IK5 3)",
                        (int)(c2.n > 12 ? 12 : c2.n), c2.p, set->control);
        }
    }
}

//  Reads one transaction set from its ST: pass 1, the verdict, and pass 2
//  when accepted. A segment that ends the set without SE (ISA, GS, GE,
//  IEA, ST) is left in *next for the caller.
static void
s_set(cq_x12p_t *P, cq_x12_reader_t *r, cq_x12_seg_t *st, cq_x12_seg_t *next,
      bool *have_next)
{
    cq_x12_report_t *rep = P->rep;
    uint32_t si;
    s_scan_t sc;
    bool supported;
    cq_x12_set_t *set = s_set_open(P, st, &si, &sc, &supported);
    cq_x12_reader_t snap = *r;
    uint32_t pos = 1;
    P->n_refs = 0;
    P->refs_over = false;
    bool ended = false;
    P->set_errors = 0;
    P->map_errors = 0;
    cq_x12p_err_claim(P, NULL);
    uint32_t clm = 0;
    if (set && supported)
        s_check_segment(P, si, &sc, st, 1);
    const cq_x12_seg_t *se = NULL;
    while (cq_x12_reader_raw(r, next) > 0) {
        uint32_t id = cq_x12_id(next);
        if (s_is_envelope(id)) {
            *have_next = true;
            break;
        }
        pos++;
        if (id == CQ_X12_ID('S', 'E', 0)) {
            cq_x12_seg_split(next);
            ended = true;
            se = next;
            break;
        }
        if (P->n_refs < CQ_X12P_MAX_REFS) {
            if (P->n_refs == P->cap_refs) {
                P->cap_refs = P->cap_refs ? P->cap_refs * 2 : 4096;
                P->refs =
                    cq_xrealloc(P->refs, (size_t)P->cap_refs * sizeof *P->refs);
            }
            cq_x12p_ref_t *f = &P->refs[P->n_refs++];
            f->off = (uint32_t)next->offset;
            f->len = (uint16_t)next->len;
            f->id_len = (uint8_t)next->id_len;
            f->flags = next->flags & CQ_X12_SEG_CTL;
        } else {
            P->refs_over = true;
        }
        clm += id == CQ_X12_ID('C', 'L', 'M');
        if (set && supported)
            s_check_segment(P, si, &sc, next, pos);
    }
    if (set == NULL)
        return;
    set->clm_segments = clm;
    s_set_verdict(P, si, st, se, ended, pos, &sc, supported);
    const cq_x12_group_t *g = &rep->groups[set->group];
    set->status = set->n_codes ? 'R' : 'A';
    if (!g->acknowledge)
        return; // an acknowledgment: its envelope is checked, no more
    if (set->status == 'R') {
        rep->sets_refused++;
        rep->refused_claims += clm;
        return;
    }
    rep->sets_accepted++;
    if (supported)
        cq_x12p_map_set(P, si, snap, st);
    if (P->map_errors > 0) {
        //  Accepted, errors noted: the claims they sit in are invalid.
        set->status = 'E';
        s_add_code(set->codes, &set->n_codes, "5");
    }
}

// ------------------------------------------------------------- driver

int
cq_x12_parse(const void *buf, size_t len, cq_claim_fn *fn, void *arg,
             cq_x12_report_t *rep_out, cq_diag_t *diag)
{
    cq_x12_report_t local;
    cq_x12_report_t *rep = rep_out ? rep_out : &local;
    memset(rep, 0, sizeof *rep);
    cq_x12p_t *P = cq_xmalloc(sizeof *P);
    memset(P, 0, offsetof(cq_x12p_t, claim));
    P->rep = rep;
    P->buf = buf;
    P->fn = fn;
    P->arg = arg;
    P->ic = P->gs = S_NONE;
    cq_claim_init(&P->blank);
    cq_claim_init(&P->claim);
    P->in_claim = false;
    P->dirty_lines = 0;

    cq_x12_reader_t r;
    cq_x12_reader_init(&r, buf, len);
    cq_x12_seg_t seg;
    bool have = false;
    while (P->stop == 0) {
        if (!have && cq_x12_reader_next(&r, &seg) <= 0)
            break;
        have = false;
        cq_x12_seg_split(&seg);
        switch (cq_x12_id(&seg)) {
        case CQ_X12_ID('I', 'S', 'A'):
            s_isa(P, &seg);
            break;
        case CQ_X12_ID('G', 'S', 0):
            s_gs(P, &seg);
            break;
        case CQ_X12_ID('S', 'T', 0): {
            cq_x12_seg_t st = seg;
            s_set(P, &r, &st, &seg, &have);
            break;
        }
        case CQ_X12_ID('G', 'E', 0):
            s_ge(P, &seg);
            break;
        case CQ_X12_ID('I', 'E', 'A'):
            s_iea(P, &seg);
            break;
        case CQ_X12_ID('T', 'A', '1'):
            break; // an interchange acknowledgment riding along
        default:
            cq_x12p_err(P, S_NONE, &seg, 0, NULL, "", 0, 0, "",
                        "segment %zu (%s): outside a transaction set",
                        seg.number, seg.id[0] ? seg.id : "?");
            break;
        }
    }
    int rc = 0;
    if (r.err) {
        if (rep->n_interchanges == 0) {
            rc = r.err;
        } else {
            cq_x12p_err(P, S_NONE, NULL, 0, NULL, "", 0, 0, "", "byte %zu: %s",
                        r.err_at, r.err_msg);
        }
    }
    if (P->stop == 0)
        s_close_interchange(P, true);
    if (rc == 0 && rep->n_groups > 0) {
        const cq_x12_group_t *g0 = &rep->groups[0];
        if (strcmp(g0->id, "HC") == 0)
            cq_strlcpy(rep->kind,
                       rep->n_sets &&
                               rep->sets[0].type == CQ_CLAIM_INSTITUTIONAL
                           ? "837I"
                           : "837P",
                       sizeof rep->kind);
        else if (strcmp(g0->id, "HP") == 0)
            cq_strlcpy(rep->kind, "835", sizeof rep->kind);
        else if (strcmp(g0->id, "HN") == 0)
            cq_strlcpy(rep->kind,
                       s_contains(g0->version, "X214") ? "277CA" : "277",
                       sizeof rep->kind);
        else if (strcmp(g0->id, "FA") == 0)
            cq_strlcpy(rep->kind,
                       rep->n_sets ? rep->sets[g0->first_set].id : "999",
                       sizeof rep->kind);
        else
            cq_strlcpy(rep->kind, g0->id, sizeof rep->kind);
        bool any837 = false;
        for (uint32_t i = 0; i < rep->n_groups && !any837; i++)
            any837 = strcmp(rep->groups[i].id, "HC") == 0;
        if (!any837) {
            rc = CQ_EUNSUPPORTED;
            snprintf(rep->msg, sizeof rep->msg, "%s, not an 837 claim file",
                     strcmp(g0->id, "FA") == 0 && strcmp(rep->kind, "997") == 0
                         ? "a 997 acknowledgment"
                         : cq_x12_group_name(g0->id));
        }
    } else if (rc == 0 && P->stop == 0) {
        rc = CQ_EPROTO;
        snprintf(rep->msg, sizeof rep->msg,
                 "X12 interchange without a functional group (GS)");
    } else if (rc != 0) {
        snprintf(rep->msg, sizeof rep->msg, "%s", r.err_msg);
    }
    if (rc != 0) {
        rep->status = rc;
        cq_diag_set(diag, rc, r.err ? r.err_at : 0, "%s", rep->msg);
    }
    int stop = P->stop;
    int claims = (int)rep->claims;
    free(P->refs);
    s_seen_clear(&P->isa_seen);
    s_seen_clear(&P->gs_seen);
    s_seen_clear(&P->st_seen);
    free(P);
    if (rep_out == NULL)
        cq_x12_report_free(&local);
    if (rc != 0)
        return rc;
    return stop ? stop : claims;
}
