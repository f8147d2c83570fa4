#include "submit.h"
#include "log.h"
#include "mem.h"
#include "table.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_SUBMIT_DOCS 64          // documents per SUBMIT
#define S_SUBMIT_BYTES (4u << 20) // bytes per SUBMIT (soft)
#define S_STALL_MS 2000           // silence before reading results back
#define S_FIRST_RECEIPT_MS 10000  // silence before "unreachable"

//  ---- documents ------------------------------------------------------------

void
cq_sdocs_init(cq_sdocs_t *d)
{
    memset(d, 0, sizeof *d);
}

void
cq_sdocs_free(cq_sdocs_t *d)
{
    for (size_t i = 0; i < d->n_maps; i++)
        munmap(d->maps[i], d->map_lens[i]);
    for (size_t i = 0; i < d->n_names; i++)
        free(d->names[i]);
    free(d->maps);
    free(d->map_lens);
    free(d->names);
    free(d->v);
    memset(d, 0, sizeof *d);
}

static const char *
s_own_name(cq_sdocs_t *d, const char *name)
{
    d->names = cq_xrealloc(d->names, (d->n_names + 1) * sizeof *d->names);
    char *copy = cq_xstrndup(name, strnlen(name, CQ_DOC_NAME_LEN - 1));
    d->names[d->n_names++] = copy;
    return copy;
}

static void
s_add(cq_sdocs_t *d, const char *name, const uint8_t *data, size_t len,
      uint32_t first_record)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->v = cq_xrealloc(d->v, d->cap * sizeof *d->v);
    }
    cq_sdoc_t *x = &d->v[d->n++];
    x->name = name;
    x->data = data;
    x->len = len;
    x->first_record = first_record;
}

void
cq_sdocs_add_mem(cq_sdocs_t *d, const char *name, const uint8_t *data,
                 size_t len, uint32_t first_record)
{
    s_add(d, s_own_name(d, name), data, len, first_record);
}

static bool
s_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool
s_blank(const uint8_t *p, const uint8_t *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return false;
    return true;
}

static int
s_add_file(cq_sdocs_t *d, const char *path, uint32_t chunk, cq_diag_t *diag)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", path, strerror(errno));
    }
    size_t len = (size_t)st.st_size;
    const uint8_t *data = (const uint8_t *)"";
    if (len > 0) {
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", path,
                               strerror(errno));
        }
        d->maps = cq_xrealloc(d->maps, (d->n_maps + 1) * sizeof *d->maps);
        d->map_lens =
            cq_xrealloc(d->map_lens, (d->n_maps + 1) * sizeof *d->map_lens);
        d->maps[d->n_maps] = m;
        d->map_lens[d->n_maps++] = len;
        data = m;
    }
    close(fd);
    const char *name = s_own_name(d, path);
    bool lines = s_ends_with(path, ".jsonl") || s_ends_with(path, ".ndjson");
    if (!lines || chunk == 0) {
        if (len > CQ_PROTO_MAX_FRAME)
            return cq_diag_set(diag, CQ_ETOOBIG, 0,
                               "%s: %zu bytes, over the %u-byte limit of a "
                               "document (send JSON Lines, which go in "
                               "pieces)",
                               path, len, CQ_PROTO_MAX_FRAME);
        s_add(d, name, data, len, 1);
        return 0;
    }
    //  JSON Lines: pieces of `chunk` records; record numbers count
    //  non-blank lines, as the JSON decoder does.
    const uint8_t *p = data, *end = data + len, *start = data;
    uint32_t rec = 0, in_piece = 0, first = 1;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *eol = nl ? nl : end;
        if (!s_blank(p, eol)) {
            rec++;
            in_piece++;
        }
        p = nl ? nl + 1 : end;
        if (in_piece == chunk ||
            (size_t)(p - start) >= CQ_PROTO_MAX_FRAME / 2) {
            s_add(d, name, start, (size_t)(p - start), first);
            start = p;
            first = rec + 1;
            in_piece = 0;
        }
    }
    if (p > start)
        s_add(d, name, start, (size_t)(p - start), first);
    return 0;
}

static int
s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cq_sdocs_add_path(cq_sdocs_t *d, const char *path, uint32_t chunk,
                  cq_diag_t *diag)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return s_add_file(d, path, chunk, diag);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = cq_xrealloc(names, (n + 1) * sizeof *names);
        size_t k = strlen(path) + strlen(e->d_name) + 2;
        names[n] = cq_xmalloc(k);
        snprintf(names[n], k, "%s%s%s", path, s_ends_with(path, "/") ? "" : "/",
                 e->d_name);
        n++;
    }
    closedir(dir);
    qsort(names, n, sizeof *names, s_cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            struct stat s2;
            if (stat(names[i], &s2) == 0 &&
                (S_ISDIR(s2.st_mode) || S_ISREG(s2.st_mode)))
                rc = cq_sdocs_add_path(d, names[i], chunk, diag);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

//  ---- the run ---------------------------------------------------------------

enum { S_UNSENT, S_SENT, S_RECEIPTED };

typedef struct {
    int state;     // S_*
    uint64_t id;   // broker document id, once receipted
    bool known;    // DOC_DONE seen: n_claims is known
    bool complete; // every claim answered
    uint32_t n_claims;
    uint32_t answered; // decisions (or failures) received
    uint8_t *seen;     // per claim: answered
    uint32_t seen_cap;
    double sent_at; // ms
} s_ldoc_t;

typedef struct {
    uint64_t req_id;
    size_t first; // local documents [first, first + n)
    uint32_t n;
} s_pending_t;

typedef struct {
    cq_bclient_t *c;
    const cq_sdocs_t *docs;
    const cq_submit_opts_t *o;
    cq_submit_result_t *res;
    s_ldoc_t *l;
    cq_u64map_t ids; // broker id -> local document
    s_pending_t *pend;
    size_t n_pend, cap_pend;
    size_t next; // next document to send
    size_t in_flight;
    size_t receipted;
    size_t known; // documents with DOC_DONE
    size_t completed;
    double t0;
    double last_progress;
    double last_msg;
    double last_print;
    cq_decision_t *d; // scratch
    bool tty;
} s_run_t;

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static bool
s_doc_done(const s_run_t *r, size_t i)
{
    const s_ldoc_t *x = &r->l[i];
    return r->o->wait ? x->complete : x->state == S_RECEIPTED;
}

static void
s_check_complete(s_run_t *r, size_t i)
{
    s_ldoc_t *x = &r->l[i];
    if (x->complete || !x->known || x->answered < x->n_claims)
        return;
    x->complete = true;
    r->completed++;
    if (r->o->wait && r->in_flight > 0)
        r->in_flight--;
    if (r->o->on_doc_complete)
        r->o->on_doc_complete(r->o->arg, i);
}

static void
s_answer(s_run_t *r, size_t i, uint32_t index, const cq_decision_t *d)
{
    s_ldoc_t *x = &r->l[i];
    //  Not a claim of this document (the index comes off the wire): a
    //  document has at most n_claims, and never more than its bytes.
    if ((x->known && index >= x->n_claims) || index >= r->docs->v[i].len) {
        cq_log_warn(NULL,
                    "decision for claim %u of document %zu dropped: "
                    "no such claim",
                    index, i);
        return;
    }
    if (index >= x->seen_cap) {
        uint32_t cap = x->seen_cap ? x->seen_cap : 64;
        while (cap <= index)
            cap *= 2;
        x->seen = cq_xrealloc(x->seen, cap);
        memset(x->seen + x->seen_cap, 0, cap - x->seen_cap);
        x->seen_cap = cap;
    }
    if (x->seen[index])
        return; // a replay of one we have
    x->seen[index] = 1;
    x->answered++;
    if (d)
        r->res->decided++;
    else
        r->res->failed++;
    r->last_progress = s_now();
    if (r->o->on_decision)
        r->o->on_decision(r->o->arg, i, index, d,
                          r->last_progress - x->sent_at);
    s_check_complete(r, i);
}

static void
s_doc_known(s_run_t *r, size_t i, uint32_t n_claims, int status,
            const char *message)
{
    s_ldoc_t *x = &r->l[i];
    if (x->known)
        return;
    x->known = true;
    x->n_claims = n_claims;
    r->known++;
    r->res->claims += n_claims;
    if (status < 0)
        r->res->docs_failed++;
    r->last_progress = s_now();
    if (r->o->on_doc)
        r->o->on_doc(r->o->arg, i, n_claims, status, message);
    s_check_complete(r, i);
}

static int
s_send_some(s_run_t *r)
{
    const cq_submit_opts_t *o = r->o;
    while (r->next < r->docs->n && r->in_flight < o->window) {
        cq_msg_submit_t *m = cq_xcalloc(1, sizeof *m);
        m->req_id = cq_bclient_next_id(r->c);
        cq_strlcpy(m->batch_id, o->batch_id, sizeof m->batch_id);
        zmq_msg_t parts[S_SUBMIT_DOCS];
        size_t bytes = 0;
        size_t first = r->next;
        while (r->next < r->docs->n && r->in_flight < o->window &&
               m->n_docs < S_SUBMIT_DOCS &&
               (m->n_docs == 0 ||
                bytes + r->docs->v[r->next].len <= S_SUBMIT_BYTES)) {
            const cq_sdoc_t *sd = &r->docs->v[r->next];
            cq_doc_ref_t *ref = &m->docs[m->n_docs];
            cq_strlcpy(ref->name, sd->name, sizeof ref->name);
            ref->first_record = sd->first_record;
            ref->size = sd->len;
            zmq_msg_init_size(&parts[m->n_docs], sd->len);
            if (sd->len)
                memcpy(zmq_msg_data(&parts[m->n_docs]), sd->data, sd->len);
            bytes += sd->len;
            r->l[r->next].state = S_SENT;
            r->l[r->next].sent_at = s_now();
            m->n_docs++;
            r->next++;
            r->in_flight++;
        }
        cq_mpw_t w;
        cq_mpw_init(&w);
        cq_proto_submit_encode(&w, m);
        int rc =
            cq_bclient_send(r->c, CQ_CMD_SUBMIT, &w, parts, (int)m->n_docs);
        for (uint32_t i = 0; i < m->n_docs; i++)
            zmq_msg_close(&parts[i]);
        cq_mpw_free(&w);
        if (r->n_pend == r->cap_pend) {
            r->cap_pend = r->cap_pend ? r->cap_pend * 2 : 16;
            r->pend = cq_xrealloc(r->pend, r->cap_pend * sizeof *r->pend);
        }
        r->pend[r->n_pend++] = (s_pending_t){m->req_id, first, m->n_docs};
        free(m);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int
s_on_receipt(s_run_t *r, const cq_wire_msg_t *in)
{
    cq_msg_receipt_t *m = cq_xmalloc(sizeof *m);
    if (cq_proto_receipt_decode(in->body, in->body_len, m, NULL) != 0) {
        free(m);
        return 0;
    }
    size_t k;
    for (k = 0; k < r->n_pend; k++)
        if (r->pend[k].req_id == m->req_id)
            break;
    if (k == r->n_pend) {
        free(m);
        return 0; // not ours
    }
    s_pending_t p = r->pend[k];
    r->pend[k] = r->pend[--r->n_pend];
    if (m->status != 0 || m->n_docs != p.n) {
        fprintf(stderr, "claimq: the broker refused the batch: %s\n",
                m->message[0] ? m->message : cq_strerror(m->status));
        free(m);
        return CQ_EPROTO;
    }
    if (!m->durable)
        r->res->durable = false;
    for (uint32_t i = 0; i < p.n; i++) {
        size_t li = p.first + i;
        r->l[li].state = S_RECEIPTED;
        r->l[li].id = m->doc_ids[i];
        cq_u64map_put(&r->ids, m->doc_ids[i], (uint32_t)li);
        r->receipted++;
        r->res->docs++;
        if (!r->o->wait && r->in_flight > 0)
            r->in_flight--;
    }
    r->last_progress = s_now();
    free(m);
    return 0;
}

static bool
s_local(s_run_t *r, uint64_t id, size_t *li)
{
    uint32_t v;
    if (!cq_u64map_get(&r->ids, id, &v))
        return false;
    *li = v;
    return true;
}

static void
s_on_doc_done(s_run_t *r, const cq_wire_msg_t *in)
{
    cq_msg_doc_done_t m;
    size_t li;
    if (cq_proto_doc_done_decode(in->body, in->body_len, &m, NULL) != 0 ||
        strcmp(m.batch_id, r->o->batch_id) != 0 || !s_local(r, m.doc_id, &li))
        return;
    s_doc_known(r, li, m.n_claims, m.status, m.message);
}

static void
s_on_decisions(s_run_t *r, const cq_wire_msg_t *in)
{
    cq_msg_decisions_t m;
    if (cq_proto_decisions_decode(in->body, in->body_len, &m, NULL) != 0 ||
        strcmp(m.batch_id, r->o->batch_id) != 0)
        return;
    uint64_t id;
    uint32_t index;
    bool has;
    cq_diag_t diag = {0};
    int rc;
    while ((rc = cq_proto_decisions_next(&m, &id, &index, &has, r->d, &diag)) ==
           1) {
        size_t li;
        if (s_local(r, id, &li))
            s_answer(r, li, index, has ? r->d : NULL);
    }
    if (rc < 0)
        cq_log_warn(NULL, "DECISIONS item dropped: %s", diag.msg);
}

//  Reads the batch back (after a silence): fills in what pushes missed.
typedef struct {
    s_run_t *r;
    uint32_t *count; // per local document: entries seen
    size_t *nil_doc; // entries without a decision
    uint32_t *nil_index;
    size_t n_nil, cap_nil;
} s_walk_t;

static int
s_walk_entry(void *arg, uint64_t doc_id, uint32_t index, const cq_decision_t *d,
             const cq_claim_t *c)
{
    (void)c;
    s_walk_t *wk = arg;
    size_t li;
    if (!s_local(wk->r, doc_id, &li))
        return 0;
    if (index + 1 > wk->count[li])
        wk->count[li] = index + 1;
    if (d) {
        s_answer(wk->r, li, index, d);
        return 0;
    }
    if (wk->n_nil == wk->cap_nil) {
        wk->cap_nil = wk->cap_nil ? wk->cap_nil * 2 : 64;
        wk->nil_doc =
            cq_xrealloc(wk->nil_doc, wk->cap_nil * sizeof *wk->nil_doc);
        wk->nil_index =
            cq_xrealloc(wk->nil_index, wk->cap_nil * sizeof *wk->nil_index);
    }
    wk->nil_doc[wk->n_nil] = li;
    wk->nil_index[wk->n_nil++] = index;
    return 0;
}

static void
s_read_back(s_run_t *r)
{
    s_walk_t wk;
    memset(&wk, 0, sizeof wk);
    wk.r = r;
    wk.count = cq_xcalloc(r->docs->n ? r->docs->n : 1, sizeof *wk.count);
    bool complete = false;
    int rc = cq_bclient_results(r->c, r->o->batch_id, 0, false, s_walk_entry,
                                &wk, &complete, 5000);
    if (rc == 0 && complete) {
        //  Every document is through intake and every claim answered: what
        //  is still unknown here was lost on the way.
        for (size_t i = 0; i < r->docs->n; i++)
            if (r->l[i].state == S_RECEIPTED && !r->l[i].known)
                s_doc_known(r, i, wk.count[i], 0, NULL);
        for (size_t k = 0; k < wk.n_nil; k++)
            s_answer(r, wk.nil_doc[k], wk.nil_index[k], NULL);
    }
    free(wk.count);
    free(wk.nil_doc);
    free(wk.nil_index);
}

static void
s_progress(s_run_t *r, bool final)
{
    if (!r->o->progress)
        return;
    double now = s_now();
    if (!final && now - r->last_print < (r->tty ? 100 : 2000))
        return;
    r->last_print = now;
    double secs = (now - r->t0) / 1000.0;
    double rate = secs > 0 ? (double)r->res->decided / secs : 0;
    if (r->o->wait) {
        if (r->tty) {
            int width = 30;
            int fill = r->known == r->docs->n && r->res->claims
                           ? (int)(width * (r->res->decided + r->res->failed) /
                                   r->res->claims)
                           : (int)(width * r->completed /
                                   (r->docs->n ? r->docs->n : 1));
            char bar[64];
            for (int i = 0; i < width; i++)
                bar[i] = i < fill ? '#' : '.';
            bar[width] = '\0';
            fprintf(stderr,
                    "\r[%s] %llu/%llu%s claims decided  %zu/%zu docs  "
                    "%.0f claims/s ",
                    bar, (unsigned long long)r->res->decided,
                    (unsigned long long)r->res->claims,
                    r->known < r->docs->n ? "+" : "", r->completed, r->docs->n,
                    rate);
            if (final)
                fputc('\n', stderr);
        } else {
            fprintf(stderr,
                    "claimq: %llu/%llu%s claims decided, %zu/%zu documents "
                    "done, %.0f claims/s\n",
                    (unsigned long long)r->res->decided,
                    (unsigned long long)r->res->claims,
                    r->known < r->docs->n ? "+" : "", r->completed, r->docs->n,
                    rate);
        }
    } else {
        fprintf(stderr, "%sclaimq: %zu/%zu documents received%s",
                r->tty ? "\r" : "", r->receipted, r->docs->n,
                r->tty && !final ? " " : "\n");
    }
    fflush(stderr);
}

int
cq_submit_run(cq_bclient_t *c, const cq_sdocs_t *docs,
              const cq_submit_opts_t *o, cq_submit_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->durable = true;
    s_run_t r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.docs = docs;
    r.o = o;
    r.res = res;
    r.l = cq_xcalloc(docs->n ? docs->n : 1, sizeof *r.l);
    r.d = cq_xmalloc(sizeof *r.d);
    r.tty = isatty(2);
    cq_u64map_init(&r.ids);
    cq_submit_opts_t defaults = *o;
    if (defaults.window == 0)
        defaults.window = 64;
    r.o = &defaults;
    r.t0 = r.last_progress = r.last_msg = s_now();
    cq_wire_msg_t *in = cq_xmalloc(sizeof *in);
    cq_wire_msg_init(in);
    int rc = 0;
    for (;;) {
        rc = s_send_some(&r);
        if (rc != 0)
            break;
        bool done = r.next == docs->n;
        for (size_t i = 0; done && i < docs->n; i++)
            if (!s_doc_done(&r, i))
                done = false;
        if (done)
            break;
        int k = cq_bclient_recv(c, in, 100);
        double now = s_now();
        if (k == 0) {
            r.last_msg = now;
            res->reachable = true;
            switch (in->cmd) {
            case CQ_CMD_RECEIPT:
                rc = s_on_receipt(&r, in);
                break;
            case CQ_CMD_DOC_DONE:
                s_on_doc_done(&r, in);
                break;
            case CQ_CMD_DECISIONS:
                s_on_decisions(&r, in);
                break;
            default:
                break;
            }
            if (rc != 0)
                break;
        } else if (k != CQ_ETIMEDOUT && k != CQ_EPROTO) {
            rc = k;
            break;
        }
        s_progress(&r, false);
        //  Unreachable: nothing at all came back for the first documents.
        //  A broker that holds receipts back (its intake queue is full)
        //  still answers STATUS: then only --timeout applies.
        if (r.receipted == 0 && !res->reachable &&
            now - r.t0 >
                (o->timeout_ms > 0 && o->timeout_ms < S_FIRST_RECEIPT_MS
                     ? o->timeout_ms
                     : S_FIRST_RECEIPT_MS)) {
            cq_msg_status_reply_t st;
            int probe_ms = o->timeout_ms > 0 && o->timeout_ms < 2000
                               ? o->timeout_ms
                               : 2000;
            if (cq_bclient_status(c, o->batch_id, &st, probe_ms) != 0) {
                rc = CQ_ETIMEDOUT;
                break;
            }
            res->reachable = true;
            now = s_now();
        }
        if (o->timeout_ms > 0 && now - r.last_progress > o->timeout_ms) {
            rc = CQ_ETIMEDOUT;
            break;
        }
        //  Pushes stopped with work outstanding: read the batch back.
        if (o->wait && r.receipted > 0 && now - r.last_msg > S_STALL_MS) {
            s_read_back(&r);
            r.last_msg = s_now();
        }
    }
    res->elapsed_s = (s_now() - r.t0) / 1000.0;
    s_progress(&r, true);
    cq_wire_msg_close(in);
    free(in);
    for (size_t i = 0; i < docs->n; i++)
        free(r.l[i].seen);
    free(r.l);
    free(r.d);
    free(r.pend);
    cq_u64map_free(&r.ids);
    return rc;
}
