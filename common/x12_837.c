//  x12_837.c: 837P / 837I documents to claims, with a report of every
//  interchange, functional group and transaction set.
//
//  Each transaction set is read twice. Pass 1 checks it as a whole: the
//  SE trailer (count, control number), the syntax of every segment, the
//  HL tree and the order of the loops. Only a set that passes is read
//  again (pass 2) to build claims, so a refused set yields no claim at all
//  even though its errors may sit after its first claims. Pass 2 never
//  refuses a set: what is wrong in a claim's content marks that claim
//  invalid (the engine rejects it CO-16) and the others go on.
#include "x12_int.h"
#include "hash.h"
#include "money.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE UINT32_MAX

// ------------------------------------------------------------ seen sets

//  A set of 64-bit key hashes (control numbers that must be unique).
typedef struct {
    uint64_t *slot; // 0 = empty
    uint32_t cap;   // power of two, or 0
    uint32_t n;
} s_seen_t;

static void
s_seen_clear(s_seen_t *t)
{
    free(t->slot);
    memset(t, 0, sizeof *t);
}

//  Adds key; returns true when it was already there.
static bool
s_seen_add(s_seen_t *t, const char *key)
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

//  Where a segment sits in the 837 loop tree, as far as the parser needs
//  it (IK303 and which NM1 / REF / DTP means what).
typedef enum {
    L_HEADER = 0,
    L_1000A,
    L_1000B,
    L_2000A,
    L_2010AA,
    L_2010AB,
    L_2010AC,
    L_2000B,
    L_2010BA,
    L_2010BB,
    L_2000C,
    L_2010CA,
    L_2300,
    L_2310,
    L_2320,
    L_2330,
    L_2400,
    L_2410,
    L_2420,
    L_2430,
    L_2440,
} s_loop_t;

typedef struct {
    s_loop_t loop;
    char sub; // letter of 2310/2330/2420 ("B" of 2310B), or 0
    bool institutional;
} s_where_t;

static char
s_letter(const char *const *table, cq_x12_str_t q)
{
    for (int i = 0; table[i]; i++)
        if (cq_x12_eq(q, table[i]))
            return (char)('A' + i);
    return 0;
}

//  2310 / 2330 / 2420 sub-loops by NM101, in the order of the guides.
static const char *const s_2310p[] = {"DN", "82", "77", "DQ", "PW", "45", NULL};
static const char *const s_2310i[] = {"71", "72", "ZZ", "82", "77", "DN", NULL};
static const char *const s_2330p[] = {"IL", "PR", "DN", "82",
                                      "77", "DQ", "85", NULL};
static const char *const s_2330i[] = {"IL", "PR", "71", "72", "ZZ",
                                      "82", "77", "DN", NULL};
static const char *const s_2420p[] = {"82", "QB", "77", "DQ", "DK",
                                      "DN", "PW", "45", NULL};
static const char *const s_2420i[] = {"72", "ZZ", "82", "DN", NULL};

//  Element 1 of a segment, split or not (pass 1 leaves most unsplit).
static cq_x12_str_t
s_elem1(const cq_x12_seg_t *seg)
{
    if (seg->flags & CQ_X12_SEG_SPLIT)
        return cq_x12_elem(seg, 1);
    cq_x12_str_t s = {"", 0};
    uint32_t i = seg->id_len;
    if (i >= seg->len || seg->data[i] != seg->seps.element)
        return s;
    uint32_t j = ++i;
    while (j < seg->len && seg->data[j] != seg->seps.element)
        j++;
    s.p = seg->data + i;
    s.n = j - i;
    return s;
}

static void
s_where_update(s_where_t *w, const cq_x12_seg_t *seg)
{
    uint32_t id = cq_x12_id(seg);
    s_loop_t l = w->loop;
    if (id == CQ_X12_ID('H', 'L', 0)) {
        cq_x12_str_t lv = cq_x12_elem(seg, 3);
        w->loop = cq_x12_eq(lv, "20")   ? L_2000A
                  : cq_x12_eq(lv, "22") ? L_2000B
                  : cq_x12_eq(lv, "23") ? L_2000C
                                        : l;
        w->sub = 0;
    } else if (id == CQ_X12_ID('N', 'M', '1')) {
        cq_x12_str_t q = s_elem1(seg);
        if (l <= L_1000B) {
            if (cq_x12_eq(q, "41"))
                w->loop = L_1000A;
            else if (cq_x12_eq(q, "40"))
                w->loop = L_1000B;
        } else if (l <= L_2010AC) {
            if (cq_x12_eq(q, "85"))
                w->loop = L_2010AA;
            else if (cq_x12_eq(q, "87"))
                w->loop = L_2010AB;
            else if (cq_x12_eq(q, "PE"))
                w->loop = L_2010AC;
        } else if (l <= L_2010BB) {
            if (cq_x12_eq(q, "IL"))
                w->loop = L_2010BA;
            else if (cq_x12_eq(q, "PR"))
                w->loop = L_2010BB;
        } else if (l <= L_2010CA) {
            if (cq_x12_eq(q, "QC"))
                w->loop = L_2010CA;
        } else if (l <= L_2310) {
            w->loop = L_2310;
            w->sub = s_letter(w->institutional ? s_2310i : s_2310p, q);
            if (!w->institutional && cq_x12_eq(q, "P3"))
                w->sub = 'A'; // referring: DN or P3 (primary care)
        } else if (l <= L_2330) {
            w->loop = L_2330;
            w->sub = s_letter(w->institutional ? s_2330i : s_2330p, q);
        } else {
            w->loop = L_2420;
            w->sub = s_letter(w->institutional ? s_2420i : s_2420p, q);
        }
    } else if (id == CQ_X12_ID('C', 'L', 'M')) {
        w->loop = L_2300;
        w->sub = 0;
    } else if (id == CQ_X12_ID('S', 'B', 'R')) {
        if (l >= L_2300) {
            w->loop = L_2320;
            w->sub = 0;
        }
    } else if (id == CQ_X12_ID('L', 'X', 0)) {
        w->loop = L_2400;
        w->sub = 0;
    } else if (id == CQ_X12_ID('L', 'I', 'N')) {
        w->loop = L_2410;
    } else if (id == CQ_X12_ID('S', 'V', 'D')) {
        w->loop = L_2430;
    } else if (id == CQ_X12_ID('L', 'Q', 0)) {
        w->loop = L_2440;
    }
}

static void
s_where_name(const s_where_t *w, char *out)
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

//  Context of the 837 loops above the claim (pass 2).
typedef struct {
    char billing_npi[16];
    char billing_tax_id[16];
    char billing_name[CQ_NAME_LEN];
    bool billing_seen; // an NM1*85 was read
    bool billing_bad;  // its NPI or name was unusable
    char billing_why[96];
    cq_member_ref_t sub; // 2010BA
    bool sub_bad;
    char sub_why[96];
    char payer_id[CQ_ID_LEN];
    bool payer_bad;
    cq_member_ref_t pat; // 2010CA
    bool pat_bad;
    char pat_why[96];
    bool dependent; // the claim is under an HL 23
    int last_nm1;   // 0 none, 'I' subscriber, 'Q' patient
} s_ctx_t;

//  Where pass 1 found each segment of a set, so that pass 2 need not look
//  for terminators again.
typedef struct {
    uint32_t off;   // byte offset in the document (<= CQ_X12_MAX_DOC)
    uint16_t len;   // bytes (<= CQ_X12_MAX_SEGMENT_LEN)
    uint8_t id_len; // 2 or 3
    uint8_t flags;  // CQ_X12_SEG_CTL
} s_ref_t;

#define S_MAX_REFS (4u << 20) // segments remembered per set (32 MiB)

typedef struct {
    cq_x12_report_t *rep;
    const char *buf; // the document
    s_ref_t *refs;   // segments of the current set after ST
    uint32_t n_refs, cap_refs;
    bool refs_over; // more than S_MAX_REFS: read again instead
    cq_claim_fn *fn;
    void *arg;
    int stop;            // fn's nonzero value
    uint32_t ic;         // open interchange or S_NONE
    uint32_t gs;         // open group or S_NONE
    s_seen_t isa_seen;   // ISA13 in the document
    s_seen_t gs_seen;    // GS06 in the interchange
    s_seen_t st_seen;    // ST02 in the group
    uint32_t set_errors; // errors of the current set (kept or not)
    //  pass 2
    s_ctx_t ctx;
    cq_claim_t claim; // the claim being built
    cq_claim_t blank; // cq_claim_init'ed template
    bool in_claim;
    bool line_open;    // the current LX is kept (under the cap)
    bool line_dropped; // lines past CQ_MAX_LINES
    bool icd9;         // an ICD-9 code (BK/BF) was seen
    bool line_has_date[CQ_MAX_LINES];
    bool line_has_charge[CQ_MAX_LINES];
    char claim_pos[3];          // CLM05-1 (837P)
    char claim_rendering[11];   // 2310B / 2310D NPI
    int32_t stmt_from, stmt_to; // 837I DTP*434
    uint8_t dirty_lines;        // lines of the scratch claim to clear
    //  where errors are: pass 1 and pass 2 (IK3, CTX)
    char err_claim[CQ_ID_LEN]; // CLM01 of the claim being read, or ""
    uint32_t map_set;          // pass 2: the set being mapped
    size_t map_st;             // pass 2: segment number of its ST
    const s_where_t *map_w;    // pass 2: the loop of the current segment
    uint32_t map_errors;       // pass 2: data element errors found
} s_parser_t;

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
static void s_verr(s_parser_t *P, uint32_t set, const cq_x12_seg_t *seg,
                   const char *sid, uint32_t pos, const s_where_t *w,
                   const char *seg_code, unsigned elem, unsigned comp,
                   const char *elem_code, const char *fmt, va_list ap)
    CQ_PRINTF(11, 0);

static void
s_verr(s_parser_t *P, uint32_t set, const cq_x12_seg_t *seg, const char *sid,
       uint32_t pos, const s_where_t *w, const char *seg_code, unsigned elem,
       unsigned comp, const char *elem_code, const char *fmt, va_list ap)
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

static void s_err(s_parser_t *P, uint32_t set, const cq_x12_seg_t *seg,
                  uint32_t pos, const s_where_t *w, const char *seg_code,
                  unsigned elem, unsigned comp, const char *elem_code,
                  const char *fmt, ...) CQ_PRINTF(10, 11);

static void
s_err(s_parser_t *P, uint32_t set, const cq_x12_seg_t *seg, uint32_t pos,
      const s_where_t *w, const char *seg_code, unsigned elem, unsigned comp,
      const char *elem_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verr(P, set, seg, NULL, pos, w, seg_code, elem, comp, elem_code, fmt, ap);
    va_end(ap);
}

//  A required segment sid missing at position pos (IK304 3).
static void s_missing(s_parser_t *P, uint32_t set, const char *sid,
                      uint32_t pos, const s_where_t *w, const char *fmt, ...)
    CQ_PRINTF(6, 7);

static void
s_missing(s_parser_t *P, uint32_t set, const char *sid, uint32_t pos,
          const s_where_t *w, const char *fmt, ...)
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
s_close_group(s_parser_t *P, bool trailer_missing)
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
s_close_interchange(s_parser_t *P, bool trailer_missing)
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
s_isa(s_parser_t *P, const cq_x12_seg_t *seg)
{
    cq_x12_report_t *rep = P->rep;
    if (P->ic != S_NONE) {
        s_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
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
s_iea(s_parser_t *P, const cq_x12_seg_t *seg)
{
    if (P->ic == S_NONE) {
        s_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
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
            s_err(P, S_NONE, seg, 0, NULL, "", 2, 0, "",
                  "IEA02 %s does not match ISA13 %s (TA1 001)", ctl,
                  ic->control);
        } else if (n[0] == 0 || ic->declared_groups != ic->n_groups) {
            cq_strlcpy(ic->ta1, "021", sizeof ic->ta1);
            s_err(P, S_NONE, seg, 0, NULL, "", 1, 0, "",
                  "IEA01 says %s groups, counted %u (TA1 021)", n,
                  (unsigned)ic->n_groups);
        }
    }
    P->ic = S_NONE;
    s_seen_clear(&P->gs_seen);
}

static void
s_gs(s_parser_t *P, const cq_x12_seg_t *seg)
{
    cq_x12_report_t *rep = P->rep;
    if (P->gs != S_NONE) {
        s_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
              "GS: group %s has no GE before the next GS",
              rep->groups[P->gs].control);
        s_close_group(P, true);
    }
    if (P->ic == S_NONE) {
        s_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
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
            s_err(P, S_NONE, seg, 0, NULL, "", 8, 0, "",
                  "GS08 %s: only 005010 837s are supported", g->version);
        }
    } else if (g->acknowledge) {
        s_add_code(g->codes, &g->n_codes, "1");
    }
    P->gs = rep->n_groups++;
}

static void
s_ge(s_parser_t *P, const cq_x12_seg_t *seg)
{
    if (P->gs == S_NONE) {
        s_err(P, S_NONE, seg, 0, NULL, "", 0, 0, "",
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
        s_err(P, S_NONE, seg, 0, NULL, "", 2, 0, "",
              "GE02 %s does not match GS06 %s (AK9 4)", ctl, g->control);
    }
    if (n[0] == 0 || g->declared_sets != g->n_sets) {
        s_add_code(g->codes, &g->n_codes, "5");
        s_err(P, S_NONE, seg, 0, NULL, "", 1, 0, "",
              "GE01 says %s transaction sets, counted %u (AK9 5)", n,
              (unsigned)g->n_sets);
    }
    s_close_group(P, false);
}

// ------------------------------------------------------------- pass 1

//  Per-set state of the structural checks.
typedef struct {
    s_where_t where;
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
static void
s_err_claim(s_parser_t *P, const cq_x12_seg_t *clm)
{
    P->err_claim[0] = '\0';
    if (clm && cq_x12_copy(P->err_claim, sizeof P->err_claim,
                           cq_x12_elem(clm, 1)) != 0)
        P->err_claim[0] = '\0';
}

static bool
s_numeric(cq_x12_str_t s)
{
    if (s.n == 0 || s.n > 12)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

static void
s_check_hl(s_parser_t *P, uint32_t set, s_scan_t *sc, const cq_x12_seg_t *seg,
           uint32_t pos)
{
    cq_x12_str_t id = cq_x12_elem(seg, 1), parent = cq_x12_elem(seg, 2),
                 lv = cq_x12_elem(seg, 3);
    const s_where_t *w = &sc->where;
    if (!s_numeric(id)) {
        s_err(P, set, seg, pos, w, "8", 1, 0, id.n ? "6" : "1",
              "HL01: hierarchical id must be a number");
        return;
    }
    uint64_t v = 0;
    cq_x12_uint(id, &v);
    if (v <= sc->last_hl) {
        s_err(P, set, seg, pos, w, "8", 1, 0, "7",
              "HL01: id %.*s is not above the previous HL01 (ids must be "
              "unique and increasing)",
              (int)id.n, id.p);
    }
    sc->last_hl = v;
    char idc[16];
    cq_x12_copy(idc, sizeof idc, id);
    if (cq_x12_eq(lv, "20")) {
        if (parent.n != 0)
            s_err(P, set, seg, pos, w, "8", 2, 0, "10",
                  "HL02: a billing provider level (20) has no parent");
        cq_strlcpy(sc->hl20, idc, sizeof sc->hl20);
        sc->hl22[0] = '\0';
        sc->level = 20;
    } else if (cq_x12_eq(lv, "22")) {
        if (sc->hl20[0] == '\0')
            s_err(P, set, seg, pos, w, "7", 0, 0, "",
                  "HL: subscriber level (22) before any billing provider "
                  "level (20)");
        else if (!cq_x12_eq(parent, sc->hl20))
            s_err(P, set, seg, pos, w, "8", 2, 0, "7",
                  "HL02: parent %.*s of a subscriber level is not the "
                  "billing provider HL %s",
                  (int)(parent.n > 12 ? 12 : parent.n), parent.p, sc->hl20);
        cq_strlcpy(sc->hl22, idc, sizeof sc->hl22);
        sc->level = 22;
    } else if (cq_x12_eq(lv, "23")) {
        if (sc->hl22[0] == '\0')
            s_err(P, set, seg, pos, w, "7", 0, 0, "",
                  "HL: patient level (23) before any subscriber level (22)");
        else if (!cq_x12_eq(parent, sc->hl22))
            s_err(P, set, seg, pos, w, "8", 2, 0, "7",
                  "HL02: parent %.*s of a patient level is not the "
                  "subscriber HL %s",
                  (int)(parent.n > 12 ? 12 : parent.n), parent.p, sc->hl22);
        sc->level = 23;
    } else {
        s_err(P, set, seg, pos, w, "8", 3, 0, lv.n ? "7" : "1",
              "HL03: level code must be 20, 22 or 23");
    }
}

//  Pass 1 check of one segment inside a transaction set.
static void
s_check_segment(s_parser_t *P, uint32_t set, s_scan_t *sc, cq_x12_seg_t *seg,
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
        s_err_claim(P, NULL);
    else if (id == CQ_X12_ID('C', 'L', 'M'))
        s_err_claim(P, seg);
    //  An LX must be followed by its SV1 / SV2.
    if (sc->lx_pos && id != CQ_X12_ID('S', 'V', '1') &&
        id != CQ_X12_ID('S', 'V', '2'))
        s_missing(P, set, s->type == CQ_CLAIM_INSTITUTIONAL ? "SV2" : "SV1",
                  sc->lx_pos + 1, &sc->where,
                  "LX at position %u: %s must follow it", (unsigned)sc->lx_pos,
                  s->type == CQ_CLAIM_INSTITUTIONAL ? "SV2" : "SV1");
    sc->lx_pos = 0;
    s_where_update(&sc->where, seg);
    const s_where_t *w = &sc->where;
    switch (seg->err) {
    case CQ_X12_SEG_BAD_ID:
        s_err(P, set, seg, pos, w, "1", 0, 0, "",
              "segment %u: not a segment id (2-3 letters or digits)",
              (unsigned)pos);
        return;
    case CQ_X12_SEG_TOO_LONG:
        s_err(P, set, seg, pos, w, "8", 0, 0, "",
              "%s: segment longer than %u bytes (wrong terminator?)", seg->id,
              (unsigned)CQ_X12_MAX_SEGMENT_LEN);
        return;
    case CQ_X12_SEG_TOO_MANY_ELEMS:
        s_err(P, set, seg, pos, w, "8", seg->err_elem, 0, "3",
              "%s: more than %u elements", seg->id,
              (unsigned)CQ_X12_MAX_ELEMENTS);
        return;
    case CQ_X12_SEG_ELEM_TOO_LONG:
        s_err(P, set, seg, pos, w, "8", seg->err_elem, 0, "5",
              "%s%02u: longer than %u bytes", seg->id, (unsigned)seg->err_elem,
              (unsigned)CQ_X12_MAX_ELEMENT_LEN);
        return;
    case CQ_X12_SEG_BAD_CHAR:
        s_err(P, set, seg, pos, w, "8", seg->err_elem, 0, "6",
              "%s%02u: control character in the data", seg->id,
              (unsigned)seg->err_elem);
        return;
    default:
        break;
    }
    if (!s_known_837(id)) {
        s_err(P, set, seg, pos, w, "1", 0, 0, "",
              "%s: not a segment of the 837 implementation guides", seg->id);
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
            s_err(P, set, seg, pos, w, "2", 0, 0, "",
                  "CLM: a claim must sit under a subscriber (22) or "
                  "patient (23) HL");
        break;
    case CQ_X12_ID('L', 'X', 0):
        if (w->loop != L_2400 || sc->level < 22) {
            s_err(P, set, seg, pos, w, "2", 0, 0, "",
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
            s_err(P, set, seg, pos, w, "7", 0, 0, "",
                  "%s: must directly follow an LX", seg->id);
        else if (inst != (s->type == CQ_CLAIM_INSTITUTIONAL))
            s_err(P, set, seg, pos, w, "2", 0, 0, "",
                  "%s: not allowed in an %s", seg->id,
                  s->type == CQ_CLAIM_INSTITUTIONAL ? "837I" : "837P");
        break;
    }
    default:
        break;
    }
    sc->prev = id;
}

// ------------------------------------------------------------- pass 2

static void s_invalid(s_parser_t *P, const char *rarc, const char *fmt, ...)
    CQ_PRINTF(3, 4);

static void
s_invalid(s_parser_t *P, const char *rarc, const char *fmt, ...)
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
static void s_map_err(s_parser_t *P, const cq_x12_seg_t *seg,
                      const char *seg_code, unsigned elem, unsigned comp,
                      const char *elem_code, const char *rarc, const char *fmt,
                      ...) CQ_PRINTF(8, 9);

static void
s_map_err(s_parser_t *P, const cq_x12_seg_t *seg, const char *seg_code,
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
        s_err(P, P->map_set, seg, pos, P->map_w, seg_code, elem, comp,
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
s_ctx_err(s_parser_t *P, const cq_x12_seg_t *seg, unsigned elem,
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
s_person(s_parser_t *P, const cq_x12_seg_t *seg, cq_member_ref_t *m, bool *bad,
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
s_ctx_nm1(s_parser_t *P, const cq_x12_seg_t *seg, s_loop_t loop)
{
    s_ctx_t *x = &P->ctx;
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
s_ctx_dmg(s_parser_t *P, const cq_x12_seg_t *seg)
{
    s_ctx_t *x = &P->ctx;
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
s_claim_reset(s_parser_t *P)
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
s_claim_start(s_parser_t *P, const cq_x12_set_t *set, const cq_x12_seg_t *seg)
{
    s_claim_reset(P);
    cq_claim_t *c = &P->claim;
    s_ctx_t *x = &P->ctx;
    P->in_claim = true;
    P->line_open = false;
    P->line_dropped = false;
    P->icd9 = false;
    P->claim_pos[0] = '\0';
    P->claim_rendering[0] = '\0';
    P->stmt_from = P->stmt_to = CQ_DATE_NONE;
    c->type = set->type;
    c->source = CQ_SOURCE_X12;
    s_err_claim(P, seg);
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
        if (pos.n == 2 && s_numeric(pos))
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
s_claim_end(s_parser_t *P, cq_x12_set_t *set)
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
    s_err_claim(P, NULL);
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
s_line(s_parser_t *P)
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
s_procedure(s_parser_t *P, const cq_x12_seg_t *seg, cq_line_t *l, unsigned ln,
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
s_charge_units(s_parser_t *P, const cq_x12_seg_t *seg, cq_line_t *l,
               unsigned ln, unsigned ce, unsigned ue, const char *sv)
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
s_sv1(s_parser_t *P, const cq_x12_seg_t *seg)
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
        if (pos.n == 2 && s_numeric(pos))
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
s_sv2(s_parser_t *P, const cq_x12_seg_t *seg)
{
    cq_line_t *l = s_line(P);
    if (l == NULL)
        return;
    unsigned ln = P->claim.n_lines;
    cq_x12_str_t rev = cq_x12_elem(seg, 1);
    if (rev.n == 0 || !s_numeric(rev) ||
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
s_hi(s_parser_t *P, const cq_x12_seg_t *seg)
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
s_ref(s_parser_t *P, const cq_x12_seg_t *seg, s_loop_t loop)
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
s_dtp(s_parser_t *P, const cq_x12_seg_t *seg, s_loop_t loop)
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
s_nm1_provider(s_parser_t *P, const cq_x12_seg_t *seg, s_loop_t loop)
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
s_lx(s_parser_t *P, const cq_x12_seg_t *seg)
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
s_map(s_parser_t *P, cq_x12_set_t *set, const s_where_t *w,
      const cq_x12_seg_t *seg)
{
    s_ctx_t *x = &P->ctx;
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
s_next_ref(s_parser_t *P, cq_x12_reader_t *rd, const cq_x12_seg_t *st,
           uint32_t k, cq_x12_seg_t *seg)
{
    if (P->refs_over)
        return cq_x12_reader_raw(rd, seg) > 0;
    if (k >= P->n_refs)
        return false;
    const s_ref_t *f = &P->refs[k];
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

static void
s_map_set(s_parser_t *P, uint32_t si, cq_x12_reader_t rd,
          const cq_x12_seg_t *st)
{
    cq_x12_set_t *set = &P->rep->sets[si];
    memset(&P->ctx, 0, sizeof P->ctx);
    P->ctx.sub.birth_date = P->ctx.pat.birth_date = CQ_DATE_NONE;
    P->in_claim = false;
    s_where_t w = {L_HEADER, 0, set->type == CQ_CLAIM_INSTITUTIONAL};
    P->map_set = si;
    P->map_st = st->number;
    P->map_w = &w;
    P->map_errors = 0;
    s_err_claim(P, NULL);
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
        s_where_update(&w, &seg);
        s_map(P, set, &w, &seg);
    }
done:
    if (P->stop == 0)
        s_claim_end(P, set);
    P->in_claim = false;
    P->map_w = NULL;
}

// ------------------------------------------------------------- sets

static bool
s_contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

//  Reads one transaction set from its ST: pass 1, the verdict, and pass 2
//  when accepted. A segment that ends the set without SE (ISA, GS, GE,
//  IEA, ST) is left in *next for the caller.
static void
s_set(s_parser_t *P, cq_x12_reader_t *r, cq_x12_seg_t *st, cq_x12_seg_t *next,
      bool *have_next)
{
    cq_x12_report_t *rep = P->rep;
    uint32_t si = S_NONE;
    cq_x12_group_t *g = P->gs != S_NONE ? &rep->groups[P->gs] : NULL;
    if (g == NULL) {
        s_err(P, S_NONE, st, 0, NULL, "", 0, 0, "",
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
            si = rep->n_sets++;
        }
    }
    cq_x12_set_t *set = si != S_NONE ? &rep->sets[si] : NULL;
    bool supported = false;
    s_scan_t sc;
    memset(&sc, 0, sizeof sc);
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
        sc.type_known = x223 || s_contains(set->version, "X222");
        set->type = x223 ? CQ_CLAIM_INSTITUTIONAL : CQ_CLAIM_PROFESSIONAL;
        sc.where.institutional = x223;
        P->set_errors = 0;
        if (!g->acknowledge) {
            supported = false;
        } else if (strcmp(g->id, "HC") != 0) {
            s_err(P, si, st, 1, NULL, "", 0, 0, "",
                  "ST*%s: %s, not an 837 claim (IK5 1)", set->id,
                  cq_x12_group_name(g->id));
        } else if (strcmp(set->id, "837") != 0) {
            s_err(P, si, st, 1, NULL, "", 1, 0, "",
                  "ST01 %s: only 837 transaction sets belong in an HC group",
                  set->id);
        } else if (strncmp(g->version, "00501", 5) != 0) {
            s_err(P, si, st, 1, NULL, "", 0, 0, "",
                  "GS08 %s: only 005010 837s are supported", g->version);
        } else if (strncmp(set->version, "00501", 5) != 0) {
            s_err(P, si, st, 1, NULL, "", 3, 0, "",
                  "ST03 %s: only 005010 837s are supported", set->version);
        } else if (s_contains(set->version, "X224") ||
                   s_contains(g->version, "X224")) {
            s_err(P, si, st, 1, NULL, "", 3, 0, "",
                  "ST03 %s: 837D (dental) claims are not supported",
                  set->version);
        } else {
            supported = true;
        }
    }
    cq_x12_reader_t snap = *r;
    uint32_t pos = 1;
    P->n_refs = 0;
    P->refs_over = false;
    bool ended = false;
    P->set_errors = 0;
    P->map_errors = 0;
    s_err_claim(P, NULL);
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
        if (P->n_refs < S_MAX_REFS) {
            if (P->n_refs == P->cap_refs) {
                P->cap_refs = P->cap_refs ? P->cap_refs * 2 : 4096;
                P->refs =
                    cq_xrealloc(P->refs, (size_t)P->cap_refs * sizeof *P->refs);
            }
            s_ref_t *f = &P->refs[P->n_refs++];
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
    if (supported && sc.lx_pos)
        s_missing(P, si, set->type == CQ_CLAIM_INSTITUTIONAL ? "SV2" : "SV1",
                  sc.lx_pos + 1, &sc.where,
                  "LX at position %u: no SV1/SV2 after it",
                  (unsigned)sc.lx_pos);
    if (supported && ended && pos <= 2)
        s_missing(P, si, "BHT", 2, &sc.where,
                  "BHT: required as the second segment of an 837");
    else if (supported && ended && sc.n_hl20 == 0)
        s_missing(P, si, "HL", pos, &sc.where,
                  "HL: no billing provider level (HL 20, loop 2000A)");
    else if (supported && ended && sc.n_clm == 0)
        s_missing(P, si, "CLM", pos, &sc.where,
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
        s_err(P, si, st, 1, NULL, "", 2, 0, "",
              "ST02: control number must be 4 to 9 characters (IK5 7)");
    } else if (s_seen_add(&P->st_seen, set->control)) {
        s_add_code(set->codes, &set->n_codes, "23");
        s_err(P, si, st, 1, NULL, "", 2, 0, "",
              "ST02 %s: not unique in its functional group (IK5 23)",
              set->control);
    }
    if (!ended) {
        s_add_code(set->codes, &set->n_codes, "2");
        s_err(P, si, NULL, pos, NULL, "", 0, 0, "",
              "transaction set %s has no SE trailer (IK5 2)", set->control);
    } else {
        cq_x12_str_t n = cq_x12_trim(cq_x12_elem(se, 1));
        cq_x12_str_t c2 = cq_x12_trim(cq_x12_elem(se, 2));
        uint64_t nv = 0;
        if (cq_x12_uint(n, &nv) != 0 || nv != pos) {
            s_add_code(set->codes, &set->n_codes, "4");
            s_err(P, si, se, pos, NULL, "", 1, 0, "",
                  "SE01 says %.*s segments, counted %u (IK5 4)",
                  (int)(n.n > 12 ? 12 : n.n), n.p, (unsigned)pos);
        }
        if (!cq_x12_eq(c2, set->control)) {
            s_add_code(set->codes, &set->n_codes, "3");
            s_err(P, si, se, pos, NULL, "", 2, 0, "",
                  "SE02 %.*s does not match ST02 %s (IK5 3)",
                  (int)(c2.n > 12 ? 12 : c2.n), c2.p, set->control);
        }
    }
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
        s_map_set(P, si, snap, st);
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
    s_parser_t *P = cq_xmalloc(sizeof *P);
    memset(P, 0, offsetof(s_parser_t, claim));
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
            s_err(P, S_NONE, &seg, 0, NULL, "", 0, 0, "",
                  "segment %zu (%s): outside a transaction set", seg.number,
                  seg.id[0] ? seg.id : "?");
            break;
        }
    }
    int rc = 0;
    if (r.err) {
        if (rep->n_interchanges == 0) {
            rc = r.err;
        } else {
            s_err(P, S_NONE, NULL, 0, NULL, "", 0, 0, "", "byte %zu: %s",
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
