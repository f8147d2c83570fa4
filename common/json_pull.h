//  json_pull.h: the strict RFC 8259 pull parser under the claim JSON
//  decoder (claim_json.c): a cursor with a sticky error over one text,
//  reading strings, numbers, literals, keys and skipping values, without
//  allocating. It knows no claim: what a value means is its includer's.
//  It must not allocate, log, or read past `end`.
//
//  Header-only (static inline): the decoder's hot loop stays one
//  translation unit for the compiler, and an includer that uses one
//  function (the encoder's UTF-8 check) gets only that one. Names keep
//  the s_ prefix of file-local code: each includer has its own copy.
#ifndef CQ_JSON_PULL_H
#define CQ_JSON_PULL_H

#include "prelude.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    S_JE_OK = 0,
    S_JE_SYNTAX,   // invalid syntax
    S_JE_EOF,      // the input ends inside the value
    S_JE_UTF8,     // invalid UTF-8 in a string
    S_JE_CTRL,     // raw control character in a string
    S_JE_NUL,      // \u0000 (refused, as jansson does)
    S_JE_ESCAPE,   // unknown escape or lone surrogate
    S_JE_RANGE,    // integer beyond 64 bits, or a real beyond double
    S_JE_DEPTH,    // nested deeper than CQ_JSON_MAX_DEPTH
    S_JE_TRAILING, // content after the record on its line
} s_jerr_t;

typedef struct {
    const char *p;      // next unread byte
    const char *end;    // end of the input
    int err;            // first error (s_jerr_t); later reads do nothing
    const char *err_at; // where it was seen
} s_cur_t;

//  Records the first error and makes every later read fail at once.
static inline bool
s_jfail(s_cur_t *c, int err, const char *at)
{
    if (c->err == 0) {
        c->err = err;
        c->err_at = at;
    }
    c->p = c->end;
    return false;
}

//  The error for an unexpected byte at c->p (or the end of input).
static inline bool
s_junexpected(s_cur_t *c)
{
    return s_jfail(c, c->p < c->end ? S_JE_SYNTAX : S_JE_EOF, c->p);
}

static inline void
s_ws(s_cur_t *c)
{
    const char *p = c->p;
    while (p < c->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    c->p = p;
}

//  The next non-blank byte, or -1 at the end (or after an error).
static inline int
s_peek(s_cur_t *c)
{
    s_ws(c);
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static inline bool
s_eat(s_cur_t *c, char ch)
{
    if (s_peek(c) == (unsigned char)ch) {
        c->p++;
        return true;
    }
    return false;
}

static inline bool
s_expect(s_cur_t *c, char ch)
{
    return s_eat(c, ch) || s_junexpected(c);
}

static inline bool
s_is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

//  Length of a valid UTF-8 sequence at s[0..n) (n >= 1, s[0] >= 0x80), or
//  0 when it is not valid (overlong, surrogate, > U+10FFFF, truncated).
static inline size_t
s_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t k;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return k;
}

//  Appends src[0..k) to out[0..cap) (keeping room for the NUL) and counts
//  it in *n whether or not it fits.
static inline void
s_out(char *out, size_t cap, size_t *n, const void *src, size_t k)
{
    if (out && *n + 1 < cap) {
        size_t room = cap - 1 - *n;
        memcpy(out + *n, src, k < room ? k : room);
    }
    *n += k;
}

static inline int
s_hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int ch = p[i], d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

//  Reads a string (c->p at '"'). When out is not NULL it receives the
//  decoded bytes, NUL-terminated and cut to cap - 1; *len (if not NULL)
//  gets the full decoded length, which may be larger than what fits.
static inline bool
s_str(s_cur_t *c, char *out, size_t cap, size_t *len)
{
    //  Bytes a string can hold as they are: printable ASCII but '"' and '\\'.
    static const uint8_t s_plain[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    const unsigned char *p = (const unsigned char *)c->p + 1;
    const unsigned char *end = (const unsigned char *)c->end;
    size_t n = 0;
    for (;;) {
        const unsigned char *run = p;
        while (p < end && s_plain[*p])
            p++;
        if (p > run)
            s_out(out, cap, &n, run, (size_t)(p - run));
        if (p >= end)
            return s_jfail(c, S_JE_EOF, (const char *)p);
        unsigned char ch = *p;
        if (ch == '"') {
            p++;
            break;
        }
        if (ch < 0x20)
            return s_jfail(c, S_JE_CTRL, (const char *)p);
        if (ch >= 0x80) {
            size_t k = s_utf8_len(p, (size_t)(end - p));
            if (k == 0)
                return s_jfail(c, S_JE_UTF8, (const char *)p);
            s_out(out, cap, &n, p, k);
            p += k;
            continue;
        }
        //  An escape.
        if (end - p < 2)
            return s_jfail(c, S_JE_EOF, (const char *)end);
        const unsigned char *esc = p;
        char single = 0;
        switch (p[1]) {
        case '"':
            single = '"';
            break;
        case '\\':
            single = '\\';
            break;
        case '/':
            single = '/';
            break;
        case 'b':
            single = '\b';
            break;
        case 'f':
            single = '\f';
            break;
        case 'n':
            single = '\n';
            break;
        case 'r':
            single = '\r';
            break;
        case 't':
            single = '\t';
            break;
        case 'u':
            break;
        default:
            return s_jfail(c, S_JE_ESCAPE, (const char *)esc);
        }
        if (single) {
            s_out(out, cap, &n, &single, 1);
            p += 2;
            continue;
        }
        if (end - p < 6)
            return s_jfail(c, S_JE_EOF, (const char *)end);
        int32_t cp = s_hex4(p + 2);
        if (cp < 0)
            return s_jfail(c, S_JE_ESCAPE, (const char *)esc);
        p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - p < 6)
                return s_jfail(c, S_JE_EOF, (const char *)end);
            int lo = (p[0] == '\\' && p[1] == 'u') ? s_hex4(p + 2) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return s_jfail(c, S_JE_ESCAPE, (const char *)esc);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return s_jfail(c, S_JE_ESCAPE, (const char *)esc);
        } else if (cp == 0) {
            return s_jfail(c, S_JE_NUL, (const char *)esc);
        }
        unsigned char u[4];
        size_t k;
        if (cp < 0x80) {
            u[0] = (unsigned char)cp;
            k = 1;
        } else if (cp < 0x800) {
            u[0] = (unsigned char)(0xC0 | (cp >> 6));
            u[1] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 2;
        } else if (cp < 0x10000) {
            u[0] = (unsigned char)(0xE0 | (cp >> 12));
            u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 3;
        } else {
            u[0] = (unsigned char)(0xF0 | (cp >> 18));
            u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u[3] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 4;
        }
        s_out(out, cap, &n, u, k);
    }
    c->p = (const char *)p;
    if (out)
        out[n < cap - 1 ? n : cap - 1] = '\0';
    if (len)
        *len = n;
    return true;
}

//  True when the real number s[0..e) (valid JSON syntax) is beyond the
//  range of a double (jansson refuses those). Underflow is fine.
static inline bool
s_real_overflows(const char *s, const char *e)
{
    const char *p = s;
    if (*p == '-')
        p++;
    char digits[48];
    size_t nd = 0;
    int64_t int_digits = 0, lead_zeros = 0;
    bool seen_nonzero = false, in_frac = false;
    for (; p < e && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            in_frac = true;
            continue;
        }
        if (!in_frac)
            int_digits++;
        if (!seen_nonzero && *p == '0') {
            lead_zeros++;
            continue;
        }
        seen_nonzero = true;
        if (nd < 40)
            digits[nd++] = *p;
    }
    if (!seen_nonzero)
        return false; // zero
    int64_t x = 0;
    bool xneg = false;
    if (p < e) {
        p++; // 'e'
        if (*p == '+' || *p == '-')
            xneg = *p++ == '-';
        for (; p < e; p++)
            if (x < INT64_C(1000000000))
                x = x * 10 + (*p - '0');
    }
    if (xneg)
        x = -x;
    //  value = 0.d1d2... x 10^mag
    int64_t mag = int_digits - lead_zeros + x;
    if (mag < 309)
        return false;
    if (mag > 309)
        return true;
    //  In [1e308, 1e309): ask strtod (no decimal point: locale-proof).
    snprintf(digits + nd, sizeof digits - nd, "e%d", 309 - (int)nd);
    return isinf(strtod(digits, NULL));
}

typedef struct {
    bool is_int; // no fraction and no exponent
    int64_t i;   // the value when is_int
} s_num_t;

//  One digit or more at *pp (a fraction, an exponent): *pp past them.
static inline bool
s_digit_run(s_cur_t *c, const char **pp)
{
    const char *p = *pp;
    if (p >= c->end || !s_is_digit(*p))
        return s_jfail(c, p >= c->end ? S_JE_EOF : S_JE_SYNTAX, p);
    while (p < c->end && s_is_digit(*p))
        p++;
    *pp = p;
    return true;
}

static inline bool
s_num(s_cur_t *c, s_num_t *out)
{
    const char *p = c->p, *end = c->end, *start = p;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    if (p >= end)
        return s_jfail(c, S_JE_EOF, p);
    if (*p == '0') {
        p++;
    } else if (s_is_digit(*p)) {
        while (p < end && s_is_digit(*p))
            p++;
    } else {
        return s_jfail(c, S_JE_SYNTAX, p);
    }
    const char *int_end = p;
    bool is_int = true;
    if (p < end && *p == '.') {
        p++;
        if (!s_digit_run(c, &p))
            return false;
        is_int = false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!s_digit_run(c, &p))
            return false;
        is_int = false;
    }
    out->is_int = is_int;
    out->i = 0;
    if (is_int) {
        uint64_t limit =
            neg ? UINT64_C(9223372036854775808) : UINT64_C(9223372036854775807);
        uint64_t v = 0;
        for (const char *q = start + neg; q < int_end; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (v > (limit - d) / 10)
                return s_jfail(c, S_JE_RANGE, start);
            v = v * 10 + d;
        }
        out->i = neg ? (int64_t)(0 - v) : (int64_t)v;
    } else if (s_real_overflows(start, p)) {
        return s_jfail(c, S_JE_RANGE, start);
    }
    c->p = p;
    return true;
}

//  true / false / null (c->p at its first letter).
static inline bool
s_lit(s_cur_t *c, const char *word, size_t n)
{
    size_t avail = (size_t)(c->end - c->p);
    size_t k = avail < n ? avail : n;
    if (memcmp(c->p, word, k) != 0)
        return s_jfail(c, S_JE_SYNTAX, c->p);
    if (avail < n)
        return s_jfail(c, S_JE_EOF, c->end);
    const char *after = c->p + n;
    if (after < c->end &&
        ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z')))
        return s_jfail(c, S_JE_SYNTAX, c->p);
    c->p = after;
    return true;
}

//  An object key and its ':' (c->p at the key's '"', after blanks).
static inline bool
s_key(s_cur_t *c, char *key, size_t cap, size_t *len)
{
    if (s_peek(c) != '"')
        return s_junexpected(c);
    return s_str(c, key, cap, len) && s_expect(c, ':');
}

//  Skips one value, checking its syntax. depth is the nesting of the
//  container that holds it (0 at top level).
static inline bool
s_skip(s_cur_t *c, int depth)
{
    uint8_t is_obj[CQ_JSON_MAX_DEPTH / 8 + 1]; // bit d: level d is an object
    int d = 0;                                 // open containers of this skip
    for (;;) {
        int ch = s_peek(c);
        bool done = true; // a whole value was read
        if (ch == '{' || ch == '[') {
            if (depth + d + 1 > CQ_JSON_MAX_DEPTH) {
                cq_limit_hit(CQ_LIMIT_JSON_DEPTH);
                return s_jfail(c, S_JE_DEPTH, c->p);
            }
            c->p++;
            bool obj = ch == '{';
            if (!s_eat(c, obj ? '}' : ']')) {
                if (obj)
                    is_obj[d / 8] |= (uint8_t)(1u << (d % 8));
                else
                    is_obj[d / 8] &= (uint8_t) ~(1u << (d % 8));
                d++;
                if (obj && !s_key(c, NULL, 0, NULL))
                    return false;
                done = false;
            }
        } else if (ch == '"') {
            if (!s_str(c, NULL, 0, NULL))
                return false;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            s_num_t n;
            if (!s_num(c, &n))
                return false;
        } else if (ch == 't') {
            if (!s_lit(c, "true", 4))
                return false;
        } else if (ch == 'f') {
            if (!s_lit(c, "false", 5))
                return false;
        } else if (ch == 'n') {
            if (!s_lit(c, "null", 4))
                return false;
        } else {
            return s_junexpected(c);
        }
        //  After a whole value: close containers until one wants more.
        while (done) {
            if (d == 0)
                return true;
            bool obj = is_obj[(d - 1) / 8] & (1u << ((d - 1) % 8));
            if (s_eat(c, ',')) {
                if (obj && !s_key(c, NULL, 0, NULL))
                    return false;
                done = false;
            } else if (s_eat(c, obj ? '}' : ']')) {
                d--;
            } else {
                return s_junexpected(c);
            }
        }
    }
}

//  Object iteration: after '{', returns true with the next key read (and
//  its ':'), false at '}' or on an error.
static inline bool
s_obj_next(s_cur_t *c, bool *first, char *key, size_t cap, size_t *len)
{
    if (s_eat(c, '}'))
        return false;
    if (!*first && !s_expect(c, ','))
        return false;
    *first = false;
    return s_key(c, key, cap, len);
}

//  Array iteration: after '[', returns true when an element follows.
static inline bool
s_arr_next(s_cur_t *c, bool *first)
{
    if (s_eat(c, ']'))
        return false;
    if (!*first && !s_expect(c, ','))
        return false;
    *first = false;
    return c->err == 0;
}

static inline const char *
s_type_of(int ch)
{
    switch (ch) {
    case '{':
        return "an object";
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

#endif
