//  x12_int.h: internal to the x12 module (x12*.c): segment output shared by
//  the 999, 835 and 837 writers, and small helpers. Not a public contract.
#ifndef CQ_X12_INT_H
#define CQ_X12_INT_H

#include "x12.h"

//  Segment output with the envelope resolved. Errors are sticky: after the
//  first, every call returns it and writes nothing.
typedef struct {
    cq_x12_seps_t seps;    // delimiters written
    bool newline;          // "\n" after each terminator
    cq_buf_t *out;         // destination (borrowed)
    int err;               // first error (CQ_EINVAL, CQ_ETOOBIG), sticky
    cq_diag_t *diag;       // optional
    size_t segments;       // segments written since cq_x12_out_count_reset
    char sender_qual[3];   // ISA05
    char sender[16];       // ISA06 / GS02
    char receiver_qual[3]; // ISA07
    char receiver[16];     // ISA08 / GS03
    char date8[9];         // CCYYMMDD
    char hhmm[5];          // HHMM
    char usage;            // ISA15
} cq_x12_out_t;

//  Resolves env (NULL = all defaults) into w; default_receiver is used when
//  env gives none.
void cq_x12_out_init(cq_x12_out_t *w, const cq_x12_envelope_t *env,
                     const char *default_receiver, cq_buf_t *out);
//  One segment: id, then n elements (NULL or "" = empty). Trailing empty
//  elements are dropped. Elements are written as given: callers check
//  values from claims with cq_x12_out_check first.
int cq_x12_out_seg(cq_x12_out_t *w, const char *id, int n, ...);
//  Checks that value holds no delimiter (nor a control character): else
//  CQ_EINVAL with the diag naming field (not the value).
int cq_x12_out_check(cq_x12_out_t *w, const char *field, const char *value);
//  True when byte c may be written in a value: not one of w's delimiters,
//  not a control character.
bool cq_x12_out_ok(const cq_x12_out_t *w, unsigned char c);
//  Copies src into dst (n bytes, NUL-terminated, cut when longer) with
//  each byte that may not be written (cq_x12_out_ok) replaced by repl.
void cq_x12_out_clean(const cq_x12_out_t *w, char *dst, size_t n,
                      const char *src, char repl);
//  A claim with what a decision knows of it (id, payer, billing NPI,
//  frequency, billed as CLM02), for writers given decisions only.
void cq_x12_bare_claim(const cq_decision_t *d, cq_claim_t *c);
//  Chains items [0, n) by key in order of first appearance: first[g] is
//  the first item of group g, next[i] the item after i in its group
//  (UINT32_MAX: the last); items with skip[i] (skip may be NULL) are left
//  out. key(arg, i, buf, size) writes item i's key into buf and returns
//  its length. Returns the number of groups.
typedef size_t(cq_x12_key_fn)(void *arg, size_t i, char *buf, size_t size);
uint32_t cq_x12_chain(size_t n, const bool *skip, cq_x12_key_fn *key, void *arg,
                      uint32_t *first, uint32_t *next);
int cq_x12_out_isa(cq_x12_out_t *w, uint32_t control);
int cq_x12_out_iea(cq_x12_out_t *w, uint32_t n_groups, uint32_t control);
int cq_x12_out_gs(cq_x12_out_t *w, const char *gs01, uint32_t control,
                  const char *version);
int cq_x12_out_ge(cq_x12_out_t *w, uint32_t n_sets, uint32_t control);

//  The packed id of a segment, for switch statements.
#define CQ_X12_ID(a, b, c)                                                     \
    ((uint32_t)(uint8_t)(a) | (uint32_t)(uint8_t)(b) << 8 |                    \
     (uint32_t)(uint8_t)(c) << 16)

static inline uint32_t
cq_x12_id(const cq_x12_seg_t *seg)
{
    return CQ_X12_ID(seg->id[0], seg->id[1], seg->id[2]);
}

#endif
