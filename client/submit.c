#include "submit.h"
#include "date.h"
#include "log.h"
#include "mem.h"
#include "tab.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_SUBMIT_DOCS 64          // documents per SUBMIT
#define S_SUBMIT_BYTES (4u << 20) // bytes per SUBMIT (soft)
#define S_STALL_MS 2000           // silence before asking STATUS
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
//
//  Receipts come back in order: at most one SUBMIT of documents never
//  receipted is outstanding at a time, so documents [0, rcvd) have their
//  receipts and [rcvd, next) are that SUBMIT's (waiting for its receipt,
//  or held after a "journal full" and sent again later). Why: the broker
//  admits a batch's documents in the order it receives them, and that
//  order is the order claims are decided in (member state). With several
//  SUBMITs outstanding, one lost with a dying broker could be overtaken by
//  a later one still queued in the DEALER (delivered to the restarted
//  broker first), or one refused while the journal was full by a later
//  one accepted after it recovered. Sent again in its place, a document
//  keeps its position. The cost is one commit's latency per SUBMIT, which
//  the window hides: a SUBMIT takes every document freed meanwhile.
//
//  A broker restart (its epoch changes) or a silence is noticed with
//  STATUS: the documents it may not have received go again (the broker
//  recognises a document it has, answers with the same id and replays
//  what it knows), and what was missed is read back with RESULTS from a
//  cursor below which every entry is answered, asking for pushes again
//  (watch), so that pushes resume rather than the batch being polled.

//  An unanswered STATUS goes again after S_PROBE_MS. An unanswered SUBMIT
//  goes again after S_RESEND_MS, doubling up to S_RESEND_MAX_MS. Documents
//  refused (journal full) wait S_HOLD_MIN_MS, growing to S_HOLD_MAX_MS,
//  before they go again. A read-back that found nothing is followed by the
//  next one after S_STALL_MS, doubling up to S_WALK_MAX_MS; it asks for
//  S_WALK_PAGE entries a page, and a page unanswered for S_WALK_MS is
//  given up (the next silence starts a new read-back).
#define S_PROBE_MS 3000
#define S_RESEND_MS 5000
#define S_RESEND_MAX_MS 30000
#define S_HOLD_MIN_MS 1000
#define S_HOLD_MAX_MS 5000
#define S_WALK_MAX_MS 30000
#define S_WALK_PAGE 4096
#define S_WALK_MS 10000

//  (issue 9) A resumed run first asks which documents the broker holds
//  (HAVE, CQ_PROTO_MAX_HAVE digests a message, one message outstanding);
//  a HAVE unanswered for S_HAVE_MS (a broker that predates it drops it) is
//  given up: every document not known to be held is sent, as before.
#define S_HAVE_MS 3000

typedef struct {
    uint64_t id;   // broker document id, once receipted
    bool known;    // DOC_DONE seen: n_claims is known
    bool complete; // every claim answered
    uint32_t n_claims;
    uint32_t n_dup;    // of them, keys the batch held already (no answer of
                       // their own: the batch's entry has it)
    uint32_t answered; // decisions (or failures) received
    uint32_t entries;  // claims seen so far (highest index + 1)
    uint8_t *seen;     // per claim: answered
    uint32_t seen_cap;
    double sent_at; // ms, when first sent
    bool held;      // the broker held it already (HAVE): never sent
} s_ldoc_t;

//  What a SUBMIT carries.
enum {
    S_NEW,   // documents never receipted: one such SUBMIT at a time
    S_REPLAY // receipted documents sent again for what they missed
};

typedef struct {
    uint64_t req_id;
    size_t first; // local documents [first, first + n)
    uint32_t n;
    int kind; // S_NEW, S_REPLAY
} s_pending_t;

//  Reading the batch back: RESULTS pages from the cursor to the end.
typedef struct {
    bool active;     // a page is outstanding
    uint64_t req_id; // its RESULTS
    uint64_t at;     // its cursor
    double sent_at;
    bool found;            // this walk answered a claim that pushes had not
    uint64_t read;         // entries this walk has read
    size_t *nil_doc;       // entries without a decision (not decided yet,
    uint32_t *nil_index;   // or failed: told apart once the batch is
    size_t n_nil, cap_nil; // complete)
} s_walk_t;

typedef struct {
    cq_bclient_t *c;
    const cq_sdocs_t *docs;
    const cq_submit_opts_t *o;
    cq_submit_result_t *res;
    s_ldoc_t *l;
    cq_u64map_t ids; // broker id -> local document
    s_pending_t *pend;
    size_t n_pend, cap_pend;
    size_t next;      // next document never sent
    size_t rcvd;      // documents [0, rcvd) are receipted
    size_t lo;        // documents [0, lo) are complete (with wait)
    size_t in_flight; // sent and not complete (with wait) or not
                      // receipted (without): at most window
    size_t known;     // documents with DOC_DONE
    size_t completed;
    //  the outstanding SUBMIT of new documents
    bool has_new;
    uint64_t new_req;
    double new_at;   // when it was sent
    double retry_at; // [rcvd, next) without a SUBMIT: send them then
    int resend_ms;   // an unanswered SUBMIT goes again after this
    int hold_ms;     // the wait after the next refusal
    bool hold_said;  // the refusal was told (once until a receipt)
    //  the broker's liveness and identity
    uint32_t probes;          // STATUS sent
    double probe_at;          // the last one (0: none unanswered)
    double probe_since;       // the first unanswered one (0: none)
    uint64_t probe_failovers; // the connection's failovers at the last one
    uint64_t seen_failovers;  // ... at the last tick
    bool have_epoch;          // epoch is the broker's, from a STATUS_REPLY
    uint64_t epoch;
    //  reading back
    uint64_t cursor; // every entry of the batch below it is answered
    s_walk_t walk;
    double walk_next; // no walk started for silence before this
    int walk_gap_ms;
    double replay_next; // no replay for missing DOC_DONEs before this
    int replay_gap_ms;
    //  (issue 9, o->resume) what the broker holds already: documents
    //  [have_at, have_end) are asked about by the HAVE have_req; nothing is
    //  sent until have_done
    bool have_done;    // every document asked about, or HAVE given up on
    bool have_ok;      // the broker answers HAVE (replays use it)
    bool have_found;   // the broker knows the batch
    uint64_t have_req; // the outstanding HAVE (0: none)
    size_t have_at, have_end;
    double have_sent; // when it was sent
    //  the seal: every document sent and receipted
    bool sealed;
    uint64_t seal_req;
    double seal_at; // when the SEAL was sent (0: not yet)
    bool no_workers_said;
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

//  A line on stderr for a person, below the progress bar if one is drawn.
static void CQ_PRINTF(2, 3) s_say(const s_run_t *r, const char *fmt, ...)
{
    if (r->o->progress && r->tty)
        fputc('\n', stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

static int
s_grow(int ms, int max)
{
    return ms >= max / 2 ? max : ms * 2;
}

static void
s_check_complete(s_run_t *r, size_t i)
{
    s_ldoc_t *x = &r->l[i];
    if (x->complete || !x->known || x->answered < x->n_claims - x->n_dup)
        return;
    x->complete = true;
    r->completed++;
    if (r->o->wait && r->in_flight > 0 && !x->held)
        r->in_flight--;
    while (r->lo < r->docs->n && r->l[r->lo].complete)
        r->lo++;
    if (r->o->on_doc_complete)
        r->o->on_doc_complete(r->o->arg, i);
}

//  False (with a warning) when index cannot be a claim of document i:
//  indexes come off the wire, and a document has at most n_claims claims,
//  never more than its bytes. Else notes that the document has it.
static bool
s_claim_ok(s_run_t *r, size_t i, uint32_t index)
{
    const s_ldoc_t *x = &r->l[i];
    if ((x->known && index >= x->n_claims) || index >= r->docs->v[i].len) {
        cq_log_warn(NULL,
                    "decision for claim %u of document %zu dropped: "
                    "no such claim",
                    index, i);
        return false;
    }
    if (index >= x->entries)
        r->l[i].entries = index + 1;
    return true;
}

//  A pend while the run waits for final decisions (until_final).
static bool
s_awaits_review(const s_run_t *r, const cq_decision_t *d)
{
    return d != NULL && r->o->until_final && d->decision == CQ_DECISION_PEND;
}

static bool
s_seen(const s_run_t *r, size_t i, uint32_t index)
{
    const s_ldoc_t *x = &r->l[i];
    return index < x->seen_cap && x->seen[index];
}

//  Claim `index` of document i answered (d NULL: it failed). Returns true
//  when it was not answered before (each claim is counted once, however
//  often pushes, replays and read-backs bring it).
static bool
s_answer(s_run_t *r, size_t i, uint32_t index, const cq_decision_t *d)
{
    s_ldoc_t *x = &r->l[i];
    if (!s_claim_ok(r, i, index) || s_seen(r, i, index))
        return false;
    if (s_awaits_review(r, d))
        return false; // its final decision comes after a person looked
    if (index >= x->seen_cap) {
        uint32_t cap = x->seen_cap ? x->seen_cap : 64;
        while (cap <= index)
            cap *= 2;
        x->seen = cq_xrealloc(x->seen, cap);
        memset(x->seen + x->seen_cap, 0, cap - x->seen_cap);
        x->seen_cap = cap;
    }
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
    return true;
}

static void
s_doc_known(s_run_t *r, size_t i, const cq_msg_doc_done_t *m)
{
    s_ldoc_t *x = &r->l[i];
    if (x->known)
        return;
    x->known = true;
    x->n_claims = m->n_claims;
    x->n_dup = m->dup_claims <= m->n_claims ? m->dup_claims : m->n_claims;
    r->known++;
    r->res->claims += x->n_claims - x->n_dup;
    r->res->dup_claims += x->n_dup;
    r->res->conflicts += m->conflicts;
    r->res->refused_sets += m->refused_sets;
    r->res->refused_claims += m->refused_claims;
    if (m->status < 0)
        r->res->docs_failed++;
    uint32_t n_claims = m->n_claims;
    int status = m->status;
    const char *message = m->message;
    r->last_progress = s_now();
    if (r->o->on_doc)
        r->o->on_doc(r->o->arg, i, n_claims, status, message);
    if (r->o->on_doc_done)
        r->o->on_doc_done(r->o->arg, i, m);
    s_check_complete(r, i);
}

//  Sends documents [first, first + n) as one SUBMIT and remembers it.
static int
s_submit(s_run_t *r, size_t first, uint32_t n, int kind)
{
    cq_msg_submit_t *m = cq_xcalloc(1, sizeof *m);
    m->req_id = cq_bclient_next_id(r->c);
    cq_strlcpy(m->batch_id, r->o->batch_id, sizeof m->batch_id);
    m->received_date = r->o->received_set ? r->o->received_date : CQ_DATE_NONE;
    if (r->o->received_dates)
        m->received_date = r->o->received_dates[first];
    zmq_msg_t parts[S_SUBMIT_DOCS];
    for (uint32_t k = 0; k < n; k++) {
        const cq_sdoc_t *sd = &r->docs->v[first + k];
        cq_doc_ref_t *ref = &m->docs[k];
        cq_strlcpy(ref->name, sd->name, sizeof ref->name);
        ref->first_record = sd->first_record;
        ref->size = sd->len;
        zmq_msg_init_size(&parts[k], sd->len);
        if (sd->len)
            memcpy(zmq_msg_data(&parts[k]), sd->data, sd->len);
    }
    m->n_docs = n;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_submit_encode(&w, m);
    int rc = cq_bclient_send(r->c, CQ_CMD_SUBMIT, &w, parts, (int)n);
    for (uint32_t k = 0; k < n; k++)
        zmq_msg_close(&parts[k]);
    cq_mpw_free(&w);
    if (r->n_pend == r->cap_pend) {
        r->cap_pend = r->cap_pend ? r->cap_pend * 2 : 16;
        r->pend = cq_xrealloc(r->pend, r->cap_pend * sizeof *r->pend);
    }
    r->pend[r->n_pend++] = (s_pending_t){m->req_id, first, n, kind};
    if (kind == S_NEW) {
        r->has_new = true;
        r->new_req = m->req_id;
        r->new_at = s_now();
    }
    free(m);
    return rc;
}

//  True when document `end` fits in one SUBMIT with [first, end), which
//  hold `bytes`.
static bool
s_fits(const s_run_t *r, size_t first, size_t end, size_t bytes)
{
    return end - first < S_SUBMIT_DOCS &&
           (end == first || bytes + r->docs->v[end].len <= S_SUBMIT_BYTES);
}

//  The one SUBMIT of unreceipted documents: those sent before and not
//  receipted (after their wait, when held), else new ones as the window
//  allows.
static int
s_send_new(s_run_t *r)
{
    if (r->has_new)
        return 0;
    size_t first = r->rcvd, end = r->next;
    if (first == end) {
        //  documents the broker held already are received as they are (a
        //  SUBMIT never spans one: they keep their places)
        while (end < r->docs->n && r->l[end].held)
            end++;
        r->rcvd = r->next = first = end;
    }
    if (first < end) {
        if (s_now() < r->retry_at)
            return 0;
        r->res->resent += end - first;
    } else {
        size_t bytes = 0;
        double now = s_now();
        const cq_submit_opts_t *o = r->o;
        while (end < r->docs->n && !r->l[end].held &&
               r->in_flight < o->window && s_fits(r, first, end, bytes) &&
               (o->send_at == NULL || o->sched_t0 + o->send_at[end] <= now) &&
               (o->received_dates == NULL || end == first ||
                o->received_dates[end] == o->received_dates[first])) {
            bytes += r->docs->v[end].len;
            r->l[end].sent_at = now;
            if (o->send_at) {
                double due = o->sched_t0 + o->send_at[end];
                r->l[end].sent_at = due;
                r->res->last_lag_ms = now - due;
                if (now - due > r->res->max_lag_ms)
                    r->res->max_lag_ms = now - due;
            }
            end++;
            r->in_flight++;
        }
        if (end == first)
            return 0;
        r->next = end;
    }
    return s_submit(r, first, (uint32_t)(end - first), S_NEW);
}

static int s_have_send(s_run_t *r, const size_t *list, size_t first, uint32_t n,
                       uint64_t *req_id);

//  Receipted documents that have not had their DOC_DONE go again: the
//  broker answers with the same ids and replays their DOC_DONE and
//  decisions (a restarted broker does not push what it did before). A
//  broker that answers HAVE is asked with it instead: the same replay,
//  without the documents' bytes.
static int
s_replay(s_run_t *r)
{
    if (r->have_ok) {
        size_t *list = cq_xmalloc(CQ_PROTO_MAX_HAVE * sizeof *list);
        uint32_t n = 0;
        int rc = 0;
        for (size_t i = r->lo; i < r->rcvd && rc == 0; i++) {
            if (!r->l[i].known)
                list[n++] = i;
            if (n == CQ_PROTO_MAX_HAVE || (n > 0 && i + 1 == r->rcvd)) {
                rc = s_have_send(r, list, 0, n, NULL);
                n = 0;
            }
        }
        free(list);
        return rc;
    }
    size_t kept = 0;
    for (size_t k = 0; k < r->n_pend; k++)
        if (r->pend[k].kind != S_REPLAY)
            r->pend[kept++] = r->pend[k];
    r->n_pend = kept;
    size_t i = r->lo;
    while (i < r->rcvd) {
        if (r->l[i].known) {
            i++;
            continue;
        }
        size_t end = i, bytes = 0;
        while (end < r->rcvd && !r->l[end].known && s_fits(r, i, end, bytes))
            bytes += r->docs->v[end++].len;
        r->res->resent += end - i;
        int rc = s_submit(r, i, (uint32_t)(end - i), S_REPLAY);
        if (rc != 0)
            return rc;
        i = end;
    }
    return 0;
}

//  A retryable refusal (journal full, busy): [rcvd, next) wait and go
//  again; said once until documents are received again.
static void
s_hold(s_run_t *r, int status, const char *message)
{
    if (!r->hold_said)
        s_say(r,
              "claimq: broker: %s — documents are being held and sent "
              "again\n",
              status == CQ_ENOSPC ? "journal full" : "busy");
    r->hold_said = true;
    cq_log_info(NULL, "SUBMIT refused (%s): %s", cq_strerror(status), message);
    r->retry_at = s_now() + r->hold_ms;
    r->hold_ms = s_grow(r->hold_ms, S_HOLD_MAX_MS);
    r->res->holding = status;
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
        return 0; // not ours, or one sent again since
    }
    s_pending_t p = r->pend[k];
    r->pend[k] = r->pend[--r->n_pend];
    bool ok = m->status == 0 && m->n_docs == p.n;
    if (p.kind == S_REPLAY) {
        //  (ids of receipted documents do not change; a refusal leaves
        //  them to the next replay, or to the batch's completion)
        for (uint32_t i = 0; ok && i < p.n; i++)
            if (r->l[p.first + i].id != m->doc_ids[i]) {
                r->l[p.first + i].id = m->doc_ids[i];
                cq_u64map_put(&r->ids, m->doc_ids[i], (uint32_t)(p.first + i));
            }
        free(m);
        return 0;
    }
    r->has_new = false;
    if (m->status == CQ_ENOSPC || m->status == CQ_EBUSY) {
        s_hold(r, m->status, m->message);
        free(m);
        return 0;
    }
    if (!ok) {
        s_say(r, "claimq: the broker refused the batch: %s\n",
              m->message[0] ? m->message : cq_strerror(m->status));
        r->res->refused = m->status ? m->status : CQ_EPROTO;
        free(m);
        return CQ_EPROTO;
    }
    if (!m->durable)
        r->res->durable = false;
    double now = s_now();
    for (uint32_t i = 0; i < p.n; i++) {
        size_t li = p.first + i;
        r->l[li].id = m->doc_ids[i];
        cq_u64map_put(&r->ids, m->doc_ids[i], (uint32_t)li);
        r->res->docs++;
        if (r->o->on_receipt)
            r->o->on_receipt(r->o->arg, li, now - r->l[li].sent_at);
        if (!r->o->wait && r->in_flight > 0)
            r->in_flight--;
    }
    r->rcvd = p.first + p.n;
    r->hold_ms = S_HOLD_MIN_MS;
    r->hold_said = false;
    r->res->holding = 0;
    r->resend_ms = S_RESEND_MS;
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
    s_doc_known(r, li, &m);
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

//  ---- a resumed run: what the broker holds already (issue 9) --------------

//  Sends one HAVE for documents list[0..n) (list NULL: [first, first + n))
//  of the batch; *req_id (may be NULL) its request id.
static int
s_have_send(s_run_t *r, const size_t *list, size_t first, uint32_t n,
            uint64_t *req_id)
{
    cq_msg_have_t m;
    memset(&m, 0, sizeof m);
    m.req_id = cq_bclient_next_id(r->c);
    cq_strlcpy(m.batch_id, r->o->batch_id, sizeof m.batch_id);
    m.n = n;
    m.digests = cq_xmalloc((size_t)n * sizeof *m.digests);
    for (uint32_t k = 0; k < n; k++) {
        const cq_sdoc_t *sd = &r->docs->v[list ? list[k] : first + k];
        cq_proto_doc_digest(m.batch_id, sd->name, sd->first_record, sd->data,
                            sd->len, m.digests[k]);
    }
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_have_encode(&w, &m);
    free(m.digests);
    if (req_id)
        *req_id = m.req_id;
    int rc = cq_bclient_send(r->c, CQ_CMD_HAVE, &w, NULL, 0);
    cq_mpw_free(&w);
    return rc;
}

//  Every document asked about (or HAVE given up on): sending starts.
static void
s_have_finish(s_run_t *r)
{
    r->have_done = true;
    r->have_req = 0;
    if (r->have_found && r->o->progress)
        s_say(r,
              "claimq submit: batch %s: %llu of %zu documents already "
              "received (not sent again)\n",
              r->o->batch_id, (unsigned long long)r->res->held, r->docs->n);
}

//  The next HAVE of the first pass, when none is outstanding.
static int
s_have_next(s_run_t *r)
{
    if (r->have_done || r->have_req != 0)
        return 0;
    if (r->have_at >= r->docs->n) {
        s_have_finish(r);
        return 0;
    }
    size_t n = r->docs->n - r->have_at;
    if (n > CQ_PROTO_MAX_HAVE)
        n = CQ_PROTO_MAX_HAVE;
    r->have_end = r->have_at + n;
    r->have_sent = s_now();
    return s_have_send(r, NULL, r->have_at, (uint32_t)n, &r->have_req);
}

//  Documents the broker holds count as received with their ids, and are
//  not sent: the broker made this client their watcher and replays what
//  it knows of them after this reply (DOC_DONE, decisions), pushing the
//  rest as it comes. (Replies to replays' HAVEs say nothing new.)
static void
s_on_have_reply(s_run_t *r, const cq_wire_msg_t *in)
{
    cq_msg_have_reply_t m;
    if (cq_proto_have_reply_decode(in->body, in->body_len, &m, NULL) != 0)
        return;
    r->have_ok = true;
    if (r->have_done || m.req_id != r->have_req ||
        strcmp(m.batch_id, r->o->batch_id) != 0) {
        cq_proto_have_reply_free(&m);
        return;
    }
    r->have_req = 0;
    double now = s_now();
    r->last_progress = now;
    if (m.status != 0 || m.n != r->have_end - r->have_at) {
        //  (no such batch: nothing is held; a reply of another length is
        //  not trusted: the rest is sent)
        cq_proto_have_reply_free(&m);
        s_have_finish(r);
        return;
    }
    r->have_found = true;
    for (uint32_t i = 0; i < m.n; i++) {
        uint64_t id = m.doc_ids[i];
        if (id == CQ_HAVE_NONE || id > UINT32_MAX)
            continue; // (broker ids are 32-bit)
        size_t li = r->have_at + i;
        s_ldoc_t *x = &r->l[li];
        x->held = true;
        x->id = id;
        x->sent_at = now;
        cq_u64map_put(&r->ids, id, (uint32_t)li);
        r->res->docs++;
        r->res->held++;
    }
    cq_proto_have_reply_free(&m);
    r->have_at = r->have_end;
    if (r->have_at >= r->docs->n)
        s_have_finish(r);
}

//  ---- noticing a restart or a loss, and reading back ------------------------

static int
s_send_body(s_run_t *r, cq_cmd_t cmd, cq_mpw_t *w)
{
    int rc = cq_bclient_send(r->c, cmd, w, NULL, 0);
    cq_mpw_free(w);
    return rc;
}

static int
s_probe(s_run_t *r)
{
    cq_msg_status_t m;
    memset(&m, 0, sizeof m);
    m.req_id = cq_bclient_next_id(r->c);
    cq_strlcpy(m.batch_id, r->o->batch_id, sizeof m.batch_id);
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_status_encode(&w, &m);
    //  the last probe unanswered: a pair's other broker may be active now
    //  (unless the connection moved meanwhile: a passive broker said "not
    //  me", and the probe it dropped goes again where it moved)
    if (r->probe_at != 0 && cq_bclient_failovers(r->c) == r->probe_failovers &&
        cq_bclient_failover(r->c))
        s_say(r, "claimq: the broker is silent: trying %s\n",
              cq_bclient_ep(r->c));
    r->probe_failovers = cq_bclient_failovers(r->c);
    r->probes++;
    r->probe_at = s_now();
    if (r->probe_since == 0)
        r->probe_since = r->probe_at;
    return s_send_body(r, CQ_CMD_STATUS, &w);
}

static int
s_walk_page(s_run_t *r, bool watch)
{
    cq_msg_results_t q;
    memset(&q, 0, sizeof q);
    q.req_id = cq_bclient_next_id(r->c);
    cq_strlcpy(q.batch_id, r->o->batch_id, sizeof q.batch_id);
    q.cursor = r->walk.at;
    q.max = S_WALK_PAGE;
    q.watch = watch;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_results_encode(&w, &q);
    r->walk.active = true;
    r->walk.req_id = q.req_id;
    r->walk.sent_at = s_now();
    return s_send_body(r, CQ_CMD_RESULTS, &w);
}

//  Reads the batch back from the cursor, and asks for its pushes again.
static int
s_walk_start(s_run_t *r)
{
    r->walk.found = false;
    r->walk.read = 0;
    r->walk.n_nil = 0;
    r->walk.at = r->cursor;
    cq_log_info(NULL, "batch %s: reading back from entry %llu", r->o->batch_id,
                (unsigned long long)r->cursor);
    return s_walk_page(r, true);
}

static void
s_walk_nil(s_walk_t *w, size_t li, uint32_t index)
{
    if (w->n_nil == w->cap_nil) {
        w->cap_nil = w->cap_nil ? w->cap_nil * 2 : 64;
        w->nil_doc = cq_xrealloc(w->nil_doc, w->cap_nil * sizeof *w->nil_doc);
        w->nil_index =
            cq_xrealloc(w->nil_index, w->cap_nil * sizeof *w->nil_index);
    }
    w->nil_doc[w->n_nil] = li;
    w->nil_index[w->n_nil++] = index;
}

//  The batch is complete (every document through intake, every claim
//  decided or failed): what is still unknown here was lost on the way.
static void
s_batch_complete(s_run_t *r)
{
    for (size_t i = r->lo; i < r->rcvd; i++)
        if (!r->l[i].known) {
            cq_msg_doc_done_t m;
            memset(&m, 0, sizeof m);
            m.n_claims = r->l[i].entries;
            s_doc_known(r, i, &m);
        }
    for (size_t k = 0; k < r->walk.n_nil; k++)
        s_answer(r, r->walk.nil_doc[k], r->walk.nil_index[k], NULL);
}

static int s_lost(s_run_t *r, bool durable);

static int
s_on_results_reply(s_run_t *r, const cq_wire_msg_t *in)
{
    s_walk_t *w = &r->walk;
    cq_msg_results_reply_t m;
    if (cq_proto_results_reply_decode(in->body, in->body_len, &m, NULL) != 0 ||
        !w->active || m.req_id != w->req_id)
        return 0;
    w->active = false;
    if (m.status == CQ_ENOTFOUND && r->ids.n > 0)
        return s_lost(r, true);
    if (m.status != 0)
        return 0;
    //  An entry of a document not known here is one of another submitter
    //  unless a receipt is awaited (its id is not known yet).
    bool others = r->rcvd == r->next && r->have_done;
    uint64_t at = w->at;
    uint64_t doc_id;
    uint32_t index;
    bool has_d, has_c;
    int k;
    while ((k = cq_proto_results_reply_next(&m, &doc_id, &index, &has_d, r->d,
                                            &has_c, NULL, NULL)) == 1) {
        size_t li;
        bool settled = others;
        if (s_local(r, doc_id, &li) && s_claim_ok(r, li, index)) {
            if (has_d && s_answer(r, li, index, r->d))
                w->found = true;
            bool review = has_d && s_awaits_review(r, r->d);
            settled = (has_d && !review) || s_seen(r, li, index);
            if (!settled && !review)
                s_walk_nil(w, li, index);
        }
        if (at++ == r->cursor && settled)
            r->cursor++;
        w->read++;
    }
    if (k < 0) {
        cq_log_warn(NULL, "RESULTS_REPLY dropped: malformed item");
        return 0;
    }
    if (m.next_cursor < m.total && m.next_cursor > w->at) {
        w->at = m.next_cursor;
        return s_walk_page(r, false);
    }
    cq_log_info(NULL,
                "batch %s: read back %llu entries (%s), every one below "
                "%llu answered",
                r->o->batch_id, (unsigned long long)w->read,
                w->found ? "some new" : "none new",
                (unsigned long long)r->cursor);
    if (m.complete && m.next_cursor >= m.total)
        s_batch_complete(r);
    r->walk_gap_ms =
        w->found ? S_STALL_MS : s_grow(r->walk_gap_ms, S_WALK_MAX_MS);
    r->walk_next = s_now() + r->walk_gap_ms;
    return 0;
}

//  The broker no longer has documents it had receipted.
static int
s_lost(s_run_t *r, bool durable)
{
    s_say(r,
          "claimq: the broker %s batch %s (%zu of its documents had been "
          "received): submit it again\n",
          durable ? "no longer knows"
                  : "restarted without a journal (--journal) and lost",
          r->o->batch_id, (size_t)r->ids.n);
    return CQ_ENOTFOUND;
}

//  The SUBMIT of new documents is sent again at once (s_send_new): its
//  receipt, if it still comes, is not waited for.
static void
s_forget_new(s_run_t *r)
{
    if (!r->has_new)
        return;
    for (size_t k = 0; k < r->n_pend; k++)
        if (r->pend[k].req_id == r->new_req) {
            r->pend[k] = r->pend[--r->n_pend];
            break;
        }
    r->has_new = false;
    r->retry_at = 0;
}

//  After a restart, or a silence while work is outstanding (st: what the
//  broker says of the batch).
static int
s_recover(s_run_t *r, bool restart, const cq_msg_status_reply_t *st)
{
    double now = s_now();
    if (restart) {
        //  The SUBMIT may have been lost with the broker; held documents
        //  try the new one now.
        s_forget_new(r);
        r->retry_at = 0;
    }
    if (!r->o->wait)
        return 0;
    int rc = 0;
    if (restart || (st->docs_done > r->known && now >= r->replay_next)) {
        rc = s_replay(r);
        r->replay_gap_ms =
            restart ? S_RESEND_MS : s_grow(r->replay_gap_ms, S_RESEND_MAX_MS);
        r->replay_next = now + r->replay_gap_ms;
    }
    if (rc == 0 && restart) {
        //  (the restarted broker rebuilt the batch's entries: read them
        //  all once rather than trust positions from before)
        r->cursor = 0;
        rc = s_walk_start(r);
    } else if (rc == 0 && !r->walk.active && now >= r->walk_next &&
               st->decided + st->failed > r->res->decided + r->res->failed) {
        rc = s_walk_start(r);
    }
    return rc;
}

static int
s_on_status_reply(s_run_t *r, const cq_wire_msg_t *in)
{
    cq_msg_status_reply_t m;
    if (cq_proto_status_reply_decode(in->body, in->body_len, &m, NULL) != 0 ||
        strcmp(m.batch_id, r->o->batch_id) != 0)
        return 0;
    r->probe_at = r->probe_since = 0;
    bool restart = r->have_epoch && m.epoch != r->epoch;
    if (restart) {
        r->res->restarts++;
        s_say(r,
              "claimq: the broker restarted (epoch %llu, was %llu): "
              "sending again what it had not received, reading back what "
              "was missed\n",
              (unsigned long long)m.epoch, (unsigned long long)r->epoch);
    }
    r->have_epoch = true;
    r->epoch = m.epoch;
    r->res->workers_live = m.workers_live;
    //  No worker to decode or decide: said once, when nothing moved for a
    //  while (not on a broker that has just restarted, whose workers are
    //  registering again).
    if (r->o->wait && m.workers_live == 0 && !r->no_workers_said &&
        r->completed < r->docs->n && s_now() - r->last_progress >= S_STALL_MS) {
        r->no_workers_said = true;
        s_say(r,
              "claimq: no workers are registered with the broker at %s: the "
              "batch waits until one is (see `claimq workers`)\n",
              cq_bclient_ep(r->c));
    }
    if (r->ids.n > 0 && (!m.found || m.docs < r->ids.n))
        return s_lost(r, m.durable);
    if (restart && !m.durable && r->ids.n > 0)
        return s_lost(r, false);
    return s_recover(r, restart, &m);
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
                r->tty ? "\r" : "", r->rcvd, r->docs->n,
                r->tty && !final ? " " : "\n");
    }
    fflush(stderr);
}

//  Every document is receipted: the batch is sealed (the broker calls it
//  complete once its claims are final; an interrupted submission is not).
static int
s_seal(s_run_t *r)
{
    cq_msg_seal_t m;
    memset(&m, 0, sizeof m);
    m.req_id = cq_bclient_next_id(r->c);
    cq_strlcpy(m.batch_id, r->o->batch_id, sizeof m.batch_id);
    m.docs = r->ids.n; // (distinct documents: a copy has one id)
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_seal_encode(&w, &m);
    r->seal_req = m.req_id;
    r->seal_at = s_now();
    return s_send_body(r, CQ_CMD_SEAL, &w);
}

static int
s_on_seal_reply(s_run_t *r, const cq_wire_msg_t *in)
{
    cq_msg_seal_reply_t m;
    if (cq_proto_seal_reply_decode(in->body, in->body_len, &m, NULL) != 0 ||
        m.req_id != r->seal_req || r->sealed)
        return 0;
    if (m.status == CQ_ENOTFOUND)
        return s_probe(r); // (its reply says what the broker lost)
    if (m.status != 0) {
        s_say(r, "claimq: the broker did not seal batch %s: %s\n",
              r->o->batch_id, m.message);
        return CQ_EPROTO;
    }
    r->sealed = true;
    r->last_progress = s_now();
    return 0;
}

static int
s_dispatch(s_run_t *r, const cq_wire_msg_t *in)
{
    switch (in->cmd) {
    case CQ_CMD_RECEIPT:
        return s_on_receipt(r, in);
    case CQ_CMD_DOC_DONE:
        s_on_doc_done(r, in);
        return 0;
    case CQ_CMD_DECISIONS:
        s_on_decisions(r, in);
        return 0;
    case CQ_CMD_STATUS_REPLY:
        return s_on_status_reply(r, in);
    case CQ_CMD_RESULTS_REPLY:
        return s_on_results_reply(r, in);
    case CQ_CMD_SEAL_REPLY:
        return s_on_seal_reply(r, in);
    case CQ_CMD_HAVE_REPLY:
        s_on_have_reply(r, in);
        return 0;
    default:
        return 0; // HEARTBEAT (a liveness probe), anything else
    }
}

//  Once per turn: the timers. Returns 0 or why the run ends.
static int
s_tick(s_run_t *r)
{
    const cq_submit_opts_t *o = r->o;
    double now = s_now();
    //  The first STATUS, right after the first SUBMIT: the broker's epoch.
    if (r->probes == 0 && r->next > 0)
        return s_probe(r);
    //  The connection moved to a pair's other broker: ask it at once
    //  (its epoch says whether what was sent must go again)
    if (cq_bclient_failovers(r->c) != r->seen_failovers) {
        r->seen_failovers = cq_bclient_failovers(r->c);
        return s_probe(r);
    }
    //  Unreachable: nothing at all came back, not even to STATUS. A
    //  broker that holds receipts back (its intake queue is full) still
    //  answers STATUS: then only --timeout applies.
    int first_ms = o->timeout_ms > 0 && o->timeout_ms < S_FIRST_RECEIPT_MS
                       ? o->timeout_ms
                       : S_FIRST_RECEIPT_MS;
    int probe_ms =
        o->timeout_ms > 0 && o->timeout_ms < 2000 ? o->timeout_ms : 2000;
    //  (a pair: every endpoint is probed before it is called unreachable)
    int n_eps = cq_bclient_n_endpoints(r->c);
    if (n_eps > 1) {
        first_ms *= n_eps;
        probe_ms = n_eps * (S_PROBE_MS + 1000);
    }
    if (!r->res->reachable && r->probe_since > 0 && now - r->t0 > first_ms &&
        now - r->probe_since >= probe_ms)
        return CQ_ETIMEDOUT;
    //  (paced: waiting for the next document's time is not a stall)
    if (o->send_at && r->next < r->docs->n && r->in_flight == 0 &&
        o->sched_t0 + o->send_at[r->next] > now)
        r->last_progress = now;
    if (o->timeout_ms > 0 && now - r->last_progress > o->timeout_ms)
        return CQ_ETIMEDOUT;
    if (r->walk.active && now - r->walk.sent_at > S_WALK_MS)
        r->walk.active = false; // (the broker went away meanwhile)
    if (!r->have_done && r->have_req != 0 && now - r->have_sent >= S_HAVE_MS) {
        cq_log_info(NULL,
                    "batch %s: HAVE unanswered (a broker that predates it, "
                    "or away): sending every document not known to be held",
                    o->batch_id);
        s_have_finish(r);
    }
    //  A SUBMIT unanswered for a while goes again: it or its receipt may
    //  have been lost (a connection that broke), and a broker whose
    //  journal is full holds the receipt of what it took before but
    //  answers a new SUBMIT at once (journal full: held here). A broker
    //  that holds receipts for backpressure, or is away, gets a copy that
    //  it recognises.
    if (r->has_new && now - r->new_at >= r->resend_ms) {
        s_forget_new(r);
        r->resend_ms = s_grow(r->resend_ms, S_RESEND_MAX_MS);
    }
    //  Everything receipted: seal (again, when the reply was lost).
    if (!r->sealed && r->rcvd == r->docs->n &&
        (r->seal_at == 0 || now - r->seal_at >= S_RESEND_MS)) {
        int rc = s_seal(r);
        if (rc != 0)
            return rc;
    }
    //  Silence with work outstanding: is the broker there, and the same?
    if (now - r->last_msg > S_STALL_MS &&
        (r->probe_at == 0 || now - r->probe_at > S_PROBE_MS))
        return s_probe(r);
    return 0;
}

double
cq_submit_clock(void)
{
    return s_now();
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
    r.res = res;
    r.l = cq_xcalloc(docs->n ? docs->n : 1, sizeof *r.l);
    r.d = cq_xmalloc(sizeof *r.d);
    r.tty = isatty(2);
    cq_u64map_init(&r.ids);
    cq_submit_opts_t defaults = *o;
    if (defaults.window == 0)
        defaults.window = 64;
    r.o = &defaults;
    r.resend_ms = S_RESEND_MS;
    r.hold_ms = S_HOLD_MIN_MS;
    r.walk_gap_ms = S_STALL_MS;
    r.replay_gap_ms = S_RESEND_MS;
    r.t0 = r.last_progress = r.last_msg = s_now();
    r.have_done = !o->resume || docs->n == 0;
    cq_wire_msg_t *in = cq_xmalloc(sizeof *in);
    cq_wire_msg_init(in);
    int rc = 0;
    for (;;) {
        if (o->stop && *o->stop) {
            res->interrupted = true;
            break;
        }
        rc = r.have_done ? s_send_new(&r) : s_have_next(&r);
        if (rc != 0)
            break;
        if ((o->wait ? r.completed == docs->n : r.rcvd == docs->n) && r.sealed)
            break;
        int wait_ms = 100;
        if (o->send_at && r.have_done && !r.has_new && r.next < docs->n) {
            double due = o->sched_t0 + o->send_at[r.next] - s_now();
            wait_ms = due <= 0 ? 0 : due < 100 ? (int)due + 1 : 100;
        }
        int k = cq_bclient_recv(c, in, wait_ms);
        if (k == 0) {
            r.last_msg = s_now();
            res->reachable = true;
            rc = s_dispatch(&r, in);
        } else if (k != CQ_ETIMEDOUT && k != CQ_EPROTO) {
            rc = k;
        }
        if (rc == 0)
            rc = s_tick(&r);
        if (rc != 0)
            break;
        s_progress(&r, false);
    }
    res->elapsed_s = (s_now() - r.t0) / 1000.0;
    res->sealed = r.sealed;
    s_progress(&r, true);
    cq_wire_msg_close(in);
    free(in);
    for (size_t i = 0; i < docs->n; i++)
        free(r.l[i].seen);
    free(r.l);
    free(r.d);
    free(r.pend);
    free(r.walk.nil_doc);
    free(r.walk.nil_index);
    cq_u64map_free(&r.ids);
    return rc;
}
