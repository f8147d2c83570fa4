//  proto_mp.c: the msgpack writer (msgpack-c's packer into a growable
//  buffer) and the bounded reading cursor of proto.h.
#include "proto.h"
#include "mem.h"

#include <string.h>

//  ---- writer ---------------------------------------------------------

static int
s_write(void *data, const char *buf, size_t len)
{
    cq_mpw_t *w = data;
    if (len == 0)
        return 0;
    if (w->len + len > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (cap < w->len + len)
            cap *= 2;
        w->data = cq_xrealloc(w->data, cap);
        w->cap = cap;
    }
    memcpy(w->data + w->len, buf, len);
    w->len += len;
    return 0;
}

//  The packer points at the writer; re-aimed on every use, so that a
//  cq_mpw_t inside an array that is reallocated stays usable.
static msgpack_packer *
s_pk(cq_mpw_t *w)
{
    w->pk.data = w;
    return &w->pk;
}

void
cq_mpw_init(cq_mpw_t *w)
{
    memset(w, 0, sizeof *w);
    msgpack_packer_init(&w->pk, w, s_write);
}

void
cq_mpw_free(cq_mpw_t *w)
{
    free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

void
cq_mpw_reset(cq_mpw_t *w)
{
    w->len = 0;
}

void
cq_mpw_array(cq_mpw_t *w, uint32_t n)
{
    msgpack_pack_array(s_pk(w), n);
}

void
cq_mpw_uint(cq_mpw_t *w, uint64_t v)
{
    msgpack_pack_uint64(s_pk(w), v);
}

void
cq_mpw_int(cq_mpw_t *w, int64_t v)
{
    msgpack_pack_int64(s_pk(w), v);
}

void
cq_mpw_bool(cq_mpw_t *w, bool v)
{
    if (v)
        msgpack_pack_true(s_pk(w));
    else
        msgpack_pack_false(s_pk(w));
}

void
cq_mpw_nil(cq_mpw_t *w)
{
    msgpack_pack_nil(s_pk(w));
}

void
cq_mpw_str(cq_mpw_t *w, const char *s)
{
    cq_mpw_strn(w, s, strlen(s));
}

void
cq_mpw_strn(cq_mpw_t *w, const char *s, size_t n)
{
    msgpack_pack_str(s_pk(w), n);
    msgpack_pack_str_body(s_pk(w), s, n);
}

void
cq_mpw_bin(cq_mpw_t *w, const void *p, size_t n)
{
    msgpack_pack_bin(s_pk(w), n);
    msgpack_pack_bin_body(s_pk(w), p, n);
}

void
cq_mpw_raw(cq_mpw_t *w, const void *p, size_t n)
{
    s_write(w, p, n);
}

size_t
cq_mpw_array_open(cq_mpw_t *w)
{
    static const char hdr[5] = {(char)0xdd, 0, 0, 0, 0};
    size_t at = w->len;
    s_write(w, hdr, sizeof hdr);
    return at;
}

void
cq_mpw_array_close(cq_mpw_t *w, size_t at, uint32_t n)
{
    assert(at + 5 <= w->len && w->data[at] == 0xdd);
    w->data[at + 1] = (uint8_t)(n >> 24);
    w->data[at + 2] = (uint8_t)(n >> 16);
    w->data[at + 3] = (uint8_t)(n >> 8);
    w->data[at + 4] = (uint8_t)n;
}

//  ---- cursor ---------------------------------------------------------

void
cq_cur_init(cq_cur_t *c, const void *p, size_t n)
{
    memset(c, 0, sizeof *c);
    c->start = c->pos = p;
    c->end = c->start + n;
}

int
cq_cur_fail(cq_cur_t *c, int code, const char *what)
{
    if (c->err == 0) {
        if (code == CQ_ETOOBIG)
            cq_limit_hit(CQ_LIMIT_MESSAGE_FIELD);
        c->err = code;
        c->err_at = (size_t)(c->pos - c->start);
        c->err_what = what;
    }
    return code;
}

int
cq_cur_diag(const cq_cur_t *c, cq_diag_t *diag)
{
    if (c->err == 0)
        return 0;
    return cq_diag_set(
        diag, c->err, c->err_at, "%s: %s", c->err_what ? c->err_what : "body",
        c->err == CQ_ETOOBIG ? "over its limit" : "malformed or out of range");
}

static size_t
s_left(const cq_cur_t *c)
{
    return (size_t)(c->end - c->pos);
}

//  Reads n big-endian bytes; fails (returns 0) when fewer are left.
static uint64_t
s_be(cq_cur_t *c, size_t n, const char *what)
{
    if (c->err)
        return 0;
    if (s_left(c) < n) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | c->pos[i];
    c->pos += n;
    return v;
}

static int
s_byte(cq_cur_t *c, const char *what)
{
    if (c->err)
        return -1;
    if (s_left(c) < 1) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return -1;
    }
    return *c->pos++;
}

uint32_t
cq_cur_array(cq_cur_t *c, uint32_t min, uint32_t max, const char *what)
{
    int b = s_byte(c, what);
    if (b < 0)
        return 0;
    uint64_t n;
    if (b >= 0x90 && b <= 0x9f)
        n = (uint64_t)(b & 0x0f);
    else if (b == 0xdc)
        n = s_be(c, 2, what);
    else if (b == 0xdd)
        n = s_be(c, 4, what);
    else {
        c->pos--;
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    if (c->err)
        return 0;
    if (n > max) {
        cq_cur_fail(c, CQ_ETOOBIG, what);
        return 0;
    }
    //  Every element takes at least one byte: a count the body cannot hold
    //  is malformed, whatever its cap.
    if (n < min || n > s_left(c)) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    return (uint32_t)n;
}

//  Reads any msgpack integer: *neg says whether it is negative, *mag holds
//  the value (or its two's complement when negative).
static bool
s_int(cq_cur_t *c, bool *neg, uint64_t *u, const char *what)
{
    int b = s_byte(c, what);
    if (b < 0)
        return false;
    *neg = false;
    if (b <= 0x7f) {
        *u = (uint64_t)b;
        return true;
    }
    if (b >= 0xe0) {
        *neg = true;
        *u = (uint64_t)(int64_t)(int8_t)b;
        return true;
    }
    switch (b) {
    case 0xcc:
        *u = s_be(c, 1, what);
        break;
    case 0xcd:
        *u = s_be(c, 2, what);
        break;
    case 0xce:
        *u = s_be(c, 4, what);
        break;
    case 0xcf:
        *u = s_be(c, 8, what);
        break;
    case 0xd0:
        *u = (uint64_t)(int64_t)(int8_t)s_be(c, 1, what);
        *neg = (int64_t)*u < 0;
        break;
    case 0xd1:
        *u = (uint64_t)(int64_t)(int16_t)s_be(c, 2, what);
        *neg = (int64_t)*u < 0;
        break;
    case 0xd2:
        *u = (uint64_t)(int64_t)(int32_t)s_be(c, 4, what);
        *neg = (int64_t)*u < 0;
        break;
    case 0xd3:
        *u = s_be(c, 8, what);
        *neg = (int64_t)*u < 0;
        break;
    default:
        c->pos--;
        cq_cur_fail(c, CQ_EPROTO, what);
        return false;
    }
    return c->err == 0;
}

uint64_t
cq_cur_uint(cq_cur_t *c, uint64_t max, const char *what)
{
    bool neg;
    uint64_t u;
    if (!s_int(c, &neg, &u, what))
        return 0;
    if (neg || u > max) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    return u;
}

int64_t
cq_cur_int(cq_cur_t *c, int64_t min, int64_t max, const char *what)
{
    bool neg;
    uint64_t u;
    if (!s_int(c, &neg, &u, what))
        return 0;
    if (!neg && u > (uint64_t)INT64_MAX) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    int64_t v = (int64_t)u;
    if (v < min || v > max) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return 0;
    }
    return v;
}

bool
cq_cur_bool(cq_cur_t *c, const char *what)
{
    int b = s_byte(c, what);
    if (b == 0xc2)
        return false;
    if (b == 0xc3)
        return true;
    if (b >= 0) {
        c->pos--;
        cq_cur_fail(c, CQ_EPROTO, what);
    }
    return false;
}

bool
cq_cur_nil(cq_cur_t *c)
{
    if (c->err || s_left(c) < 1 || *c->pos != 0xc0)
        return false;
    c->pos++;
    return true;
}

//  Reads a str header; returns its length (or SIZE_MAX on error).
static size_t
s_str_len(cq_cur_t *c, const char *what)
{
    int b = s_byte(c, what);
    if (b < 0)
        return SIZE_MAX;
    uint64_t n;
    if (b >= 0xa0 && b <= 0xbf)
        n = (uint64_t)(b & 0x1f);
    else if (b == 0xd9)
        n = s_be(c, 1, what);
    else if (b == 0xda)
        n = s_be(c, 2, what);
    else if (b == 0xdb)
        n = s_be(c, 4, what);
    else {
        c->pos--;
        cq_cur_fail(c, CQ_EPROTO, what);
        return SIZE_MAX;
    }
    if (c->err)
        return SIZE_MAX;
    if (n > s_left(c)) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return SIZE_MAX;
    }
    return (size_t)n;
}

void
cq_cur_str(cq_cur_t *c, char *dst, size_t dstsize, const char *what)
{
    assert(dstsize > 0);
    dst[0] = '\0';
    const uint8_t *at = c->pos;
    size_t n = s_str_len(c, what);
    if (n == SIZE_MAX)
        return;
    if (n >= dstsize) {
        c->pos = at;
        cq_cur_fail(c, CQ_ETOOBIG, what);
        return;
    }
    if (memchr(c->pos, 0, n) != NULL) {
        c->pos = at;
        cq_cur_fail(c, CQ_EPROTO, what);
        return;
    }
    memcpy(dst, c->pos, n);
    dst[n] = '\0';
    c->pos += n;
}

const uint8_t *
cq_cur_bin(cq_cur_t *c, size_t *len, size_t max, const char *what)
{
    *len = 0;
    int b = s_byte(c, what);
    if (b < 0)
        return NULL;
    uint64_t n;
    if (b == 0xc4)
        n = s_be(c, 1, what);
    else if (b == 0xc5)
        n = s_be(c, 2, what);
    else if (b == 0xc6)
        n = s_be(c, 4, what);
    else {
        c->pos--;
        cq_cur_fail(c, CQ_EPROTO, what);
        return NULL;
    }
    if (c->err)
        return NULL;
    if (n > max) {
        cq_cur_fail(c, CQ_ETOOBIG, what);
        return NULL;
    }
    if (n > s_left(c)) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return NULL;
    }
    const uint8_t *p = c->pos;
    c->pos += n;
    *len = (size_t)n;
    return p;
}

//  Skips n bytes of payload.
static void
s_skip_bytes(cq_cur_t *c, uint64_t n, const char *what)
{
    if (c->err)
        return;
    if (n > s_left(c)) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return;
    }
    c->pos += n;
}

void
cq_cur_skip(cq_cur_t *c, const char *what)
{
    int b = s_byte(c, what);
    if (b < 0)
        return;
    uint64_t n = 0; // payload bytes, or elements for containers
    int elems = 0;  // 1: array of n, 2: map of n (2n objects)
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return;
    if (b >= 0x80 && b <= 0x8f) {
        n = (uint64_t)(b & 0x0f);
        elems = 2;
    } else if (b >= 0x90 && b <= 0x9f) {
        n = (uint64_t)(b & 0x0f);
        elems = 1;
    } else if (b >= 0xa0 && b <= 0xbf) {
        s_skip_bytes(c, (uint64_t)(b & 0x1f), what);
        return;
    } else {
        switch (b) {
        case 0xc4: // bin8
        case 0xd9: // str8
            s_skip_bytes(c, s_be(c, 1, what), what);
            return;
        case 0xc5:
        case 0xda:
            s_skip_bytes(c, s_be(c, 2, what), what);
            return;
        case 0xc6:
        case 0xdb:
            s_skip_bytes(c, s_be(c, 4, what), what);
            return;
        case 0xc7: // ext8: size, type, data
            n = s_be(c, 1, what);
            s_skip_bytes(c, n + 1, what);
            return;
        case 0xc8:
            n = s_be(c, 2, what);
            s_skip_bytes(c, n + 1, what);
            return;
        case 0xc9:
            n = s_be(c, 4, what);
            s_skip_bytes(c, n + 1, what);
            return;
        case 0xca: // float32
        case 0xce: // uint32
        case 0xd2: // int32
            s_skip_bytes(c, 4, what);
            return;
        case 0xcb:
        case 0xcf:
        case 0xd3:
            s_skip_bytes(c, 8, what);
            return;
        case 0xcc:
        case 0xd0:
            s_skip_bytes(c, 1, what);
            return;
        case 0xcd:
        case 0xd1:
            s_skip_bytes(c, 2, what);
            return;
        case 0xd4: // fixext 1..16: type + data
            s_skip_bytes(c, 2, what);
            return;
        case 0xd5:
            s_skip_bytes(c, 3, what);
            return;
        case 0xd6:
            s_skip_bytes(c, 5, what);
            return;
        case 0xd7:
            s_skip_bytes(c, 9, what);
            return;
        case 0xd8:
            s_skip_bytes(c, 17, what);
            return;
        case 0xdc:
            n = s_be(c, 2, what);
            elems = 1;
            break;
        case 0xdd:
            n = s_be(c, 4, what);
            elems = 1;
            break;
        case 0xde:
            n = s_be(c, 2, what);
            elems = 2;
            break;
        case 0xdf:
            n = s_be(c, 4, what);
            elems = 2;
            break;
        default: // 0xc1: never used
            c->pos--;
            cq_cur_fail(c, CQ_EPROTO, what);
            return;
        }
    }
    if (c->err)
        return;
    uint64_t objs = n * (uint64_t)elems;
    if (objs > s_left(c)) {
        cq_cur_fail(c, CQ_EPROTO, what);
        return;
    }
    if (c->depth >= CQ_PROTO_MAX_DEPTH) {
        cq_cur_fail(c, CQ_ETOOBIG, what);
        return;
    }
    c->depth++;
    for (uint64_t i = 0; i < objs && c->err == 0; i++)
        cq_cur_skip(c, what);
    c->depth--;
}

void
cq_cur_rest(cq_cur_t *c, uint32_t have, uint32_t used)
{
    for (uint32_t i = used; i < have && c->err == 0; i++)
        cq_cur_skip(c, "trailing field");
}
