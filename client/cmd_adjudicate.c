//  claimq adjudicate: decides claim files in one process, in file order,
//  with the same engine as the workers: a dry run for users and the oracle
//  the distributed system is tested against (docs/architecture.md).
//
//  Documents are JSON / JSON Lines, X12 837 (cq_doc_decode) or scanned
//  forms (ocr/ocr.h). Decisions go out only after the ledger committed
//  them (with --ledger), in batches of S_COMMIT_EVERY.
#include "cmds.h"
#include "out835.h"
#include "date.h"
#include "decision.h"
#include "doc.h"
#include "engine.h"
#include "hash.h"
#include "ledger.h"
#include "log.h"
#include "mem.h"
#include "ocr.h"
#include "opts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_COMMIT_EVERY 8192 // decisions per ledger transaction
#define S_CHUNK                                                                \
    (32u << 20) // JSON Lines over the document cap are read
                // in pieces of about this size
#define S_STDIN_MAX CQ_JSON_MAX_DOC

//  ---- output formats ------------------------------------------------------
//  One writer per format; a format is three functions. Output is held in
//  memory until the ledger has committed what it shows.

typedef struct s_out s_out_t;
struct s_out {
    const char *name;         // "jsonl"
    int (*begin)(s_out_t *o); // before any decision
    int (*decision)(s_out_t *o, const cq_claim_t *c,
                    const cq_decision_t *d); // one decision
    int (*end)(s_out_t *o);                  // after the last one
    cq_buf_t buf;                            // pending output
    FILE *f;                                 // destination
    cq_ledger_t *ledger; // or NULL: where the decision JSON may be already
    cq_out835_t *o835;   // the 835 writer (--format 835)
};

static int
s_jsonl_begin(s_out_t *o)
{
    return 0;
}

static int
s_jsonl_decision(s_out_t *o, const cq_claim_t *c, const cq_decision_t *d)
{
    //  the ledger encoded (and hashed) this very decision a moment ago
    size_t n;
    const char *json =
        o->ledger ? cq_ledger_last_json(o->ledger, d->ledger_seq, &n) : NULL;
    int rc =
        json ? cq_buf_add(&o->buf, json, n) : cq_decision_to_json(d, &o->buf);
    if (rc == 0)
        rc = cq_buf_add(&o->buf, "\n", 1);
    return rc;
}

static int
s_jsonl_end(s_out_t *o)
{
    return 0;
}

//  X12 835 remittance (client/out835.h): one ST per payer and billing
//  provider, balanced; pended claims are not final and are left out.
static int
s_835_begin(s_out_t *o)
{
    o->o835 = cq_out835_new_buf(&o->buf, CQ_DATE_NONE);
    return 0;
}

static int
s_835_decision(s_out_t *o, const cq_claim_t *c, const cq_decision_t *d)
{
    return cq_out835_add(o->o835, c, d);
}

static int
s_835_end(s_out_t *o)
{
    int rc = cq_out835_finish(o->o835);
    cq_out835_destroy(&o->o835);
    return rc;
}

static const s_out_t s_formats[] = {
    {"jsonl",
     s_jsonl_begin,
     s_jsonl_decision,
     s_jsonl_end,
     {0},
     NULL,
     NULL,
     NULL},
    {"835", s_835_begin, s_835_decision, s_835_end, {0}, NULL, NULL, NULL},
};

//  Writes out what is pending. 0 or CQ_EIO.
static int
s_out_flush(s_out_t *o)
{
    if (o->buf.len > 0 &&
        fwrite(o->buf.data, 1, o->buf.len, o->f) != o->buf.len)
        return CQ_EIO;
    cq_buf_reset(&o->buf);
    return 0;
}

//  ---- the run ---------------------------------------------------------------

typedef struct {
    char **v;
    size_t n, cap;
} s_paths_t;

//  Claims go from the decoding thread to the deciding one through a ring
//  of S_RING slots: decoding (JSON, X12, OCR) overlaps deciding, and the
//  decider sees the next claim early enough to prefetch for it.
#define S_RING 256

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    cq_claim_t *slots;  // S_RING claims
    const char **docs;  // the document of each slot (for messages)
    size_t head, count; // next slot to decide; slots filled
    bool done;          // the decoder has finished
    bool stop;          // the decider asks the decoder to stop
    bool dec_waits;     // the decoder waits for room
    bool cons_waits;    // the decider waits for claims
} s_ring_t;

//  Wake-ups in batches: a futex call per claim would cost more than
//  deciding it.
#define S_WAKE_DECIDER 32 // claims ready before the decider is woken
#define S_RELEASE 16      // claims decided before their slots are freed

typedef struct {
    cq_engine_t *engine;
    cq_state_t *state;
    cq_ledger_t *ledger; // or NULL (state in memory)
    cq_state_t *mem;     // the memory state when there is no ledger
    cq_ocr_t *ocr;       // made at the first image
    bool ocr_failed;     // and not again after it failed
    s_out_t out;
    cq_decide_opts_t opts;
    int32_t received; // --received-date or CQ_DATE_NONE
    cq_decision_t *d; // scratch decision
    //  counts
    uint64_t claims, accept, reject, pend, replayed;
    size_t since_commit;
    int err; // first runtime error (cq_err_t), stops the run
    //  the decoding thread's
    const char *doc_name; // the document being decoded
    s_ring_t ring;
    s_paths_t *paths; // inputs
    size_t bad_docs;  // documents unusable as a whole
    bool scope_ids;   // name "#<n>" claims "#<doc_tag>:<n>" (OCR)
    char doc_tag[9];  // 8 hex digits of the document's SHA-256
} s_run_t;

static int
s_commit(s_run_t *r)
{
    if (r->ledger) {
        int rc = cq_ledger_commit(r->ledger);
        if (rc != 0) {
            fprintf(stderr, "claimq adjudicate: ledger commit failed: %s\n",
                    cq_strerror(rc));
            return rc;
        }
    }
    r->since_commit = 0;
    if (s_out_flush(&r->out) != 0) {
        fprintf(stderr, "claimq adjudicate: cannot write the output: %s\n",
                strerror(errno));
        return CQ_EIO;
    }
    return 0;
}

//  Decides one claim (the deciding thread).
static int
s_decide(s_run_t *r, const cq_claim_t *c, const char *doc)
{
    bool replayed = false;
    int rc = cq_engine_decide_with(r->engine, r->state, c, r->received,
                                   &r->opts, r->d, &replayed);
    if (rc != 0) {
        fprintf(stderr,
                "claimq adjudicate: %s: claim %s: cannot record the "
                "decision: %s\n",
                doc, c->claim_id, cq_strerror(rc));
        r->err = rc;
        return rc;
    }
    r->claims++;
    r->replayed += replayed;
    switch (r->d->decision) {
    case CQ_DECISION_ACCEPT:
        r->accept++;
        break;
    case CQ_DECISION_REJECT:
        r->reject++;
        break;
    default:
        r->pend++;
        break;
    }
    if ((rc = r->out.decision(&r->out, c, r->d)) != 0) {
        fprintf(stderr, "claimq adjudicate: output too large\n");
        r->err = rc;
        return rc;
    }
    if (++r->since_commit >= S_COMMIT_EVERY && (rc = s_commit(r)) != 0) {
        r->err = rc;
        return rc;
    }
    return 0;
}

//  Called for each decoded claim (the decoding thread): into the ring.
static int
s_on_claim(void *arg, cq_claim_t *c)
{
    s_run_t *r = arg;
    s_ring_t *q = &r->ring;
    if (c->received_date == CQ_DATE_NONE)
        c->received_date = r->received;
    if (r->scope_ids) // doc_tag is already set: the document is not read
        cq_doc_scope_id(NULL, 0, r->doc_tag, c);
    pthread_mutex_lock(&q->mu);
    while (q->count == S_RING && !q->stop) {
        q->dec_waits = true;
        pthread_cond_wait(&q->not_full, &q->mu);
        q->dec_waits = false;
    }
    if (q->stop) {
        pthread_mutex_unlock(&q->mu);
        return CQ_EIO;
    }
    size_t at = (q->head + q->count) % S_RING;
    pthread_mutex_unlock(&q->mu);
    //  the slot is the decoder's until count covers it. Copy what is used:
    //  the fields before the lines, the lines in use, the fields after,
    //  the audit text's string.
    cq_claim_t *dst = &q->slots[at];
    size_t nl = c->n_lines <= CQ_MAX_LINES ? c->n_lines : CQ_MAX_LINES;
    size_t na = strnlen(c->review_audit, sizeof c->review_audit - 1);
    memcpy(dst, c, offsetof(cq_claim_t, lines));
    memcpy(dst->lines, c->lines, nl * sizeof c->lines[0]);
    memcpy(&dst->n_lines, &c->n_lines,
           offsetof(cq_claim_t, review_audit) - offsetof(cq_claim_t, n_lines));
    memcpy(dst->review_audit, c->review_audit, na);
    dst->review_audit[na] = '\0';
    q->docs[at] = r->doc_name;
    pthread_mutex_lock(&q->mu);
    q->count++;
    if (q->cons_waits && q->count >= S_WAKE_DECIDER)
        pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

//  Wakes the decider for what is in the ring (end of a document).
static void
s_ring_flush(s_ring_t *q)
{
    pthread_mutex_lock(&q->mu);
    if (q->cons_waits && q->count > 0)
        pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

static bool
s_stopped(s_run_t *r)
{
    pthread_mutex_lock(&r->ring.mu);
    bool stop = r->ring.stop;
    pthread_mutex_unlock(&r->ring.mu);
    return stop;
}

//  Decodes one document (bytes in memory) into the ring. Returns 0, or -1
//  when the document as a whole is unusable (reported).
static int
s_document(s_run_t *r, const char *name, const uint8_t *p, size_t n)
{
    cq_diag_t diag = {0};
    r->doc_name = name;
    cq_doc_kind_t kind = cq_doc_sniff(p, n);
    int rc;
    if (kind == CQ_DOC_IMAGE) {
        if (r->ocr == NULL && !r->ocr_failed) {
            cq_ocr_opts_t o;
            cq_ocr_opts_init(&o);
            r->ocr = cq_ocr_new(&o, &diag);
            if (r->ocr == NULL) {
                r->ocr_failed = true;
                fprintf(stderr, "claimq adjudicate: %s: OCR unavailable: %s\n",
                        name, diag.msg);
                return -1;
            }
        }
        if (r->ocr == NULL)
            return -1;
        //  an unreadable page is "#<page>": scope it by the file as
        //  cq_doc_decode does for other documents
        uint8_t h[32];
        cq_sha256(p, n, h);
        snprintf(r->doc_tag, sizeof r->doc_tag, "%02x%02x%02x%02x", h[0], h[1],
                 h[2], h[3]);
        r->scope_ids = true;
        rc = cq_ocr_read(r->ocr, p, n, s_on_claim, r, &diag);
        r->scope_ids = false;
    } else if (kind == CQ_DOC_JSON && n > CQ_JSON_MAX_DOC) {
        //  JSON Lines too big for one document: in pieces cut at line ends
        //  (each piece is a document: a record without a usable claim_id
        //  is named after its piece, doc.c)
        size_t at = 0;
        rc = 0;
        while (at < n && !s_stopped(r)) {
            size_t end = at + S_CHUNK < n ? at + S_CHUNK : n;
            while (end < n && p[end - 1] != '\n')
                end++;
            int k = cq_doc_decode(p + at, end - at, r->received, s_on_claim, r,
                                  &diag);
            if (k < 0) {
                rc = k;
                break;
            }
            at = end;
        }
    } else {
        rc = cq_doc_decode(p, n, r->received, s_on_claim, r, &diag);
    }
    if (s_stopped(r))
        return -1;
    if (rc < 0) {
        fprintf(stderr, "claimq adjudicate: %s: %s\n", name,
                diag.msg[0] ? diag.msg : cq_strerror(rc));
        return -1;
    }
    return 0;
}

//  Maps (or reads, for stdin) one input and decides it.
static int
s_input(s_run_t *r, const char *path)
{
    if (strcmp(path, "-") == 0) {
        cq_buf_t b;
        cq_buf_init(&b, S_STDIN_MAX);
        char chunk[65536];
        size_t k;
        int rc = 0;
        while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0)
            if ((rc = cq_buf_add(&b, chunk, k)) != 0)
                break;
        if (rc != 0 || ferror(stdin)) {
            fprintf(stderr, "claimq adjudicate: -: %s\n",
                    rc ? "standard input over 256 MiB" : strerror(errno));
            cq_buf_free(&b);
            return -1;
        }
        rc = s_document(r, "-", (const uint8_t *)(b.data ? b.data : ""), b.len);
        cq_buf_free(&b);
        return rc;
    }
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "claimq adjudicate: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        close(fd);
        return s_document(r, path, (const uint8_t *)"", 0);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        fprintf(stderr, "claimq adjudicate: %s: %s\n", path, strerror(errno));
        return -1;
    }
    madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
    int rc = s_document(r, path, map, (size_t)st.st_size);
    munmap(map, (size_t)st.st_size);
    return rc;
}

//  The decoding thread: every input in order, then done.
static void *
s_decoder(void *arg)
{
    s_run_t *r = arg;
    for (size_t i = 0; i < r->paths->n && !s_stopped(r); i++) {
        if (s_input(r, r->paths->v[i]) != 0 && !s_stopped(r))
            r->bad_docs++;
        s_ring_flush(&r->ring);
    }
    pthread_mutex_lock(&r->ring.mu);
    r->ring.done = true;
    pthread_cond_signal(&r->ring.not_empty);
    pthread_mutex_unlock(&r->ring.mu);
    return NULL;
}

//  The deciding side: takes claims from the ring in order until the
//  decoder is done or a decision cannot be recorded.
static void
s_decide_all(s_run_t *r)
{
    s_ring_t *q = &r->ring;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->count == 0 && !q->done) {
            q->cons_waits = true;
            pthread_cond_wait(&q->not_empty, &q->mu);
            q->cons_waits = false;
        }
        size_t have = q->count, at = q->head;
        pthread_mutex_unlock(&q->mu);
        if (have == 0)
            return; // done
        //  decide what is there, prefetching for the claim after each;
        //  free the slots every S_RELEASE claims
        size_t decided = 0;
        int rc = 0;
        for (size_t k = 0; k < have && rc == 0; k++) {
            size_t i = (at + k) % S_RING;
            if (k + 2 < have)
                cq_engine_prefetch(r->engine, r->state,
                                   &q->slots[(i + 2) % S_RING], 2);
            if (k + 1 < have)
                cq_engine_prefetch(r->engine, r->state,
                                   &q->slots[(i + 1) % S_RING], 1);
            rc = s_decide(r, &q->slots[i], q->docs[i]);
            decided++;
            if (decided == S_RELEASE || k + 1 == have || rc != 0) {
                pthread_mutex_lock(&q->mu);
                q->head = (q->head + decided) % S_RING;
                q->count -= decided;
                if (rc != 0)
                    q->stop = true;
                if (q->dec_waits &&
                    (q->count <= S_RING - S_WAKE_DECIDER || rc != 0))
                    pthread_cond_signal(&q->not_full);
                pthread_mutex_unlock(&q->mu);
                decided = 0;
            }
        }
        if (rc != 0)
            return;
    }
}

//  ---- inputs ------------------------------------------------------------

static void
s_paths_add(s_paths_t *p, const char *s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = cq_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = cq_xstrdup(s);
}

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

//  Expands an argument: "-", a file, or a directory's regular files
//  (sorted by name, hidden ones skipped). Returns 0 or -1 (reported).
static int
s_expand(s_paths_t *p, const char *arg)
{
    if (strcmp(arg, "-") == 0) {
        s_paths_add(p, arg);
        return 0;
    }
    struct stat st;
    if (stat(arg, &st) != 0) {
        fprintf(stderr, "claimq adjudicate: %s: %s\n", arg, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        s_paths_add(p, arg);
        return 0;
    }
    DIR *dir = opendir(arg);
    if (dir == NULL) {
        fprintf(stderr, "claimq adjudicate: %s: %s\n", arg, strerror(errno));
        return -1;
    }
    s_paths_t names = {0};
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t k = strlen(arg) + strlen(e->d_name) + 2;
        char *full = cq_xmalloc(k);
        bool slash = arg[0] && arg[strlen(arg) - 1] == '/';
        snprintf(full, k, "%s%s%s", arg, slash ? "" : "/", e->d_name);
        struct stat s2;
        if (stat(full, &s2) == 0 && S_ISREG(s2.st_mode))
            s_paths_add(&names, full);
        free(full);
    }
    closedir(dir);
    qsort(names.v, names.n, sizeof *names.v, s_cmp);
    for (size_t i = 0; i < names.n; i++) {
        s_paths_add(p, names.v[i]);
        free(names.v[i]);
    }
    free(names.v);
    return 0;
}

//  ---- command line
//  ------------------------------------------------------------

static void
s_help(void)
{
    printf(
        "usage: claimq adjudicate --plan FILE --members FILE [OPTIONS] "
        "FILES...\n"
        "\n"
        "Decides claims in one process, in file order, with the rules engine "
        "of the\nworkers, and writes one decision per claim (JSON Lines, "
        "docs/formats.md \"Decision\").\nA dry run for users, and the oracle "
        "the "
        "distributed system is tested against.\n"
        "\n"
        "FILES are claim documents: JSON (one claim, an array, or JSON "
        "Lines), X12 837,\nor scanned CMS-1500 forms (PNG, JPEG, TIFF, PDF); a "
        "directory means every regular\nfile in it, sorted by name; - reads "
        "standard input.\n"
        "\n"
        "options:\n"
        "  -p, --plan FILE           plan rules (JSON, docs/formats.md \"Plan "
        "rules\")\n"
        "  -m, --members FILE        member roster (JSON Lines or CSV)\n"
        "  -l, --ledger FILE         keep member state in this SQLite ledger "
        "(created if\n"
        "                            needed); without it, state is in memory "
        "only\n"
        "  -r, --received-date DATE  received date (YYYY-MM-DD) of claims "
        "whose input\n"
        "                            carries none (default: today)\n"
        "  -o, --output FILE         write decisions to FILE (default: "
        "standard output)\n"
        "  -f, --format FORMAT       output format: jsonl (default) or 835 "
        "(X12 835\n"
        "                            remittance; pended claims left out)\n"
        "  -b, --batch ID            batch_id written into decisions "
        "(default: none)\n"
        "  -n, --node ID             node written into decisions (default: "
        "local)\n"
        "  -q, --quiet               no summary line on standard error\n"
        "  -h, --help                this help\n"
        "\n"
        "A resubmitted claim key gets the decision made before. The summary "
        "(counts per\ndecision) goes to standard error.\n"
        "\n"
        "exit codes: 0 ok, 1 failure (unreadable input, ledger write), 2 "
        "usage,\n"
        "            3 bad plan, roster or ledger\n");
}

static int s_usage(const char *fmt, ...) CQ_PRINTF(1, 2);

static int
s_usage(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "claimq adjudicate: %s\nTry 'claimq adjudicate --help'.\n",
            msg);
    return CQ_EXIT_USAGE;
}

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
cq_cmd_adjudicate(int argc, char **argv)
{
    //  Scanned forms among the inputs are OCRed here: OpenMP must be
    //  limited before the process starts (docs/ocr.md).
    char **full = cq_xcalloc((size_t)argc + 2, sizeof *full);
    full[0] = "claimq";
    for (int i = 0; i < argc; i++)
        full[1 + i] = argv[i];
    cq_ocr_ensure_env(full);
    free(full);

    static const struct option longs[] = {
        {"plan", required_argument, NULL, 'p'},
        {"members", required_argument, NULL, 'm'},
        {"ledger", required_argument, NULL, 'l'},
        {"received-date", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"batch", required_argument, NULL, 'b'},
        {"node", required_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *plan = NULL, *members = NULL, *ledger_path = NULL;
    const char *output = NULL, *format = "jsonl", *batch = "";
    const char *node = "local";
    int32_t received = CQ_DATE_NONE;
    bool quiet = false;
    int ch;
    while ((ch = cq_getopt(argc, argv, "p:m:l:r:o:f:b:n:qh", longs,
                           "claimq adjudicate")) != -1) {
        switch (ch) {
        case 'p':
            plan = optarg;
            break;
        case 'm':
            members = optarg;
            break;
        case 'l':
            ledger_path = optarg;
            break;
        case 'r':
            if (cq_date_parse(optarg, strlen(optarg), &received) != 0)
                return s_usage("--received-date: not a date (YYYY-MM-DD): %s",
                               optarg);
            break;
        case 'o':
            output = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'b':
            if (strlen(optarg) >= sizeof((cq_decision_t *)0)->batch_id)
                return s_usage("--batch: longer than 63 characters");
            batch = optarg;
            break;
        case 'n':
            if (optarg[0] == '\0' || strlen(optarg) >= CQ_ID_LEN)
                return s_usage("--node: 1 to 39 characters");
            node = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (plan == NULL || members == NULL)
        return s_usage("--plan and --members are required");
    if (optind >= argc)
        return s_usage("no claim files given (use - for standard input)");
    const s_out_t *fmt = NULL;
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_formats); i++)
        if (strcmp(format, s_formats[i].name) == 0)
            fmt = &s_formats[i];
    if (fmt == NULL)
        return s_usage("--format: unknown format %s (known: jsonl, 835)",
                       format);

    //  inputs first: a missing file stops us before any decision
    s_paths_t paths = {0};
    int exit_code = CQ_EXIT_OK;
    for (int i = optind; i < argc; i++)
        if (s_expand(&paths, argv[i]) != 0)
            exit_code = CQ_EXIT_FAIL;
    if (exit_code != CQ_EXIT_OK)
        goto out_paths;

    double t0 = s_now();
    cq_diag_t diag = {0};
    s_run_t r;
    memset(&r, 0, sizeof r);
    r.engine = cq_engine_new(plan, members, &diag);
    if (r.engine == NULL) {
        fprintf(stderr, "claimq adjudicate: %s\n", diag.msg);
        exit_code = CQ_EXIT_SETUP;
        goto out_paths;
    }
    cq_engine_set_node(r.engine, node);
    if (ledger_path) {
        r.ledger = cq_ledger_open(ledger_path, node, &diag);
        if (r.ledger == NULL) {
            fprintf(stderr, "claimq adjudicate: %s\n", diag.msg);
            exit_code = CQ_EXIT_SETUP;
            goto out_engine;
        }
        r.state = cq_ledger_state(r.ledger);
    } else {
        r.mem = cq_state_new_memory();
        r.state = r.mem;
    }
    r.out = *fmt;
    r.out.ledger = r.ledger;
    cq_buf_init(&r.out.buf, SIZE_MAX / 2);
    r.out.f = stdout;
    if (output && (r.out.f = fopen(output, "w")) == NULL) {
        fprintf(stderr, "claimq adjudicate: %s: %s\n", output, strerror(errno));
        exit_code = CQ_EXIT_FAIL;
        goto out_state;
    }
    r.opts.batch_id = batch;
    r.opts.node = node;
    r.received = received;
    r.d = cq_xmalloc(sizeof *r.d);

    if (r.out.begin(&r.out) != 0)
        r.err = CQ_EIO;
    r.paths = &paths;
    r.ring.slots = cq_xmalloc(S_RING * sizeof *r.ring.slots);
    r.ring.docs = cq_xcalloc(S_RING, sizeof *r.ring.docs);
    pthread_mutex_init(&r.ring.mu, NULL);
    pthread_cond_init(&r.ring.not_empty, NULL);
    pthread_cond_init(&r.ring.not_full, NULL);
    pthread_t decoder;
    if (r.err == 0) {
        if (pthread_create(&decoder, NULL, s_decoder, &r) != 0) {
            fprintf(stderr, "claimq adjudicate: cannot start a thread\n");
            r.err = CQ_EIO;
        } else {
            s_decide_all(&r);
            pthread_join(decoder, NULL);
        }
    }
    size_t bad_docs = r.bad_docs;
    pthread_mutex_destroy(&r.ring.mu);
    pthread_cond_destroy(&r.ring.not_empty);
    pthread_cond_destroy(&r.ring.not_full);
    free(r.ring.slots);
    free(r.ring.docs);
    if (r.err == 0 && r.out.end(&r.out) != 0)
        r.err = CQ_EIO;
    if (r.err == 0)
        r.err = s_commit(&r);
    else if (r.ledger)
        //  decisions after the last commit are not in the ledger: drop
        //  them from the output too
        cq_buf_reset(&r.out.buf);
    if (fflush(r.out.f) != 0 && r.err == 0) {
        fprintf(stderr, "claimq adjudicate: cannot write the output: %s\n",
                strerror(errno));
        r.err = CQ_EIO;
    }
    if (r.err != 0 || bad_docs > 0)
        exit_code = CQ_EXIT_FAIL;

    double secs = s_now() - t0;
    if (!quiet)
        fprintf(stderr,
                "claimq adjudicate: %llu claims: %llu accept, %llu reject, "
                "%llu pend (%llu replayed); %zu files, %zu unusable; %.2f s, "
                "%.0f claims/s\n",
                (unsigned long long)r.claims, (unsigned long long)r.accept,
                (unsigned long long)r.reject, (unsigned long long)r.pend,
                (unsigned long long)r.replayed, paths.n, bad_docs, secs,
                secs > 0 ? (double)r.claims / secs : 0.0);

    if (output && r.out.f && fclose(r.out.f) != 0 && exit_code == 0) {
        fprintf(stderr, "claimq adjudicate: %s: %s\n", output, strerror(errno));
        exit_code = CQ_EXIT_FAIL;
    }
    free(r.d);
    cq_buf_free(&r.out.buf);
    cq_ocr_destroy(&r.ocr);
out_state:
    cq_ledger_destroy(&r.ledger);
    cq_state_destroy(&r.mem);
out_engine:
    cq_engine_destroy(&r.engine);
out_paths:
    for (size_t i = 0; i < paths.n; i++)
        free(paths.v[i]);
    free(paths.v);
    return exit_code;
}
