//  x12.c: the X12 tokenizer (zero-copy views over the caller's buffer),
//  value helpers, and the segment output shared by the x12 writers.
#include "x12_int.h"
#include "hash.h"
#include "money.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// ------------------------------------------------------------- tokenizer

//  Offsets of the 16 element separators of a standard 106-byte ISA.
static const uint8_t s_isa_seps[16] = {3,  6,  17, 20, 31, 34, 50,  53,
                                       69, 76, 81, 83, 89, 99, 101, 103};

static bool
s_is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z');
}

//  A delimiter may be any byte but a letter, a digit or a space.
static bool
s_bad_delim(unsigned char c)
{
    return s_is_alnum(c) || c == ' ' || c == 0;
}

static bool
s_is_ws(unsigned char c)
{
    return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == '\f' ||
           c == '\v';
}

int
cq_x12_read_isa(const char *buf, size_t len, cq_x12_seps_t *seps,
                size_t *isa_len)
{
    if (len < 4 || memcmp(buf, "ISA", 3) != 0)
        return CQ_EPROTO;
    const unsigned char *p = (const unsigned char *)buf;
    unsigned char e = p[3];
    if (s_bad_delim(e) || e == '\r' || e == '\n')
        return CQ_EPROTO;
    bool fixed = len >= 106;
    for (size_t k = 0; fixed && k < 16; k++)
        fixed = p[s_isa_seps[k]] == e;
    size_t rep_at = 0, rep_len = 0, ver_at = 0, ver_len = 0, comp_at;
    if (fixed) {
        rep_at = 82;
        rep_len = 1;
        ver_at = 84;
        ver_len = 5;
        comp_at = 104;
    } else {
        //  Not the standard layout: count 16 element separators; ISA16 is
        //  the single byte after the last one, the terminator follows.
        size_t count = 0, i = 3, start[17];
        size_t lim =
            len < CQ_X12_MAX_SEGMENT_LEN ? len : CQ_X12_MAX_SEGMENT_LEN;
        for (; i < lim && count < 16; i++)
            if (p[i] == e)
                start[count++] = i + 1;
        if (count < 16)
            return CQ_EPROTO;
        comp_at = start[15];
        rep_at = start[10];
        rep_len = start[11] - start[10] - 1;
        ver_at = start[11];
        ver_len = start[12] - start[11] - 1;
    }
    if (comp_at + 1 >= len)
        return CQ_EPROTO;
    unsigned char comp = p[comp_at], term = p[comp_at + 1];
    if (s_bad_delim(comp) || comp == e || comp == '\r' || comp == '\n')
        return CQ_EPROTO;
    if (s_bad_delim(term) || term == e || term == comp)
        return CQ_EPROTO;
    //  ISA11 is the repetition separator from 00501 on; older senders put
    //  a letter there ("U"), which means "none".
    unsigned char rep = 0;
    if (rep_len == 1 && ver_len == 5 && memcmp(buf + ver_at, "00501", 5) >= 0) {
        unsigned char c = p[rep_at];
        if (!s_bad_delim(c) && c != e && c != comp && c != term && c != '\r' &&
            c != '\n')
            rep = c;
    }
    seps->element = (char)e;
    seps->component = (char)comp;
    seps->repetition = (char)rep;
    seps->segment = (char)term;
    *isa_len = comp_at + 1;
    return 0;
}

static int
s_fatal(cq_x12_reader_t *r, int code, size_t at, const char *msg)
{
    r->err = code;
    r->err_at = at;
    snprintf(r->err_msg, sizeof r->err_msg, "%s", msg);
    return code;
}

void
cq_x12_reader_init(cq_x12_reader_t *r, const void *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
    const unsigned char *p = buf;
    size_t i = 0;
    if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < len && s_is_ws(p[i]))
        i++;
    r->pos = i;
    if (len > CQ_X12_MAX_DOC) {
        cq_limit_hit(CQ_LIMIT_X12_DOC);
        s_fatal(r, CQ_ETOOBIG, 0, "document larger than the X12 cap");
    }
}

static bool
s_only_junk(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s_is_ws(p[i]) && p[i] != 0 && p[i] != 0x1A)
            return false;
    return true;
}

//  Word-at-a-time scanning (8 bytes per step, little-endian), for the two
//  loops every byte goes through: finding the terminator and finding the
//  element separators.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define S_SWAR 1
#else
#define S_SWAR 0
#endif

#define S_ONES UINT64_C(0x0101010101010101)
#define S_HIGH UINT64_C(0x8080808080808080)
#define S_LOW7 UINT64_C(0x7F7F7F7F7F7F7F7F)

//  High bit set in exactly the bytes of x that are zero.
static inline uint64_t
s_zero_bytes(uint64_t x)
{
    return ~(((x & S_LOW7) + S_LOW7) | x | S_LOW7);
}

//  Nonzero when some byte of x is below 0x20 (a control character).
static inline uint64_t
s_ctl_bytes(uint64_t x)
{
    return (x - S_ONES * 0x20) & ~x & S_HIGH;
}

static inline uint64_t
s_load(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

//  Index of the first term in p[0..n), or n; *ctl is set when a byte
//  below 0x20 comes before it (the terminator itself excluded).
static size_t
s_find_term(const unsigned char *p, size_t n, unsigned char term, bool *ctl)
{
    size_t i = 0;
    bool c = false;
#if S_SWAR
    uint64_t T = S_ONES * term;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = s_load(p + i);
        uint64_t z = s_zero_bytes(x ^ T);
        uint64_t cm = s_ctl_bytes(x);
        if (z) {
            //  The lowest flagged control byte is a true one: any flag
            //  below the terminator means a control byte before it.
            uint64_t below = (z & (~z + 1)) - 1;
            *ctl = c || (cm & below) != 0;
            return i + ((size_t)__builtin_ctzll(z) >> 3);
        }
        c |= cm != 0;
    }
#endif
    for (; i < n; i++) {
        if (p[i] == term)
            break;
        c |= p[i] < 0x20;
    }
    *ctl = c;
    return i;
}

//  Splits seg->data[0..len) into elements and checks the caps.
void
cq_x12_seg_split(cq_x12_seg_t *seg)
{
    if (seg->flags & CQ_X12_SEG_SPLIT)
        return;
    seg->flags |= CQ_X12_SEG_SPLIT;
    const unsigned char *d = (const unsigned char *)seg->data;
    uint32_t n = seg->len;
    unsigned char e = (unsigned char)seg->seps.element;
    uint32_t i = seg->id_len;
    unsigned ne = 0;
    bool over = false;
#if S_SWAR
    uint64_t E = S_ONES * e;
    for (; i + 8 <= n && !over; i += 8) {
        uint64_t z = s_zero_bytes(s_load(d + i) ^ E);
        while (z) {
            if (ne == CQ_X12_MAX_ELEMENTS) {
                over = true;
                break;
            }
            seg->start[ne++] =
                (uint16_t)(i + ((uint32_t)__builtin_ctzll(z) >> 3) + 1);
            z &= z - 1;
        }
    }
#endif
    for (; i < n && !over; i++) {
        if (d[i] == e) {
            if (ne == CQ_X12_MAX_ELEMENTS) {
                over = true;
                break;
            }
            seg->start[ne++] = (uint16_t)(i + 1);
        }
    }
    if (over && seg->err == 0) {
        cq_limit_hit(CQ_LIMIT_X12_ELEMENTS);
        seg->err = CQ_X12_SEG_TOO_MANY_ELEMS;
        seg->err_elem = CQ_X12_MAX_ELEMENTS;
    }
    seg->n_elems = (uint16_t)ne;
    seg->start[ne] = (uint16_t)(n + 1);
    if (n > CQ_X12_MAX_ELEMENT_LEN) {
        for (unsigned k = 0; k < ne; k++) {
            unsigned el = (unsigned)(seg->start[k + 1] - seg->start[k] - 1);
            if (el > CQ_X12_MAX_ELEMENT_LEN && seg->err == 0) {
                cq_limit_hit(CQ_LIMIT_X12_ELEMENT);
                seg->err = CQ_X12_SEG_ELEM_TOO_LONG;
                seg->err_elem = (uint8_t)(k + 1);
            }
        }
    }
    if ((seg->flags & CQ_X12_SEG_CTL) && seg->err == 0) {
        //  Control bytes are fine as component / repetition separators.
        unsigned char comp = (unsigned char)seg->seps.component;
        unsigned char rep = (unsigned char)seg->seps.repetition;
        unsigned k = 0;
        for (uint32_t j = 0; j < n; j++) {
            unsigned char c = d[j];
            if (c == e)
                k++;
            else if (c < 0x20 && c != comp && (rep == 0 || c != rep)) {
                seg->err = CQ_X12_SEG_BAD_CHAR;
                seg->err_elem = (uint8_t)(k > 255 ? 255 : k);
                break;
            }
        }
    }
}

static inline bool
s_id_char(unsigned char c)
{
    return (unsigned)(c - 'A') < 26u || (unsigned)(c - '0') < 10u;
}

//  The id: 2-3 upper-case letters or digits, a letter first.
static void
s_read_id(cq_x12_seg_t *seg)
{
    const unsigned char *d = (const unsigned char *)seg->data;
    unsigned char e = (unsigned char)seg->seps.element;
    uint32_t n = seg->len, i;
    if (n >= 2 && (unsigned)(d[0] - 'A') < 26u && s_id_char(d[1])) {
        if (n == 2 || d[2] == e) {
            seg->id[0] = (char)d[0];
            seg->id[1] = (char)d[1];
            seg->id[2] = '\0';
            seg->id_len = 2;
            return;
        }
        if (s_id_char(d[2]) && (n == 3 || d[3] == e)) {
            seg->id[0] = (char)d[0];
            seg->id[1] = (char)d[1];
            seg->id[2] = (char)d[2];
            seg->id[3] = '\0';
            seg->id_len = 3;
            return;
        }
    }
    memset(seg->id, 0, sizeof seg->id);
    seg->err = CQ_X12_SEG_BAD_ID;
    i = 0;
    while (i < n && d[i] != e)
        i++;
    seg->id_len = (uint16_t)(i > CQ_X12_MAX_SEGMENT_LEN ? 0 : i);
}

int
cq_x12_reader_raw(cq_x12_reader_t *r, cq_x12_seg_t *seg)
{
    if (r->err)
        return r->err;
    const char *b = r->buf;
    size_t len = r->len, pos = r->pos;
    while (pos < len && (unsigned char)b[pos] <= ' ' &&
           s_is_ws((unsigned char)b[pos]))
        pos++;
    if (pos >= len ||
        ((b[pos] == 0 || b[pos] == 0x1A) &&
         s_only_junk((const unsigned char *)b + pos, len - pos))) {
        r->pos = len;
        return 0;
    }
    //  An ISA (re)defines the delimiters for what follows; its length is
    //  known, so a terminator byte inside its fields cannot cut it short.
    size_t isa_len = 0;
    if (b[pos] == 'I' && len - pos >= 4 && b[pos + 1] == 'S' &&
        b[pos + 2] == 'A' && !s_is_alnum((unsigned char)b[pos + 3])) {
        cq_x12_seps_t seps;
        if (cq_x12_read_isa(b + pos, len - pos, &seps, &isa_len) != 0)
            return s_fatal(r, CQ_EPROTO, pos,
                           "ISA: cannot read the delimiters (element, "
                           "component, segment terminator)");
        r->seps = seps;
        r->have_seps = true;
    } else if (!r->have_seps) {
        return s_fatal(r, CQ_EPROTO, pos,
                       "not X12: the document does not start with ISA");
    }
    if (r->n_segments >= CQ_X12_MAX_SEGMENTS) {
        cq_limit_hit(CQ_LIMIT_X12_SEGMENTS);
        return s_fatal(r, CQ_ETOOBIG, pos, "more segments than the X12 cap");
    }
    const unsigned char *p = (const unsigned char *)b + pos;
    size_t avail = len - pos;
    bool ctl = false;
    size_t n;
    if (isa_len) {
        n = isa_len;
        for (size_t j = 0; j < n && !ctl; j++)
            ctl = p[j] < 0x20;
    } else {
        n = s_find_term(p, avail, (unsigned char)r->seps.segment, &ctl);
    }
    r->pos = n < avail ? pos + n + 1 : len;
    if (r->seps.segment == '\n' && n > 0 && p[n - 1] == '\r') {
        n--;
        if (ctl) {
            ctl = false;
            for (size_t j = 0; j < n && !ctl; j++)
                ctl = p[j] < 0x20;
        }
    }
    seg->data = (const char *)p;
    seg->offset = pos;
    seg->number = ++r->n_segments;
    seg->seps = r->seps;
    seg->err = CQ_X12_SEG_OK;
    seg->err_elem = 0;
    seg->flags = ctl ? CQ_X12_SEG_CTL : 0;
    seg->n_elems = 0;
    seg->start[0] = 1;
    if (n > CQ_X12_MAX_SEGMENT_LEN) {
        //  Probably the wrong terminator: deliver the id only.
        cq_limit_hit(CQ_LIMIT_X12_SEGMENT);
        seg->len = CQ_X12_MAX_SEGMENT_LEN;
        s_read_id(seg);
        seg->flags |= CQ_X12_SEG_SPLIT;
        seg->err = CQ_X12_SEG_TOO_LONG;
        return 1;
    }
    seg->len = (uint32_t)n;
    s_read_id(seg);
    return 1;
}

int
cq_x12_reader_next(cq_x12_reader_t *r, cq_x12_seg_t *seg)
{
    int rc = cq_x12_reader_raw(r, seg);
    if (rc == 1)
        cq_x12_seg_split(seg);
    return rc;
}

// ---------------------------------------------------------- value helpers

cq_x12_str_t
cq_x12_comp(cq_x12_str_t e, char sep, unsigned k)
{
    //  Components are a few bytes long: a plain loop beats memchr calls.
    cq_x12_str_t s = {"", 0};
    if (k == 0)
        return s;
    size_t i = 0;
    for (unsigned at = 1; at < k; at++) {
        while (i < e.n && e.p[i] != sep)
            i++;
        if (i >= e.n)
            return s;
        i++;
    }
    size_t j = i;
    while (j < e.n && e.p[j] != sep)
        j++;
    s.p = e.p + i;
    s.n = j - i;
    return s;
}

unsigned
cq_x12_ncomp(cq_x12_str_t e, char sep)
{
    if (e.n == 0)
        return 0;
    unsigned k = 1;
    for (size_t i = 0; i < e.n; i++)
        k += e.p[i] == sep;
    return k;
}

cq_x12_str_t
cq_x12_trim(cq_x12_str_t s)
{
    while (s.n > 0 && s.p[0] == ' ') {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && s.p[s.n - 1] == ' ')
        s.n--;
    return s;
}

int
cq_x12_copy(char *dst, size_t dstsize, cq_x12_str_t s)
{
    return cq_strncpy_n(dst, dstsize, s.p, s.n);
}

int
cq_x12_uint(cq_x12_str_t s, uint64_t *v)
{
    if (s.n == 0 || s.n > 18)
        return CQ_EINVAL;
    uint64_t x = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return CQ_EINVAL;
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    }
    *v = x;
    return 0;
}

int
cq_x12_amount(cq_x12_str_t s, int64_t *cents)
{
    if (s.n == 0 || s.n > 18)
        return CQ_EINVAL;
    return cq_money_parse(s.p, s.n, cents);
}

int
cq_x12_quantity(cq_x12_str_t s, int64_t *milli)
{
    if (s.n == 0 || s.n > 16)
        return CQ_EINVAL;
    size_t i = 0;
    int64_t whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
        whole = whole * 10 + (s.p[i++] - '0');
        digits++;
    }
    if (i < s.n && s.p[i] == '.') {
        i++;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
            if (fdigits == 3) {
                //  Further digits must be zeros ("1.0000").
                if (s.p[i] != '0')
                    return CQ_EINVAL;
            } else {
                frac = frac * 10 + (s.p[i] - '0');
                fdigits++;
            }
            i++;
        }
    }
    if (i != s.n || digits + fdigits == 0 || digits > 12)
        return CQ_EINVAL;
    for (int k = fdigits; k < 3; k++)
        frac *= 10;
    *milli = whole * 1000 + frac;
    return 0;
}

// ---------------------------------------------------------- writer output

static void
s_default_seps(cq_x12_seps_t *s)
{
    if (s->element == 0)
        s->element = '*';
    if (s->component == 0)
        s->component = ':';
    if (s->segment == 0)
        s->segment = '~';
    if (s->repetition == 0)
        s->repetition = '^';
}

static void
s_upper_id(char *dst, size_t n, const char *src, const char *dflt)
{
    cq_strlcpy(dst, src && *src ? src : dflt, n);
}

void
cq_x12_out_init(cq_x12_out_t *w, const cq_x12_envelope_t *env,
                const char *default_receiver, cq_buf_t *out)
{
    cq_x12_envelope_t none = {0};
    if (env == NULL)
        env = &none;
    memset(w, 0, sizeof *w);
    w->seps = env->seps;
    s_default_seps(&w->seps);
    w->newline = env->newline;
    w->out = out;
    w->diag = env->diag;
    s_upper_id(w->sender_qual, sizeof w->sender_qual, env->sender_qual, "ZZ");
    s_upper_id(w->sender, sizeof w->sender, env->sender_id, "CLAIMQ");
    s_upper_id(w->receiver_qual, sizeof w->receiver_qual, env->receiver_qual,
               "ZZ");
    s_upper_id(w->receiver, sizeof w->receiver, env->receiver_id,
               default_receiver && *default_receiver ? default_receiver
                                                     : "RECEIVER");
    int32_t day = env->date;
    int hhmm = env->hhmm;
    if (day == 0 || day == CQ_DATE_NONE) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        day = cq_date_today();
        hhmm = tm.tm_hour * 100 + tm.tm_min;
    }
    if (hhmm < 0 || hhmm > 2359)
        hhmm = 0;
    cq_date_format_d8(day, w->date8);
    snprintf(w->hhmm, sizeof w->hhmm, "%04d", hhmm);
    w->usage = env->usage == 'T' ? 'T' : 'P';
}

static int
s_add(cq_x12_out_t *w, const char *s, size_t n)
{
    if (w->err)
        return w->err;
    int rc = cq_buf_add(w->out, s, n);
    if (rc != 0) {
        w->err = rc;
        cq_diag_set(w->diag, rc, w->out->len, "X12 output over its cap");
    }
    return rc;
}

int
cq_x12_out_seg(cq_x12_out_t *w, const char *id, int n, ...)
{
    if (w->err)
        return w->err;
    const char *el[CQ_X12_MAX_ELEMENTS];
    assert(n >= 0 && n <= CQ_X12_MAX_ELEMENTS);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        el[i] = va_arg(ap, const char *);
    va_end(ap);
    while (n > 0 && (el[n - 1] == NULL || el[n - 1][0] == '\0'))
        n--;
    //  Build in a small stack buffer, then one append.
    char tmp[CQ_X12_MAX_SEGMENT_LEN];
    size_t k = strlen(id);
    assert(k < 4);
    memcpy(tmp, id, k);
    for (int i = 0; i < n; i++) {
        const char *v = el[i] ? el[i] : "";
        size_t vl = strlen(v);
        if (k + 1 + vl + 2 >= sizeof tmp) {
            w->err = CQ_ETOOBIG;
            cq_diag_set(w->diag, CQ_ETOOBIG, w->out->len,
                        "%s: segment longer than the X12 cap", id);
            return w->err;
        }
        tmp[k++] = w->seps.element;
        memcpy(tmp + k, v, vl);
        k += vl;
    }
    tmp[k++] = w->seps.segment;
    if (w->newline && w->seps.segment != '\n')
        tmp[k++] = '\n';
    int rc = s_add(w, tmp, k);
    if (rc == 0)
        w->segments++;
    return rc;
}

bool
cq_x12_out_ok(const cq_x12_out_t *w, unsigned char c)
{
    return c != (unsigned char)w->seps.element &&
           c != (unsigned char)w->seps.component &&
           c != (unsigned char)w->seps.segment &&
           c != (unsigned char)w->seps.repetition && c >= 0x20;
}

void
cq_x12_out_clean(const cq_x12_out_t *w, char *dst, size_t n, const char *src,
                 char repl)
{
    size_t k = 0;
    for (; *src && k + 1 < n; src++)
        dst[k++] = cq_x12_out_ok(w, (unsigned char)*src) ? *src : repl;
    dst[k] = '\0';
}

int
cq_x12_out_check(cq_x12_out_t *w, const char *field, const char *value)
{
    if (w->err)
        return w->err;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (!cq_x12_out_ok(w, *p)) {
            w->err = CQ_EINVAL;
            cq_diag_set(w->diag, CQ_EINVAL, 0,
                        "%s: holds an X12 delimiter or control character",
                        field);
            return CQ_EINVAL;
        }
    }
    return 0;
}

static void
s_pad(char *dst, const char *src, size_t width)
{
    size_t n = strlen(src);
    if (n > width)
        n = width;
    memcpy(dst, src, n);
    memset(dst + n, ' ', width - n);
    dst[width] = '\0';
}

int
cq_x12_out_isa(cq_x12_out_t *w, uint32_t control)
{
    char s5[3], s6[16], s7[3], s8[16], ctl[10],
        rep[2] = {w->seps.repetition, 0};
    char comp[2] = {w->seps.component, 0}, usage[2] = {w->usage, 0};
    s_pad(s5, w->sender_qual, 2);
    s_pad(s6, w->sender, 15);
    s_pad(s7, w->receiver_qual, 2);
    s_pad(s8, w->receiver, 15);
    snprintf(ctl, sizeof ctl, "%09u", (unsigned)(control % 1000000000u));
    return cq_x12_out_seg(w, "ISA", 16, "00", "          ", "00", "          ",
                          s5, s6, s7, s8, w->date8 + 2, w->hhmm, rep, "00501",
                          ctl, "0", usage, comp);
}

int
cq_x12_out_iea(cq_x12_out_t *w, uint32_t n_groups, uint32_t control)
{
    char n[12], ctl[10];
    snprintf(n, sizeof n, "%u", (unsigned)n_groups);
    snprintf(ctl, sizeof ctl, "%09u", (unsigned)(control % 1000000000u));
    return cq_x12_out_seg(w, "IEA", 2, n, ctl);
}

int
cq_x12_out_gs(cq_x12_out_t *w, const char *gs01, uint32_t control,
              const char *version)
{
    char ctl[12];
    snprintf(ctl, sizeof ctl, "%u", (unsigned)(control % 1000000000u));
    return cq_x12_out_seg(w, "GS", 8, gs01, w->sender, w->receiver, w->date8,
                          w->hhmm, ctl, "X", version);
}

int
cq_x12_out_ge(cq_x12_out_t *w, uint32_t n_sets, uint32_t control)
{
    char n[12], ctl[12];
    snprintf(n, sizeof n, "%u", (unsigned)n_sets);
    snprintf(ctl, sizeof ctl, "%u", (unsigned)(control % 1000000000u));
    return cq_x12_out_seg(w, "GE", 2, n, ctl);
}

// ------------------------------------------------- shared by the writers

void
cq_x12_bare_claim(const cq_decision_t *d, cq_claim_t *c)
{
    cq_claim_init(c);
    cq_strncpy_n(c->claim_id, sizeof c->claim_id, d->claim_id,
                 strnlen(d->claim_id, sizeof d->claim_id - 1));
    cq_strncpy_n(c->payer_id, sizeof c->payer_id, d->payer_id,
                 strnlen(d->payer_id, sizeof d->payer_id - 1));
    cq_strncpy_n(c->billing_npi, sizeof c->billing_npi, d->billing_npi,
                 strnlen(d->billing_npi, sizeof d->billing_npi - 1));
    c->frequency = d->frequency ? d->frequency : '1';
    c->total_charge = d->billed;
}

uint32_t
cq_x12_chain(size_t n, const bool *skip, cq_x12_key_fn *key, void *arg,
             uint32_t *first, uint32_t *next)
{
    uint32_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    uint64_t *hs = cq_xcalloc(cap, sizeof *hs);
    uint32_t *gi = cq_xcalloc(cap, sizeof *gi);
    uint32_t *last = cq_xcalloc(n + 1, sizeof *last);
    uint32_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        next[i] = UINT32_MAX;
        if (skip && skip[i])
            continue;
        char k[2 * CQ_ID_LEN + 16];
        size_t kn = key(arg, i, k, sizeof k);
        uint64_t h = cq_hash64(k, kn, 835) | 1;
        uint32_t j = (uint32_t)h & (cap - 1);
        uint32_t g = UINT32_MAX;
        while (hs[j]) {
            if (hs[j] == h) {
                g = gi[j];
                break;
            }
            j = (j + 1) & (cap - 1);
        }
        if (g == UINT32_MAX) {
            g = ng++;
            hs[j] = h;
            gi[j] = g;
            first[g] = (uint32_t)i;
        } else {
            next[last[g]] = (uint32_t)i;
        }
        last[g] = (uint32_t)i;
    }
    free(hs);
    free(gi);
    free(last);
    return ng;
}
