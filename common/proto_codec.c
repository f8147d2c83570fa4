//  proto_codec.c: encode and decode a body by walking its table
//  (proto_table.h). It knows msgpack types and C field widths, nothing of
//  any one message: what a message holds is proto.c's tables.
//
//  Encoders trust their input (our own structs: a count over its cap is a
//  bug, CQ_NEVER); decoders trust nothing: every count is checked against
//  its cap, and an allocated array's count against the bytes left, before
//  anything is allocated or copied.
#include "proto_table.h"
#include "date.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#define S_DATE_MIN (-25567) // 1900-01-01
#define S_DATE_MAX 84005    // 2199-12-31

//  ---- C integers of 1, 2, 4 or 8 bytes ------------------------------------

static uint64_t
s_getu(const void *p, uint32_t size)
{
    switch (size) {
    case 1:
        return *(const uint8_t *)p;
    case 2:
        return *(const uint16_t *)p;
    case 4:
        return *(const uint32_t *)p;
    default:
        return *(const uint64_t *)p;
    }
}

static int64_t
s_geti(const void *p, uint32_t size)
{
    switch (size) {
    case 1:
        return *(const int8_t *)p;
    case 2:
        return *(const int16_t *)p;
    case 4:
        return *(const int32_t *)p;
    default:
        return *(const int64_t *)p;
    }
}

static void
s_put(void *p, uint32_t size, uint64_t v)
{
    switch (size) {
    case 1:
        *(uint8_t *)p = (uint8_t)v;
        break;
    case 2:
        *(uint16_t *)p = (uint16_t)v;
        break;
    case 4:
        *(uint32_t *)p = (uint32_t)v;
        break;
    default:
        *(uint64_t *)p = v;
        break;
    }
}

//  The largest value an unsigned C field of size bytes holds.
static uint64_t
s_umax(uint32_t size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

//  An array's element count: its count field (capped), or max when the
//  array has none (a fixed length).
static uint32_t
s_count(const cq_pt_field_t *f, const void *m)
{
    if (f->cw == 0)
        return (uint32_t)f->max;
    uint64_t k = s_getu((const char *)m + f->aux, f->cw);
    if (CQ_NEVER(k > f->max))
        k = f->max;
    return (uint32_t)k;
}

static const uint8_t *
s_getp(const void *p)
{
    const uint8_t *b;
    memcpy(&b, p, sizeof b);
    return b;
}

//  ---- encode ---------------------------------------------------------------

//  One opcode a case: the type, and an integer's width (CQ_PT_OP).
#define S_OP(ty, sz) CQ_PT_OP(ty, sz)

static inline void
s_enc_field(cq_mpw_t *w, const cq_pt_field_t *f, const void *m)
{
    const char *p = (const char *)m + f->off;
    switch (f->op) {
    case S_OP(CQ_PT_UINT, 1):
        cq_mpw_uint(w, *(const uint8_t *)p);
        break;
    case S_OP(CQ_PT_UINT, 2):
        cq_mpw_uint(w, *(const uint16_t *)p);
        break;
    case S_OP(CQ_PT_UINT, 4):
        cq_mpw_uint(w, *(const uint32_t *)p);
        break;
    case S_OP(CQ_PT_UINT, 8):
        cq_mpw_uint(w, *(const uint64_t *)p);
        break;
    case S_OP(CQ_PT_INT, 1):
    case S_OP(CQ_PT_INT, 2):
    case S_OP(CQ_PT_INT, 4):
    case S_OP(CQ_PT_INT, 8): {
        int64_t v = s_geti(p, f->size);
        if ((f->flags & CQ_PTF_CLAMP) && v < f->min)
            v = f->min;
        cq_mpw_int(w, v);
        break;
    }
    case S_OP(CQ_PT_DATE, 0):
        cq_mpw_int(w, *(const int32_t *)p);
        break;
    case S_OP(CQ_PT_BOOL, 0):
        cq_mpw_bool(w, *(const bool *)p);
        break;
    case S_OP(CQ_PT_STR, 0):
        cq_mpw_strn(w, p, strnlen(p, f->size));
        break;
    case S_OP(CQ_PT_CHAR, 0):
        cq_mpw_strn(w, p, *p ? 1 : 0);
        break;
    case S_OP(CQ_PT_BIN, 0): {
        const uint8_t *b = s_getp(p);
        size_t len;
        memcpy(&len, (const char *)m + f->aux, sizeof len);
        if (f->flags & CQ_PTF_NIL) {
            if (b == NULL || len > f->max)
                cq_mpw_nil(w);
            else
                cq_mpw_bin(w, b, len);
            break;
        }
        if (CQ_NEVER(len > f->max))
            len = 0; // none rather than a cut one
        cq_mpw_bin(w, b, len);
        break;
    }
    case S_OP(CQ_PT_NIL, 0):
        cq_mpw_nil(w);
        break;
    case S_OP(CQ_PT_STRUCT, 0):
        cq_pt_encode_struct(w, f->sub, p);
        break;
    case S_OP(CQ_PT_ARRAY, 0): {
        const char *e = (f->flags & CQ_PTF_ALLOC) ? (const char *)s_getp(p) : p;
        uint32_t k = s_count(f, m);
        cq_mpw_array(w, k);
        for (uint32_t i = 0; i < k; i++)
            cq_pt_encode_struct(w, f->sub, e + (size_t)i * f->size);
        break;
    }
    case S_OP(CQ_PT_STRS, 0): {
        uint32_t k = s_count(f, m);
        cq_mpw_array(w, k);
        for (uint32_t i = 0; i < k; i++) {
            const char *s = p + (size_t)i * f->size;
            cq_mpw_strn(w, s, strnlen(s, f->size));
        }
        break;
    }
    case S_OP(CQ_PT_UINTS, 0): {
        uint32_t k = s_count(f, m);
        cq_mpw_array(w, k);
        for (uint32_t i = 0; i < k; i++)
            cq_mpw_uint(w, s_getu(p + (size_t)i * f->size, f->size));
        break;
    }
    case S_OP(CQ_PT_CUSTOM, 0):
        f->enc(w, m);
        break;
    default: // CQ_PT_ITEMS: cq_pt_begin / cq_pt_end write around items
        (void)CQ_NEVER(1);
        break;
    }
}

void
cq_pt_encode_struct(cq_mpw_t *w, const cq_pt_msg_t *t, const void *m)
{
    uint32_t k = t->count ? t->count(m) : t->n;
    cq_mpw_array(w, k);
    for (uint32_t i = 0; i < k; i++)
        s_enc_field(w, &t->f[i], m);
}

void
cq_pt_encode(cq_mpw_t *w, const cq_pt_msg_t *t, const void *m)
{
    cq_mpw_reset(w);
    cq_pt_encode_struct(w, t, m);
}

size_t
cq_pt_begin(cq_mpw_t *w, const cq_pt_msg_t *t, const void *m)
{
    cq_mpw_reset(w);
    cq_mpw_array(w, t->n);
    for (uint32_t i = 0; i < t->n && t->f[i].type != CQ_PT_ITEMS; i++)
        s_enc_field(w, &t->f[i], m);
    return cq_mpw_array_open(w);
}

void
cq_pt_end(cq_mpw_t *w, const cq_pt_msg_t *t, size_t at, uint32_t n_items,
          const void *m)
{
    cq_mpw_array_close(w, at, n_items);
    uint32_t i = 0;
    while (i < t->n && t->f[i].type != CQ_PT_ITEMS)
        i++;
    for (i++; i < t->n; i++)
        s_enc_field(w, &t->f[i], m);
}

//  ---- decode ---------------------------------------------------------------

//  A one-character field: "" (0) or one printable ASCII character.
char
cq_pt_cur_char(cq_cur_t *c, const char *what)
{
    char buf[2];
    cq_cur_str(c, buf, sizeof buf, what);
    if (c->err)
        return 0;
    unsigned char ch = (unsigned char)buf[0];
    if (ch != 0 && (ch < 0x21 || ch > 0x7e)) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    return (char)ch;
}

int32_t
cq_pt_cur_date(cq_cur_t *c, const char *what)
{
    int64_t v = cq_cur_int(c, INT32_MIN, S_DATE_MAX, what);
    if (c->err)
        return CQ_DATE_NONE;
    if (v != CQ_DATE_NONE && v < S_DATE_MIN) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return CQ_DATE_NONE;
    }
    return (int32_t)v;
}

//  Items: reads the array's header, checks that every item is well-formed
//  msgpack, and leaves items->cur at the first item (c after the last:
//  fields may follow).
static void
s_items_skip(cq_cur_t *c, cq_items_t *items, const char *what)
{
    memset(items, 0, sizeof *items);
    items->n = cq_cur_array(c, 0, CQ_PROTO_MAX_ITEMS, what);
    items->cur = *c;
    for (uint32_t i = 0; i < items->n && c->err == 0; i++) {
        c->depth = 0;
        cq_cur_skip(c, what);
    }
}

//  An allocated array of k elements: k must fit the bytes left (each
//  element an array of at least `need` fields of a byte or more) before
//  k elements are allocated (zeroed).
static char *
s_alloc(cq_cur_t *c, const cq_pt_field_t *f, uint32_t k)
{
    uint64_t least = 1 + (uint64_t)f->sub->need;
    if (c->err == 0 && (uint64_t)k * least > (size_t)(c->end - c->pos))
        cq_cur_fail(c, CQ_EPROTO, f->what);
    if (c->err != 0 || k == 0)
        return NULL;
    return cq_xcalloc(k, f->size);
}

static void
s_dec_array(cq_cur_t *c, const cq_pt_field_t *f, void *m, char *p)
{
    uint32_t k = cq_cur_array(c, (uint32_t)f->min, (uint32_t)f->max, f->what);
    char *e = p;
    if (f->flags & CQ_PTF_ALLOC) {
        e = s_alloc(c, f, k);
        memcpy(p, &e, sizeof e);
    }
    if (f->cw)
        s_put((char *)m + f->aux, f->cw, k);
    for (uint32_t i = 0; i < k && c->err == 0; i++) {
        char *x = e + (size_t)i * f->size;
        switch ((cq_pt_type_t)f->type) {
        case CQ_PT_ARRAY:
            if (!(f->flags & CQ_PTF_ALLOC))
                memset(x, 0, f->size); // (padding too: as calloc would)
            cq_pt_decode_struct(c, f->sub, x, f->sub->name);
            break;
        case CQ_PT_STRS:
            cq_cur_str(c, x, f->size, f->what);
            break;
        default: // CQ_PT_UINTS
            s_put(x, f->size, cq_cur_uint(c, s_umax(f->size), f->what));
            break;
        }
    }
}

static inline void
s_dec_field(cq_cur_t *c, const cq_pt_field_t *f, void *m)
{
    char *p = (char *)m + f->off;
    switch (f->op) {
    case S_OP(CQ_PT_UINT, 1):
        *(uint8_t *)p = (uint8_t)cq_cur_uint(c, f->max, f->what);
        break;
    case S_OP(CQ_PT_UINT, 2):
        *(uint16_t *)p = (uint16_t)cq_cur_uint(c, f->max, f->what);
        break;
    case S_OP(CQ_PT_UINT, 4):
        *(uint32_t *)p = (uint32_t)cq_cur_uint(c, f->max, f->what);
        break;
    case S_OP(CQ_PT_UINT, 8):
        *(uint64_t *)p = cq_cur_uint(c, f->max, f->what);
        break;
    case S_OP(CQ_PT_INT, 4):
        *(int32_t *)p =
            (int32_t)cq_cur_int(c, f->min, (int64_t)f->max, f->what);
        break;
    case S_OP(CQ_PT_INT, 1):
    case S_OP(CQ_PT_INT, 2):
    case S_OP(CQ_PT_INT, 8):
        s_put(p, f->size,
              (uint64_t)cq_cur_int(c, f->min, (int64_t)f->max, f->what));
        break;
    case S_OP(CQ_PT_DATE, 0):
        *(int32_t *)p = cq_pt_cur_date(c, f->what);
        break;
    case S_OP(CQ_PT_BOOL, 0):
        *(bool *)p = cq_cur_bool(c, f->what);
        break;
    case S_OP(CQ_PT_STR, 0):
        cq_cur_str(c, p, f->size, f->what);
        if (f->ok != NULL && c->err == 0 && !f->ok(p))
            cq_cur_fail(c, CQ_EPROTO, f->what);
        break;
    case S_OP(CQ_PT_CHAR, 0):
        *p = cq_pt_cur_char(c, f->what);
        break;
    case S_OP(CQ_PT_BIN, 0): {
        const uint8_t *b = NULL;
        size_t len = 0;
        if (!((f->flags & CQ_PTF_NIL) && cq_cur_nil(c)))
            b = cq_cur_bin(c, &len, f->max, f->what);
        if (c->err)
            b = NULL, len = 0;
        memcpy(p, &b, sizeof b);
        memcpy((char *)m + f->aux, &len, sizeof len);
        break;
    }
    case S_OP(CQ_PT_NIL, 0):
        cq_cur_skip(c, f->what);
        break;
    case S_OP(CQ_PT_STRUCT, 0):
        cq_pt_decode_struct(c, f->sub, p, f->what);
        break;
    case S_OP(CQ_PT_ARRAY, 0):
    case S_OP(CQ_PT_STRS, 0):
    case S_OP(CQ_PT_UINTS, 0):
        s_dec_array(c, f, m, p);
        break;
    case S_OP(CQ_PT_ITEMS, 0):
        s_items_skip(c, (cq_items_t *)p, f->what);
        break;
    default: // CQ_PT_CUSTOM
        f->dec(c, m);
        break;
    }
}

//  A field the body does not carry (appended after the sender was
//  built): zero, none, empty.
static void
s_absent(const cq_pt_field_t *f, void *m)
{
    char *p = (char *)m + f->off;
    switch ((cq_pt_type_t)f->type) {
    case CQ_PT_STR:
        p[0] = '\0';
        break;
    case CQ_PT_BIN:
        memset(p, 0, sizeof(const uint8_t *));
        memset((char *)m + f->aux, 0, sizeof(size_t));
        break;
    case CQ_PT_ARRAY:
    case CQ_PT_STRS:
    case CQ_PT_UINTS:
        if (f->cw)
            s_put((char *)m + f->aux, f->cw, 0);
        break;
    case CQ_PT_NIL:
    case CQ_PT_CUSTOM:
    case CQ_PT_STRUCT:
    case CQ_PT_ITEMS:
        break;
    default:
        memset(p, 0, f->size);
        break;
    }
}

//  Reads t's fields from a body of `have` fields; returns how many it used.
static uint32_t
s_dec_fields(cq_cur_t *c, const cq_pt_msg_t *t, void *m, uint32_t have)
{
    uint32_t i = 0, used = t->need;
    for (; i < t->need; i++) // required
        s_dec_field(c, &t->f[i], m);
    for (; i < t->n; i++) { // appended: when the body has them
        const cq_pt_field_t *f = &t->f[i];
        if (f->since > have) {
            s_absent(f, m);
            continue;
        }
        s_dec_field(c, f, m);
        used = i + 1;
    }
    if (t->check != NULL && c->err == 0) {
        const char *bad = t->check(m);
        if (bad != NULL)
            cq_cur_fail(c, CQ_EPROTO, bad);
    }
    return used;
}

void
cq_pt_decode_struct(cq_cur_t *c, const cq_pt_msg_t *t, void *m,
                    const char *what)
{
    uint32_t have = cq_cur_array(c, t->need, UINT32_MAX, what);
    uint32_t used = s_dec_fields(c, t, m, have);
    cq_cur_rest(c, have, used);
}

int
cq_pt_decode(const uint8_t *p, size_t n, const cq_pt_msg_t *t, void *m,
             cq_diag_t *diag)
{
    cq_cur_t c;
    cq_cur_init(&c, p, n);
    cq_pt_decode_struct(&c, t, m, t->name);
    if (c.err == 0 && c.pos != c.end)
        cq_cur_fail(&c, CQ_EPROTO, "bytes after the body");
    int rc = cq_cur_diag(&c, diag);
    if (rc != 0)
        cq_pt_undo(t, m);
    return rc;
}

void
cq_pt_undo(const cq_pt_msg_t *t, void *m)
{
    for (uint32_t i = 0; i < t->n; i++) {
        const cq_pt_field_t *f = &t->f[i];
        char *p = (char *)m + f->off;
        switch ((cq_pt_type_t)f->type) {
        case CQ_PT_ARRAY:
            if (f->flags & CQ_PTF_ALLOC) {
                free((void *)s_getp(p));
                memset(p, 0, sizeof(void *));
            }
            s_absent(f, m);
            break;
        case CQ_PT_STRS:
        case CQ_PT_UINTS:
        case CQ_PT_BIN:
            s_absent(f, m);
            break;
        case CQ_PT_ITEMS:
            ((cq_items_t *)p)->n = 0;
            break;
        default:
            break;
        }
    }
}
