//  x12_fixture.h: builds small synthetic X12 documents for the x12 tests.
//  Segments are written with '*' ':' '^' in the text and translated to the
//  document's delimiters; ST..SE counts are kept unless a test says
//  otherwise. Included by the test_x12*.c files only (static helpers).
#ifndef CQ_X12_FIXTURE_H
#define CQ_X12_FIXTURE_H

#include "mem.h"
#include "x12.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cq_buf_t b;        // the document
    cq_x12_seps_t s;   // delimiters used
    const char *nl;    // written after each terminator ("" or "\n")
    int st_segments;   // segments since ST
    int sets_in_group; // ST since GS
    int groups;        // GS since ISA
    char st_ctl[16];   // open ST02
    char gs_ctl[16];   // open GS06
    char isa_ctl[16];  // open ISA13
} xb_t;

static inline void
xb_init(xb_t *x, char el, char comp, char rep, char term, const char *nl)
{
    memset(x, 0, sizeof *x);
    cq_buf_init(&x->b, 64u << 20);
    x->s.element = el;
    x->s.component = comp;
    x->s.repetition = rep;
    x->s.segment = term;
    x->nl = nl;
}

static inline void
xb_std(xb_t *x)
{
    xb_init(x, '*', ':', '^', '~', "\n");
}

static inline void
xb_free(xb_t *x)
{
    cq_buf_free(&x->b);
}

//  One segment, printf style, in '*' ':' '^' notation.
static inline void xb_seg(xb_t *x, const char *fmt, ...) CQ_PRINTF(2, 3);

static inline void
xb_seg(xb_t *x, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    for (char *p = tmp; *p; p++) {
        if (*p == '*')
            *p = x->s.element;
        else if (*p == ':')
            *p = x->s.component;
        else if (*p == '^' && x->s.repetition)
            *p = x->s.repetition;
    }
    cq_buf_addstr(&x->b, tmp);
    cq_buf_add(&x->b, &x->s.segment, 1);
    cq_buf_addstr(&x->b, x->nl);
    x->st_segments++;
}

//  A standard 106-byte ISA (ISA11 = the repetition separator, or 'U').
static inline void
xb_isa(xb_t *x, const char *ctl)
{
    char isa[160];
    snprintf(isa, sizeof isa,
             "ISA*00*          *00*          *ZZ*%-15s*ZZ*%-15s*260302*1200*"
             "%c*00501*%9s*0*T*%c",
             "SUBMITTER", "RECEIVER", x->s.repetition ? x->s.repetition : 'U',
             ctl, x->s.component);
    for (char *p = isa; *p; p++)
        if (*p == '*')
            *p = x->s.element;
    cq_buf_addstr(&x->b, isa);
    cq_buf_add(&x->b, &x->s.segment, 1);
    cq_buf_addstr(&x->b, x->nl);
    snprintf(x->isa_ctl, sizeof x->isa_ctl, "%s", ctl);
    x->groups = 0;
}

static inline void
xb_gs(xb_t *x, const char *id, const char *ctl, const char *version)
{
    xb_seg(x, "GS*%s*SUBMITTER*RECEIVER*20260302*1200*%s*X*%s", id, ctl,
           version);
    snprintf(x->gs_ctl, sizeof x->gs_ctl, "%s", ctl);
    x->sets_in_group = 0;
    x->groups++;
}

static inline void
xb_st(xb_t *x, const char *id, const char *ctl, const char *version)
{
    x->st_segments = 0;
    if (version)
        xb_seg(x, "ST*%s*%s*%s", id, ctl, version);
    else
        xb_seg(x, "ST*%s*%s", id, ctl);
    snprintf(x->st_ctl, sizeof x->st_ctl, "%s", ctl);
    x->sets_in_group++;
}

//  SE with the right count (delta added: a test of a wrong count).
static inline void
xb_se(xb_t *x, int delta)
{
    xb_seg(x, "SE*%d*%s", x->st_segments + 1 + delta, x->st_ctl);
}

static inline void
xb_ge(xb_t *x)
{
    xb_seg(x, "GE*%d*%s", x->sets_in_group, x->gs_ctl);
}

static inline void
xb_iea(xb_t *x)
{
    xb_seg(x, "IEA*%d*%s", x->groups, x->isa_ctl);
}

//  The 837P header: BHT, submitter, receiver.
static inline void
xb_837_header(xb_t *x)
{
    xb_seg(x, "BHT*0019*00*REF1*20260302*1200*CH");
    xb_seg(x, "NM1*41*2*TEST SUBMITTER*****46*SUB1");
    xb_seg(x, "PER*IC*DESK*TE*8005550100");
    xb_seg(x, "NM1*40*2*TEST PAYER*****46*ACME");
}

//  HL 20 billing provider (NPI 1234567893, TIN 123456789).
static inline void
xb_billing(xb_t *x, int hl)
{
    xb_seg(x, "HL*%d**20*1", hl);
    xb_seg(x, "NM1*85*2*NORTH CLINIC*****XX*1234567893");
    xb_seg(x, "N3*1 MAIN ST");
    xb_seg(x, "N4*ANYTOWN*PA*17111");
    xb_seg(x, "REF*EI*123456789");
}

//  HL 22 subscriber = patient, payer ACME.
static inline void
xb_subscriber(xb_t *x, int hl, int parent, const char *member, int children)
{
    xb_seg(x, "HL*%d*%d*22*%d", hl, parent, children);
    xb_seg(x, "SBR*P*%s*GRP1******CI", children ? "" : "18");
    xb_seg(x, "NM1*IL*1*DOE*JANE****MI*%s", member);
    xb_seg(x, "DMG*D8*19800412*F");
    xb_seg(x, "NM1*PR*2*ACME HEALTH*****PI*ACME");
}

//  A one-line 837P claim: 99213 for charge on date (CCYYMMDD).
static inline void
xb_claim(xb_t *x, const char *id, const char *charge, const char *date)
{
    xb_seg(x, "CLM*%s*%s***11:B:1*Y*A*Y*Y", id, charge);
    xb_seg(x, "HI*ABK:E119*ABF:I10");
    xb_seg(x, "LX*1");
    xb_seg(x, "SV1*HC:99213*%s*UN*1***1:2", charge);
    xb_seg(x, "DTP*472*D8*%s", date);
}

//  A whole valid 837P interchange with n claims in one set.
static inline void
xb_simple_837(xb_t *x, int n)
{
    xb_isa(x, "000000001");
    xb_gs(x, "HC", "1", "005010X222A1");
    xb_st(x, "837", "0001", "005010X222A1");
    xb_837_header(x);
    xb_billing(x, 1);
    xb_subscriber(x, 2, 1, "W100000001", 0);
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "PCN-%04d", i + 1);
        xb_claim(x, id, "150", "20260220");
    }
    xb_se(x, 0);
    xb_ge(x);
    xb_iea(x);
}

//  An interchange of n_sets 837P transaction sets ("0001"...) of per_set
//  one-line claims each: "A1", "A2"... in the first set, "B1"... in the
//  second; the sets whose bit (1 << set index) is in bad_se have a wrong
//  SE01 (refused as a whole).
static inline void
xb_sets(xb_t *x, int n_sets, int per_set, unsigned bad_se)
{
    xb_std(x);
    xb_isa(x, "000000321");
    xb_gs(x, "HC", "9", "005010X222A1");
    for (int s = 0; s < n_sets; s++) {
        char ctl[8], id[16];
        snprintf(ctl, sizeof ctl, "%04d", s + 1);
        xb_st(x, "837", ctl, "005010X222A1");
        xb_837_header(x);
        xb_billing(x, 1);
        xb_subscriber(x, 2, 1, "W1", 0);
        for (int c = 0; c < per_set; c++) {
            snprintf(id, sizeof id, "%c%d", 'A' + s, c + 1);
            xb_claim(x, id, "100", "20260220");
        }
        xb_se(x, bad_se & (1u << s) ? 1 : 0);
    }
    xb_ge(x);
    xb_iea(x);
}

//  Collects claims passed by the parser.
typedef struct {
    cq_claim_t *c; // claims, in order
    size_t n, cap;
} xb_claims_t;

static inline int
xb_collect(void *arg, cq_claim_t *c)
{
    xb_claims_t *k = arg;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 16;
        k->c = cq_xrealloc(k->c, k->cap * sizeof *k->c);
    }
    k->c[k->n++] = *c;
    return 0;
}

static inline void
xb_claims_free(xb_claims_t *k)
{
    free(k->c);
    memset(k, 0, sizeof *k);
}

//  Reads a 999 back with our own tokenizer: its AK2, IK3, CTX, IK4, IK5
//  and AK9 segments, one a line, written with '*' and ':' whatever the
//  document's delimiters ("IK4*5:3*1325*7*X"), appended to out.
static inline void
xb_read_999(const char *buf, size_t len, cq_buf_t *out)
{
    static const char *const keep[] = {"AK2", "IK3", "CTX",
                                       "IK4", "IK5", "AK9"};
    cq_x12_reader_t r;
    cq_x12_reader_init(&r, buf, len);
    cq_x12_seg_t *seg = cq_xmalloc(sizeof *seg);
    while (cq_x12_reader_next(&r, seg) > 0) {
        bool wanted = false;
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            wanted |= strcmp(seg->id, keep[i]) == 0;
        if (!wanted)
            continue;
        cq_buf_addstr(out, seg->id);
        for (unsigned e = 1; e <= seg->n_elems; e++) {
            cq_x12_str_t v = cq_x12_elem(seg, e);
            cq_buf_add(out, "*", 1);
            for (size_t i = 0; i < v.n; i++)
                cq_buf_add(out, v.p[i] == seg->seps.component ? ":" : v.p + i,
                           1);
        }
        cq_buf_add(out, "\n", 1);
    }
    free(seg);
}

#endif
