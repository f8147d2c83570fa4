//  capture.c: capture files (capture.h): a checksummed record stream that
//  survives being cut short, and a reader that says where it is damaged
//  and goes on after the damage.
#include "capture.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const uint8_t s_magic[8] = {'C', 'Q', 'C', 'A', 'P', 'T', 'U', 'R'};

//  ---- CRC-32C ---------------------------------------------------------------

static uint32_t s_crc_table[256];
static bool s_crc_ready;

static void
s_crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        s_crc_table[i] = c;
    }
    s_crc_ready = true;
}

uint32_t
cq_crc32c(uint32_t crc, const void *p, size_t n)
{
    if (!s_crc_ready)
        s_crc_init(); // (idempotent: a race writes the same table)
    const uint8_t *b = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = s_crc_table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

//  ---- little-endian fields
//  ----------------------------------------------------

static uint32_t
s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t
s_get64(const uint8_t *p)
{
    return (uint64_t)s_get32(p) | (uint64_t)s_get32(p + 4) << 32;
}

static void
s_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void
s_put64(uint8_t *p, uint64_t v)
{
    s_put32(p, (uint32_t)v);
    s_put32(p + 4, (uint32_t)(v >> 32));
}

//  ---- reading ---------------------------------------------------------------

int
cq_cap_begin(cq_cap_reader_t *r, const uint8_t *buf, size_t len,
             cq_diag_t *diag)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
    if (len < CQ_CAP_HEADER_LEN || memcmp(buf, s_magic, 8) != 0)
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "not a claimq capture (no CQCAPTUR header)");
    if (s_get32(buf + 28) != cq_crc32c(0, buf, 28))
        return cq_diag_set(diag, CQ_EPROTO, 0,
                           "capture header damaged (checksum)");
    r->head.version = (uint32_t)buf[8] | (uint32_t)buf[9] << 8;
    uint32_t hlen = (uint32_t)buf[10] | (uint32_t)buf[11] << 8;
    if (r->head.version > CQ_CAP_VERSION)
        return cq_diag_set(diag, CQ_EUNSUPPORTED, 8,
                           "capture version %u is newer than this claimq "
                           "reads (%u)",
                           r->head.version, CQ_CAP_VERSION);
    if (r->head.version == 0 || hlen != CQ_CAP_HEADER_LEN)
        return cq_diag_set(diag, CQ_EPROTO, 8,
                           "capture header: version %u, length %u",
                           r->head.version, hlen);
    r->head.seq = s_get32(buf + 12);
    r->head.created_ms = (int64_t)s_get64(buf + 16);
    r->at = CQ_CAP_HEADER_LEN;
    return 0;
}

//  A body being parsed.
typedef struct {
    const uint8_t *p;
    size_t n, at;
    bool bad;
} s_body_t;

static const uint8_t *
s_take(s_body_t *b, size_t n)
{
    if (b->bad || n > b->n - b->at) {
        b->bad = true;
        return NULL;
    }
    const uint8_t *p = b->p + b->at;
    b->at += n;
    return p;
}

static uint32_t
s_u32(s_body_t *b)
{
    const uint8_t *p = s_take(b, 4);
    return p ? s_get32(p) : 0;
}

static uint8_t
s_u8(s_body_t *b)
{
    const uint8_t *p = s_take(b, 1);
    return p ? p[0] : 0;
}

static void
s_str(s_body_t *b, char *out, size_t cap)
{
    const uint8_t *p = s_take(b, 2);
    size_t n = p ? ((size_t)p[0] | (size_t)p[1] << 8) : 0;
    const uint8_t *s = s_take(b, n);
    if (s == NULL || n >= cap || memchr(s, 0, n) != NULL) {
        b->bad = true;
        out[0] = '\0';
        return;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static const char *
s_parse(const uint8_t *body, size_t n, cq_cap_rec_t *rec)
{
    s_body_t b = {body, n, 0, false};
    rec->type = s_u8(&b);
    const uint8_t *t = s_take(&b, 8);
    rec->t_ms = t ? (int64_t)s_get64(t) : 0;
    s_str(&b, rec->batch, sizeof rec->batch);
    s_str(&b, rec->tenant, sizeof rec->tenant);
    if (b.bad)
        return "record header";
    if (rec->type == CQ_CAP_DOC) {
        s_str(&b, rec->name, sizeof rec->name);
        rec->pos = s_u32(&b);
        rec->first_record = s_u32(&b);
        rec->received_date = (int32_t)s_u32(&b);
        rec->received_set = s_u8(&b) & 1;
        rec->format = s_u8(&b);
    } else if (rec->type == CQ_CAP_DECISION) {
        rec->name[0] = '\0';
        rec->pos = s_u32(&b);
        rec->index = s_u32(&b);
    } else {
        return "unknown record type";
    }
    uint32_t len = s_u32(&b);
    rec->data = s_take(&b, len);
    rec->len = len;
    if (b.bad)
        return rec->type == CQ_CAP_DOC ? "document record" : "decision record";
    if (b.at != n)
        return "bytes after the record's fields";
    if (rec->batch[0] == '\0')
        return "record without a batch";
    return NULL;
}

//  True when a good record starts at off (used to resynchronise).
static bool
s_good_at(const cq_cap_reader_t *r, size_t off)
{
    if (r->len - off < 12 || s_get32(r->buf + off) != CQ_CAP_SYNC)
        return false;
    uint32_t blen = s_get32(r->buf + off + 4);
    if (blen == 0 || blen > CQ_CAP_MAX_BODY || blen > r->len - off - 12)
        return false;
    return s_get32(r->buf + off + 8) == cq_crc32c(0, r->buf + off + 12, blen);
}

//  The offset of the first good record after off, or the end.
static size_t
s_next_good(const cq_cap_reader_t *r, size_t off)
{
    for (size_t x = off + 1; x + 12 <= r->len; x++)
        if (r->buf[x] == (uint8_t)CQ_CAP_SYNC && s_good_at(r, x))
            return x;
    return r->len;
}

//  Skips from a damaged record at off to the next good one (or the end).
static void
s_resync(cq_cap_reader_t *r, size_t off)
{
    r->corrupt++;
    r->at = s_next_good(r, off);
}

int
cq_cap_next(cq_cap_reader_t *r, cq_cap_rec_t *rec, cq_diag_t *diag)
{
    if (r->at >= r->len)
        return 0;
    size_t off = r->at;
    size_t left = r->len - off;
    memset(rec, 0, sizeof *rec);
    rec->offset = off;
    if (left < 12 || s_get32(r->buf + off) != CQ_CAP_SYNC) {
        if (left < 12 &&
            memcmp(r->buf + off, "QCQR", left < 4 ? left : 4) == 0) {
            r->truncated = true;
            r->at = r->len;
            cq_diag_set(diag, 0, off,
                        "capture cut short at offset %zu (%zu bytes of a "
                        "record header)",
                        off, left);
            return 0;
        }
        s_resync(r, off);
        return cq_diag_set(diag, CQ_EPROTO, off,
                           "capture damaged at offset %zu: no record starts "
                           "there; skipped %zu bytes",
                           off, r->at - off);
    }
    uint32_t blen = s_get32(r->buf + off + 4);
    if (blen == 0 || blen > CQ_CAP_MAX_BODY) {
        s_resync(r, off);
        return cq_diag_set(diag, CQ_EPROTO, off,
                           "capture damaged at offset %zu: record length %u "
                           "out of range; skipped %zu bytes",
                           off, blen, r->at - off);
    }
    if (blen > left - 12) {
        //  cut short, unless a good record follows (then this one is
        //  damaged, not the end)
        if (s_next_good(r, off) == r->len) {
            r->truncated = true;
            r->at = r->len;
            cq_diag_set(diag, 0, off,
                        "capture cut short at offset %zu (a record of %u "
                        "bytes, %zu there)",
                        off, blen, left - 12);
            return 0;
        }
        s_resync(r, off);
        return cq_diag_set(diag, CQ_EPROTO, off,
                           "capture damaged at offset %zu: record length %u "
                           "runs past the next record; skipped %zu bytes",
                           off, blen, r->at - off);
    }
    const uint8_t *body = r->buf + off + 12;
    if (s_get32(r->buf + off + 8) != cq_crc32c(0, body, blen)) {
        s_resync(r, off);
        return cq_diag_set(diag, CQ_EPROTO, off,
                           "capture damaged at offset %zu: record checksum "
                           "differs; skipped %zu bytes",
                           off, r->at - off);
    }
    const char *why = s_parse(body, blen, rec);
    if (why) {
        s_resync(r, off);
        return cq_diag_set(diag, CQ_EPROTO, off,
                           "capture damaged at offset %zu: %s malformed; "
                           "skipped %zu bytes",
                           off, why, r->at - off);
    }
    r->at = off + 12 + blen;
    return 1;
}

//  ---- writing ---------------------------------------------------------------

struct cq_cap_writer {
    char *path;
    int fd;
    uint64_t max_bytes;
    uint32_t keep;
    uint32_t seq;
    uint64_t file_bytes; // on disk in the current file
    uint8_t *buf;        // not yet written
    size_t n, cap;
    uint64_t records, bytes;
    uint32_t rotations;
    bool failed;
};

#define S_FLUSH_AT (1u << 20)

static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
s_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return CQ_EIO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

//  Opens (or creates) w->path as the current file.
static int
s_open_file(cq_cap_writer_t *w, cq_diag_t *diag)
{
    int fd = open(w->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", w->path, strerror(errno));
    struct stat st;
    if (fchmod(fd, 0600) != 0 || fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", w->path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cq_diag_set(diag, CQ_EIO, 0, "%s: not a regular file", w->path);
    }
    if (st.st_size == 0) {
        uint8_t h[CQ_CAP_HEADER_LEN] = {0};
        memcpy(h, s_magic, 8);
        h[8] = CQ_CAP_VERSION;
        h[10] = CQ_CAP_HEADER_LEN;
        s_put32(h + 12, w->seq);
        s_put64(h + 16, (uint64_t)s_wall_ms());
        s_put32(h + 28, cq_crc32c(0, h, 28));
        if (s_write_all(fd, h, sizeof h) != 0) {
            int e = errno;
            close(fd);
            return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", w->path, strerror(e));
        }
        w->file_bytes = CQ_CAP_HEADER_LEN;
    } else {
        uint8_t h[CQ_CAP_HEADER_LEN];
        cq_cap_reader_t r;
        cq_diag_t d = {0};
        if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
            cq_cap_begin(&r, h, sizeof h, &d) != 0) {
            close(fd);
            return cq_diag_set(diag, CQ_EPROTO, 0,
                               "%s exists and is not a claimq capture (%s); "
                               "give another file",
                               w->path, d.code ? d.msg : "too short");
        }
        w->seq = r.head.seq;
        w->file_bytes = (uint64_t)st.st_size;
    }
    w->fd = fd;
    return 0;
}

cq_cap_writer_t *
cq_cap_writer_open(const char *path, uint64_t max_bytes, uint32_t keep,
                   cq_diag_t *diag)
{
    cq_cap_writer_t *w = cq_xcalloc(1, sizeof *w);
    w->path = cq_xstrdup(path);
    w->max_bytes = max_bytes < 4096 ? 4096 : max_bytes;
    w->keep = keep < 1 ? 1 : keep;
    w->fd = -1;
    if (s_open_file(w, diag) != 0) {
        free(w->path);
        free(w);
        return NULL;
    }
    return w;
}

int
cq_cap_flush(cq_cap_writer_t *w)
{
    if (w->failed)
        return CQ_EIO;
    if (w->n == 0)
        return 0;
    if (s_write_all(w->fd, w->buf, w->n) != 0) {
        w->failed = true;
        return CQ_EIO;
    }
    w->file_bytes += w->n;
    w->n = 0;
    return 0;
}

//  path.K for K >= 1, path itself for 0.
static char *
s_rot_name(const cq_cap_writer_t *w, uint32_t k)
{
    size_t n = strlen(w->path) + 16;
    char *s = cq_xmalloc(n);
    if (k == 0)
        snprintf(s, n, "%s", w->path);
    else
        snprintf(s, n, "%s.%u", w->path, k);
    return s;
}

static int
s_rotate(cq_cap_writer_t *w)
{
    if (cq_cap_flush(w) != 0)
        return CQ_EIO;
    close(w->fd);
    w->fd = -1;
    //  path.(keep-1) goes; path.k becomes path.(k+1); path becomes path.1
    char *last = s_rot_name(w, w->keep - 1);
    if (w->keep > 1)
        unlink(last);
    free(last);
    for (uint32_t k = w->keep - 1; k >= 1; k--) {
        char *from = s_rot_name(w, k - 1), *to = s_rot_name(w, k);
        rename(from, to); // (absent ones: nothing to do)
        free(from);
        free(to);
    }
    if (w->keep == 1)
        unlink(w->path);
    w->seq++;
    w->rotations++;
    cq_diag_t d = {0};
    if (s_open_file(w, &d) != 0) {
        w->failed = true;
        return CQ_EIO;
    }
    return 0;
}

static void
s_add(cq_cap_writer_t *w, const void *p, size_t n)
{
    if (w->cap - w->n < n) {
        size_t cap = w->cap ? w->cap : 65536;
        while (cap - w->n < n)
            cap *= 2;
        w->buf = cq_xrealloc(w->buf, cap);
        w->cap = cap;
    }
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}

static void
s_add_str(cq_cap_writer_t *w, const char *s, size_t n)
{
    uint8_t l[2] = {(uint8_t)n, (uint8_t)(n >> 8)};
    s_add(w, l, 2);
    s_add(w, s, n);
}

static void
s_add32(cq_cap_writer_t *w, uint32_t v)
{
    uint8_t b[4];
    s_put32(b, v);
    s_add(w, b, 4);
}

int
cq_cap_write(cq_cap_writer_t *w, const cq_cap_rec_t *rec)
{
    if (w->failed)
        return CQ_EIO;
    size_t lb = strlen(rec->batch), lt = strlen(rec->tenant),
           ln = strlen(rec->name);
    if (lb == 0 || lb >= CQ_CAP_BATCH_LEN || lt >= CQ_CAP_TENANT_LEN ||
        ln >= CQ_CAP_NAME_LEN || rec->len > CQ_CAP_MAX_BODY - 4096 ||
        (rec->type != CQ_CAP_DOC && rec->type != CQ_CAP_DECISION))
        return CQ_ETOOBIG;
    size_t blen =
        1 + 8 + 2 + lb + 2 + lt + 4 + rec->len +
        (rec->type == CQ_CAP_DOC ? 2 + ln + 4 + 4 + 4 + 1 + 1 : 4 + 4);
    uint64_t pending = w->file_bytes + w->n;
    if (pending > CQ_CAP_HEADER_LEN && pending + 12 + blen > w->max_bytes &&
        s_rotate(w) != 0)
        return CQ_EIO;
    size_t at = w->n;
    uint8_t head[12] = {0};
    s_add(w, head, sizeof head); // filled in below
    uint8_t t = (uint8_t)rec->type;
    s_add(w, &t, 1);
    uint8_t tm[8];
    s_put64(tm, (uint64_t)rec->t_ms);
    s_add(w, tm, 8);
    s_add_str(w, rec->batch, lb);
    s_add_str(w, rec->tenant, lt);
    if (rec->type == CQ_CAP_DOC) {
        s_add_str(w, rec->name, ln);
        s_add32(w, rec->pos);
        s_add32(w, rec->first_record);
        s_add32(w, (uint32_t)rec->received_date);
        uint8_t fl[2] = {rec->received_set ? 1 : 0, rec->format};
        s_add(w, fl, 2);
    } else {
        s_add32(w, rec->pos);
        s_add32(w, rec->index);
    }
    s_add32(w, (uint32_t)rec->len);
    if (rec->len)
        s_add(w, rec->data, rec->len);
    uint8_t *h = w->buf + at;
    s_put32(h, CQ_CAP_SYNC);
    s_put32(h + 4, (uint32_t)blen);
    s_put32(h + 8, cq_crc32c(0, h + 12, blen));
    w->records++;
    w->bytes += 12 + blen;
    if (w->n >= S_FLUSH_AT)
        return cq_cap_flush(w);
    return 0;
}

void
cq_cap_writer_stats(const cq_cap_writer_t *w, uint64_t *records,
                    uint64_t *bytes, uint32_t *rotations)
{
    *records = w->records;
    *bytes = w->bytes;
    *rotations = w->rotations;
}

void
cq_cap_writer_close(cq_cap_writer_t **w_p)
{
    cq_cap_writer_t *w = *w_p;
    if (w == NULL)
        return;
    cq_cap_flush(w);
    if (w->fd >= 0)
        close(w->fd);
    free(w->buf);
    free(w->path);
    free(w);
    *w_p = NULL;
}
