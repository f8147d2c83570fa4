//  x12_837_int.h: what the two halves of the 837 reader share
//  (x12_837.c: envelopes, the structural pass, the driver;
//  x12_837_map.c: pass 2, segments to claims). Internal to those two.
#ifndef CQ_X12_837_INT_H
#define CQ_X12_837_INT_H

#include "x12_int.h"

//  A set of 64-bit key hashes (control numbers that must be unique).
typedef struct {
    uint64_t *slot; // 0 = empty
    uint32_t cap;   // power of two, or 0
    uint32_t n;
} cq_x12p_seen_t;

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
} cq_x12p_loop_t;

typedef struct {
    cq_x12p_loop_t loop;
    char sub; // letter of 2310/2330/2420 ("B" of 2310B), or 0
    bool institutional;
} cq_x12p_where_t;

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
} cq_x12p_ctx_t;

//  Where pass 1 found each segment of a set, so that pass 2 need not look
//  for terminators again.
typedef struct {
    uint32_t off;   // byte offset in the document (<= CQ_X12_MAX_DOC)
    uint16_t len;   // bytes (<= CQ_X12_MAX_SEGMENT_LEN)
    uint8_t id_len; // 2 or 3
    uint8_t flags;  // CQ_X12_SEG_CTL
} cq_x12p_ref_t;

#define CQ_X12P_MAX_REFS (4u << 20) // segments remembered per set (32 MiB)

typedef struct {
    cq_x12_report_t *rep;
    const char *buf;     // the document
    cq_x12p_ref_t *refs; // segments of the current set after ST
    uint32_t n_refs, cap_refs;
    bool refs_over; // more than CQ_X12P_MAX_REFS: read again instead
    cq_claim_fn *fn;
    void *arg;
    int stop;                // fn's nonzero value
    uint32_t ic;             // open interchange or S_NONE
    uint32_t gs;             // open group or S_NONE
    cq_x12p_seen_t isa_seen; // ISA13 in the document
    cq_x12p_seen_t gs_seen;  // GS06 in the interchange
    cq_x12p_seen_t st_seen;  // ST02 in the group
    uint32_t set_errors;     // errors of the current set (kept or not)
    //  pass 2
    cq_x12p_ctx_t ctx;
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
    char err_claim[CQ_ID_LEN];    // CLM01 of the claim being read, or ""
    uint32_t map_set;             // pass 2: the set being mapped
    size_t map_st;                // pass 2: segment number of its ST
    const cq_x12p_where_t *map_w; // pass 2: the loop of the current segment
    uint32_t map_errors;          // pass 2: data element errors found
} cq_x12p_t;

//  The loop a segment opens, from its id and qualifiers (both passes call
//  it for every segment: inline).
static inline char
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
static inline cq_x12_str_t
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

static inline void
cq_x12p_where_update(cq_x12p_where_t *w, const cq_x12_seg_t *seg)
{
    uint32_t id = cq_x12_id(seg);
    cq_x12p_loop_t l = w->loop;
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

//  An error in the report (IK3/IK4 of the 999) for set, at segment seg
//  (or position pos), in loop w; fmt says what, in words (no values).
void cq_x12p_err(cq_x12p_t *P, uint32_t set, const cq_x12_seg_t *seg,
                 uint32_t pos, const cq_x12p_where_t *w, const char *seg_code,
                 unsigned elem, unsigned comp, const char *elem_code,
                 const char *fmt, ...) CQ_PRINTF(10, 11);
//  The claim the next errors sit in (CTX*CLM01 of the 999): its CLM01, or
//  none.
void cq_x12p_err_claim(cq_x12p_t *P, const cq_x12_seg_t *clm);
bool cq_x12p_numeric(cq_x12_str_t s);
//  Pass 2: set si (passed pass 1) to claims, from its ST.
void cq_x12p_map_set(cq_x12p_t *P, uint32_t si, cq_x12_reader_t rd,
                     const cq_x12_seg_t *st);

#endif
