//  roster.c: member roster, JSON Lines or CSV (RFC 4180) -> hash table by
//  (payer_id, member_id). Both formats go through one row checker, so the
//  same column rules and messages apply to both.
#include "roster.h"
#include "claim.h"
#include "date.h"
#include "mem.h"
#include "tab.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    F_MEMBER,
    F_PAYER,
    F_PLAN,
    F_LAST,
    F_FIRST,
    F_BIRTH,
    F_SEX,
    F_START,
    F_END,
    F_N
};

static const char *const s_names[F_N] = {
    "member_id",  "payer_id", "plan_id",        "last_name",   "first_name",
    "birth_date", "sex",      "coverage_start", "coverage_end"};
static const bool s_required[F_N] = {true, true,  true, true, false,
                                     true, false, true, false};
static const size_t s_maxlen[F_N] = {39, 39, 39, 63, 63, 10, 1, 10, 10};

#define S_MAX_COLUMNS 64

//  One field of a record as found in the file.
typedef struct {
    const char *p; // value (not NUL-terminated), or NULL when absent/null
    size_t n;      // length
    uint32_t col;  // 1-based column where it starts, for messages
} s_field_t;

//  A row before members are grouped.
typedef struct {
    cq_coverage_t cov; // the coverage period
    uint32_t member;   // index into members
    uint32_t next;     // next row of the same member, UINT32_MAX = none
} s_row_t;

struct cq_roster {
    cq_arena_t arena;     // strings while loading
    char *blocks;         // the members, once loaded: per member one block
                          // [cq_member_t][its cq_coverage_t rows][strings]
                          // so that a lookup touches one place
    cq_member_t **list;   // member i's block
    cq_member_t *members; // members while loading
    size_t n_members;
    size_t cap_members;
    uint32_t *tail;  // per member: last row (while loading)
    uint32_t *head;  // per member: first row (while loading)
    cq_htab_t index; // hash("payer\0member_id") -> member index while
                     // loading, then block offset / 8
    size_t n_rows;
    s_row_t *rows; // rows while loading
    size_t cap_rows;
};

typedef struct {
    const char *name; // file name
    cq_diag_t *diag;
    int err;
} s_ctx_t;

static int s_fail(s_ctx_t *ctx, uint32_t line, uint32_t col, const char *fmt,
                  ...) CQ_PRINTF(4, 5);

static int
s_fail(s_ctx_t *ctx, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (ctx->err)
        return ctx->err;
    ctx->err = CQ_EPROTO;
    char why[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    cq_diag_set(ctx->diag, CQ_EPROTO, line, "%s:%u:%u: %s", ctx->name, line,
                col, why);
    return ctx->err;
}

//  A member's key: "payer\0member_id" (the way members store their ids,
//  contiguous, so that one comparison checks both). Returns its length.
static size_t
s_probe(char *out, const char *payer, size_t np, const char *member, size_t nm)
{
    memcpy(out, payer, np);
    out[np] = '\0';
    memcpy(out + np + 1, member, nm);
    out[np + 1 + nm] = '\0';
    return np + 1 + nm;
}

//  While loading: the member's index, or -1.
static int
s_find(const cq_roster_t *r, const char *probe, size_t n, uint64_t h)
{
    for (size_t i = cq_htab_first(&r->index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&r->index, h, i)) {
        const cq_member_t *m = &r->members[r->index.slots[i].v];
        if (memcmp(m->payer_id, probe, n + 1) == 0)
            return (int)r->index.slots[i].v;
    }
    return -1;
}

static int
s_date(s_ctx_t *ctx, uint32_t line, const s_field_t *f, int k, int32_t *out)
{
    if (cq_date_parse(f->p, f->n, out) != 0)
        return s_fail(ctx, line, f->col, "%s: not a date (YYYY-MM-DD)",
                      s_names[k]);
    return 0;
}

//  Checks one record and adds it as a row.
static int
s_add(cq_roster_t *r, s_ctx_t *ctx, uint32_t line, uint32_t line_col,
      s_field_t f[F_N])
{
    for (int k = 0; k < F_N; k++) {
        uint32_t col = f[k].col ? f[k].col : line_col;
        bool empty = f[k].p == NULL || f[k].n == 0;
        if (empty && s_required[k])
            return s_fail(ctx, line, col, "%s: missing (required)", s_names[k]);
        if (!empty && f[k].n > s_maxlen[k])
            return s_fail(ctx, line, col, "%s: longer than %zu characters",
                          s_names[k], s_maxlen[k]);
        if (!empty && memchr(f[k].p, '\0', f[k].n) != NULL)
            return s_fail(ctx, line, col, "%s: contains a NUL byte",
                          s_names[k]);
    }
    cq_coverage_t c;
    memset(&c, 0, sizeof c);
    c.line = line;
    c.plan = -1;
    c.end = CQ_DATE_NONE;
    if (s_date(ctx, line, &f[F_BIRTH], F_BIRTH, &c.birth_date) ||
        s_date(ctx, line, &f[F_START], F_START, &c.start))
        return ctx->err;
    if (f[F_END].p != NULL && f[F_END].n > 0) {
        if (s_date(ctx, line, &f[F_END], F_END, &c.end))
            return ctx->err;
        if (c.end < c.start)
            return s_fail(ctx, line, f[F_END].col,
                          "coverage_end: before coverage_start");
    }
    if (f[F_SEX].p != NULL && f[F_SEX].n > 0) {
        char s = (char)toupper((unsigned char)f[F_SEX].p[0]);
        if (s != 'F' && s != 'M' && s != 'U')
            return s_fail(ctx, line, f[F_SEX].col, "sex: expected F, M or U");
        c.sex = s;
    }
    c.plan_id = cq_arena_strndup(&r->arena, f[F_PLAN].p, f[F_PLAN].n);
    char *last = cq_arena_strndup(&r->arena, f[F_LAST].p, f[F_LAST].n);
    for (char *q = last; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    c.last_name = last;
    c.first_name = f[F_FIRST].p
                       ? cq_arena_strndup(&r->arena, f[F_FIRST].p, f[F_FIRST].n)
                       : "";

    char probe[2 * CQ_ID_LEN + 2];
    size_t pn = s_probe(probe, f[F_PAYER].p, f[F_PAYER].n, f[F_MEMBER].p,
                        f[F_MEMBER].n);
    uint64_t h = cq_htab_fix(cq_strhash(probe, pn));
    int m = s_find(r, probe, pn, h);
    if (r->n_rows >= UINT32_MAX - 1)
        return s_fail(ctx, line, 1, "too many rows");
    uint32_t ri = (uint32_t)r->n_rows;
    if (m < 0) {
        if (r->n_members == r->cap_members) {
            r->cap_members = r->cap_members ? r->cap_members * 2 : 1024;
            r->members =
                cq_xrealloc(r->members, r->cap_members * sizeof *r->members);
            r->head = cq_xrealloc(r->head, r->cap_members * sizeof *r->head);
            r->tail = cq_xrealloc(r->tail, r->cap_members * sizeof *r->tail);
        }
        m = (int)r->n_members++;
        cq_member_t *mm = &r->members[m];
        char *ids = cq_arena_alloc(&r->arena, pn + 1);
        memcpy(ids, probe, pn + 1);
        mm->payer_id = ids;
        mm->member_id = ids + f[F_PAYER].n + 1;
        mm->cov = NULL;
        mm->n_cov = 0;
        r->head[m] = ri;
        r->tail[m] = ri;
        cq_htab_add(&r->index, h, (uint32_t)m);
    } else {
        r->rows[r->tail[m]].next = ri;
        r->tail[m] = ri;
    }
    if (r->n_rows == r->cap_rows) {
        r->cap_rows = r->cap_rows ? r->cap_rows * 2 : 1024;
        r->rows = cq_xrealloc(r->rows, r->cap_rows * sizeof *r->rows);
    }
    s_row_t *row = &r->rows[r->n_rows++];
    row->cov = c;
    row->member = (uint32_t)m;
    row->next = UINT32_MAX;
    r->members[m].n_cov++;
    return 0;
}

//  ---- JSON Lines ----------------------------------------------------------

//  1-based column of "key" in the line, or 1 when not found.
static uint32_t
s_key_col(const char *line, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= n; i++)
        if (line[i] == '"' && memcmp(line + i + 1, key, kl) == 0 &&
            line[i + 1 + kl] == '"')
            return (uint32_t)(i + 1);
    return 1;
}

static int
s_jsonl_record(cq_roster_t *r, s_ctx_t *ctx, const char *p, size_t n,
               uint32_t line)
{
    json_error_t jerr;
    json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return s_fail(ctx, line, (uint32_t)(jerr.column > 0 ? jerr.column : 1),
                      "not valid JSON: %s", jerr.text);
    if (!json_is_object(o)) {
        json_decref(o);
        return s_fail(ctx, line, 1, "expected a JSON object per line");
    }
    s_field_t f[F_N];
    memset(f, 0, sizeof f);
    for (int k = 0; k < F_N; k++) {
        json_t *v = json_object_get(o, s_names[k]);
        f[k].col = s_key_col(p, n, s_names[k]);
        if (v == NULL || json_is_null(v))
            continue;
        if (!json_is_string(v)) {
            json_decref(o);
            return s_fail(ctx, line, f[k].col, "%s: expected a string%s",
                          s_names[k], s_required[k] ? "" : " or null");
        }
        f[k].p = json_string_value(v);
        f[k].n = json_string_length(v);
    }
    int rc = s_add(r, ctx, line, 1, f);
    json_decref(o);
    return rc;
}

static int
s_jsonl(cq_roster_t *r, s_ctx_t *ctx, const char *buf, size_t len)
{
    uint32_t line = 0;
    size_t i = 0;
    while (i < len) {
        line++;
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t n = end - i;
        const char *p = buf + i;
        i = end + 1;
        if (n > CQ_ROSTER_MAX_LINE)
            return s_fail(ctx, line, 1, "line longer than %u bytes",
                          CQ_ROSTER_MAX_LINE);
        if (line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            n -= 3;
        }
        size_t k = 0;
        while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
            k++;
        if (k == n)
            continue; // blank line
        if (s_jsonl_record(r, ctx, p, n, line) != 0)
            return ctx->err;
    }
    return 0;
}

//  ---- CSV (RFC 4180) ------------------------------------------------------

typedef struct {
    const char *buf, *end;     // input
    const char *pos;           // next byte
    uint32_t line;             // current line (1-based)
    const char *line_start;    // first byte of the current line
    cq_buf_t text;             // unescaped fields of the current record
    size_t off[S_MAX_COLUMNS]; // field start offsets in text
    size_t len[S_MAX_COLUMNS];
    uint32_t col[S_MAX_COLUMNS];
    uint32_t rec_line; // line where the record starts
    int n;             // fields in the record
} s_csv_t;

//  Reads one record; returns 1 when read, 0 at end of input, or an error.
static int
s_csv_record(s_csv_t *c, s_ctx_t *ctx)
{
    cq_buf_reset(&c->text);
    c->n = 0;
    //  skip blank lines between records
    while (c->pos < c->end && (*c->pos == '\n' || *c->pos == '\r')) {
        if (*c->pos == '\n') {
            c->line++;
            c->line_start = c->pos + 1;
        }
        c->pos++;
    }
    if (c->pos >= c->end)
        return 0;
    c->rec_line = c->line;
    const char *rec_start = c->pos;
    for (;;) {
        if (c->n == S_MAX_COLUMNS)
            return s_fail(ctx, c->line, (uint32_t)(c->pos - c->line_start + 1),
                          "more than %d columns", S_MAX_COLUMNS);
        if ((size_t)(c->pos - rec_start) > CQ_ROSTER_MAX_LINE)
            return s_fail(ctx, c->rec_line, 1, "record longer than %u bytes",
                          CQ_ROSTER_MAX_LINE);
        int k = c->n++;
        c->off[k] = c->text.len;
        c->col[k] = (uint32_t)(c->pos - c->line_start + 1);
        if (c->pos < c->end && *c->pos == '"') {
            uint32_t qline = c->line, qcol = c->col[k];
            c->pos++;
            for (;;) {
                if (c->pos >= c->end)
                    return s_fail(ctx, qline, qcol,
                                  "quoted field is not closed");
                char ch = *c->pos++;
                if (ch == '"') {
                    if (c->pos < c->end && *c->pos == '"') {
                        c->pos++;
                    } else {
                        break;
                    }
                } else if (ch == '\n') {
                    c->line++;
                    c->line_start = c->pos;
                }
                if (cq_buf_add(&c->text, &ch, 1) != 0)
                    return s_fail(ctx, c->rec_line, 1,
                                  "record longer than %u bytes",
                                  CQ_ROSTER_MAX_LINE);
            }
            if (c->pos < c->end && *c->pos != ',' && *c->pos != '\n' &&
                *c->pos != '\r')
                return s_fail(ctx, c->line,
                              (uint32_t)(c->pos - c->line_start + 1),
                              "unexpected character after a quoted field");
        } else {
            const char *s = c->pos;
            while (c->pos < c->end && *c->pos != ',' && *c->pos != '\n' &&
                   *c->pos != '\r') {
                if (*c->pos == '"')
                    return s_fail(ctx, c->line,
                                  (uint32_t)(c->pos - c->line_start + 1),
                                  "quote inside an unquoted field");
                c->pos++;
            }
            if (cq_buf_add(&c->text, s, (size_t)(c->pos - s)) != 0)
                return s_fail(ctx, c->rec_line, 1,
                              "record longer than %u bytes",
                              CQ_ROSTER_MAX_LINE);
        }
        c->len[k] = c->text.len - c->off[k];
        if (c->pos < c->end && *c->pos == ',') {
            c->pos++;
            continue;
        }
        //  end of record: CRLF, LF, lone CR or end of input
        if (c->pos < c->end && *c->pos == '\r')
            c->pos++;
        if (c->pos < c->end && *c->pos == '\n') {
            c->pos++;
            c->line++;
            c->line_start = c->pos;
        }
        return 1;
    }
}

static int
s_csv(cq_roster_t *r, s_ctx_t *ctx, const char *buf, size_t len)
{
    s_csv_t c;
    memset(&c, 0, sizeof c);
    c.buf = buf;
    c.end = buf + len;
    c.pos = buf;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        c.pos += 3;
    c.line = 1;
    c.line_start = c.pos;
    cq_buf_init(&c.text, CQ_ROSTER_MAX_LINE + 1);
    int rc = s_csv_record(&c, ctx);
    if (rc <= 0) {
        cq_buf_free(&c.text);
        return rc < 0 ? rc : s_fail(ctx, 1, 1, "empty roster: no header row");
    }
    int map[F_N]; // column index of each field, -1 absent
    for (int k = 0; k < F_N; k++)
        map[k] = -1;
    for (int i = 0; i < c.n; i++) {
        const char *h = c.text.data ? c.text.data + c.off[i] : "";
        for (int k = 0; k < F_N; k++) {
            if (c.len[i] == strlen(s_names[k]) &&
                memcmp(h, s_names[k], c.len[i]) == 0) {
                if (map[k] >= 0) {
                    cq_buf_free(&c.text);
                    return s_fail(ctx, c.rec_line, c.col[i],
                                  "header: column %s appears twice",
                                  s_names[k]);
                }
                map[k] = i;
            }
        }
    }
    for (int k = 0; k < F_N; k++)
        if (map[k] < 0 && s_required[k]) {
            cq_buf_free(&c.text);
            return s_fail(ctx, c.rec_line, 1,
                          "header: required column %s is missing", s_names[k]);
        }
    int ncols = c.n;
    while ((rc = s_csv_record(&c, ctx)) == 1) {
        if (c.n != ncols) {
            rc = s_fail(ctx, c.rec_line, c.col[c.n - 1],
                        "%d fields, but the header has %d", c.n, ncols);
            break;
        }
        s_field_t f[F_N];
        memset(f, 0, sizeof f);
        for (int k = 0; k < F_N; k++) {
            if (map[k] < 0)
                continue;
            f[k].p = c.text.data + c.off[map[k]];
            f[k].n = c.len[map[k]];
            f[k].col = c.col[map[k]];
        }
        if ((rc = s_add(r, ctx, c.rec_line, 1, f)) != 0)
            break;
    }
    cq_buf_free(&c.text);
    return rc < 0 ? rc : 0;
}

//  ---- building ------------------------------------------------------------

static size_t
s_align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static size_t
s_strsize(const char *s)
{
    return strlen(s) + 1;
}

static char *
s_put(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = *at;
    memcpy(p, s, n);
    *at += n;
    return p;
}

//  Lays the members out in blocks (file order of rows within a member)
//  and points the index at the blocks: index values become block offsets
//  in units of 8 bytes.
static void
s_group(cq_roster_t *r)
{
    size_t total = 0;
    for (size_t m = 0; m < r->n_members; m++) {
        const cq_member_t *mm = &r->members[m];
        size_t sz = sizeof(cq_member_t) + mm->n_cov * sizeof(cq_coverage_t);
        sz += strlen(mm->payer_id) + 1 + strlen(mm->member_id) + 1;
        for (uint32_t i = r->head[m]; i != UINT32_MAX; i = r->rows[i].next) {
            const cq_coverage_t *c = &r->rows[i].cov;
            sz += s_strsize(c->plan_id) + s_strsize(c->last_name) +
                  s_strsize(c->first_name);
        }
        total += s_align8(sz);
    }
    r->blocks = cq_xmalloc(total ? total : 8);
    r->list = cq_xmalloc((r->n_members ? r->n_members : 1) * sizeof *r->list);
    size_t at = 0;
    for (size_t m = 0; m < r->n_members; m++) {
        const cq_member_t *old = &r->members[m];
        cq_member_t *mm = (cq_member_t *)(void *)(r->blocks + at);
        cq_coverage_t *cov = (cq_coverage_t *)(mm + 1);
        char *str = (char *)(cov + old->n_cov);
        mm->n_cov = old->n_cov;
        mm->cov = cov;
        mm->user = UINT32_MAX;
        mm->user2 = UINT32_MAX;
        mm->user_bits = 0;
        //  "payer\0member_id", contiguous, as s_find compares them
        mm->payer_id = s_put(&str, old->payer_id);
        mm->member_id = s_put(&str, old->member_id);
        uint32_t k = 0;
        for (uint32_t i = r->head[m]; i != UINT32_MAX; i = r->rows[i].next) {
            cov[k] = r->rows[i].cov;
            cov[k].plan_id = s_put(&str, cov[k].plan_id);
            cov[k].last_name = s_put(&str, cov[k].last_name);
            cov[k].first_name = s_put(&str, cov[k].first_name);
            k++;
        }
        r->list[m] = mm;
        at = s_align8((size_t)(str - r->blocks));
    }
    for (size_t i = 0; i <= r->index.mask; i++)
        if (r->index.slots[i].h != 0)
            r->index.slots[i].v =
                (uint32_t)(((char *)r->list[r->index.slots[i].v] - r->blocks) /
                           8);
    free(r->rows);
    free(r->head);
    free(r->tail);
    free(r->members);
    r->rows = NULL;
    r->head = r->tail = NULL;
    r->members = NULL;
    cq_arena_free(&r->arena);
}

cq_roster_t *
cq_roster_parse(const char *buf, size_t len, const char *name, cq_diag_t *diag)
{
    s_ctx_t ctx = {name, diag, 0};
    if (len > CQ_ROSTER_MAX_FILE) {
        cq_diag_set(diag, CQ_ETOOBIG, 0, "%s: roster over %u MiB", name,
                    CQ_ROSTER_MAX_FILE >> 20);
        return NULL;
    }
    cq_roster_t *r = cq_xcalloc(1, sizeof *r);
    cq_arena_init(&r->arena);
    cq_htab_init(&r->index, len / 128 + 16);
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
                       buf[i] == '\n'))
        i++;
    if (i < len && buf[i] == '{')
        s_jsonl(r, &ctx, buf, len);
    else
        s_csv(r, &ctx, buf, len);
    if (ctx.err == 0 && r->n_rows == 0)
        s_fail(&ctx, 1, 1, "no members");
    if (ctx.err) {
        cq_roster_destroy(&r);
        return NULL;
    }
    s_group(r);
    return r;
}

cq_roster_t *
cq_roster_load(const char *path, cq_diag_t *diag)
{
    char *buf;
    size_t len;
    int rc = cq_read_file(path, CQ_ROSTER_MAX_FILE, &buf, &len);
    if (rc == CQ_ETOOBIG) {
        cq_diag_set(diag, rc, 0, "%s: roster over %u MiB", path,
                    CQ_ROSTER_MAX_FILE >> 20);
        return NULL;
    }
    if (rc != 0) {
        cq_diag_set(diag, rc, 0, "%s: cannot read roster: %s", path,
                    strerror(errno));
        return NULL;
    }
    cq_roster_t *r = cq_roster_parse(buf, len, path, diag);
    free(buf);
    return r;
}

void
cq_roster_destroy(cq_roster_t **self_p)
{
    assert(self_p);
    cq_roster_t *r = *self_p;
    if (r == NULL)
        return;
    cq_arena_free(&r->arena);
    cq_htab_free(&r->index);
    free(r->members);
    free(r->blocks);
    free(r->list);
    free(r->rows);
    free(r->head);
    free(r->tail);
    free(r);
    *self_p = NULL;
}

cq_member_t *
cq_roster_find(cq_roster_t *self, const char *payer_id, const char *member_id)
{
    size_t np = strnlen(payer_id, CQ_ID_LEN),
           nm = strnlen(member_id, CQ_ID_LEN);
    if (np >= CQ_ID_LEN || nm >= CQ_ID_LEN)
        return NULL;
    char probe[2 * CQ_ID_LEN + 2];
    size_t n = s_probe(probe, payer_id, np, member_id, nm);
    uint64_t h = cq_htab_fix(cq_strhash(probe, n));
    for (size_t i = cq_htab_first(&self->index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&self->index, h, i)) {
        cq_member_t *m =
            (cq_member_t *)(void *)(self->blocks +
                                    (size_t)self->index.slots[i].v * 8);
        if (memcmp(m->payer_id, probe, n + 1) == 0)
            return m;
    }
    return NULL;
}

void
cq_roster_prefetch(const cq_roster_t *self, const char *payer_id,
                   const char *member_id)
{
    size_t np = strnlen(payer_id, CQ_ID_LEN),
           nm = strnlen(member_id, CQ_ID_LEN);
    if (np >= CQ_ID_LEN || nm >= CQ_ID_LEN)
        return;
    char probe[2 * CQ_ID_LEN + 2];
    size_t n = s_probe(probe, payer_id, np, member_id, nm);
    uint64_t h = cq_htab_fix(cq_strhash(probe, n));
    __builtin_prefetch(cq_htab_home(&self->index, h));
}

void
cq_roster_prefetch_block(const cq_roster_t *self, const char *payer_id,
                         const char *member_id)
{
    size_t np = strnlen(payer_id, CQ_ID_LEN),
           nm = strnlen(member_id, CQ_ID_LEN);
    if (np >= CQ_ID_LEN || nm >= CQ_ID_LEN)
        return;
    char probe[2 * CQ_ID_LEN + 2];
    size_t n = s_probe(probe, payer_id, np, member_id, nm);
    uint64_t h = cq_htab_fix(cq_strhash(probe, n));
    size_t i = cq_htab_first(&self->index, h);
    if (i != CQ_HTAB_END) {
        const char *b = self->blocks + (size_t)self->index.slots[i].v * 8;
        __builtin_prefetch(b);
        __builtin_prefetch(b + 64);
    }
}

size_t
cq_roster_members(const cq_roster_t *self)
{
    return self->n_members;
}

size_t
cq_roster_rows(const cq_roster_t *self)
{
    return self->n_rows;
}

cq_member_t *
cq_roster_member_at(cq_roster_t *self, size_t i)
{
    assert(i < self->n_members);
    return self->list[i];
}
