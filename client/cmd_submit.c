//  claimq submit: send claim files to a broker; with --wait, write every
//  decision (in document order) and a summary.
#include "bclient.h"
#include "cmds.h"
#include "fmt.h"
#include "log.h"
#include "mem.h"
#include "submit.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
s_help(void)
{
    printf(
        "usage: claimq submit [OPTIONS] FILES|DIRS\n\n"
        "Sends claim documents (X12 837, claim JSON / JSON Lines, scanned\n"
        "forms) to a broker as one batch. Directories are read recursively\n"
        "(sorted by name). JSON Lines files (.jsonl, .ndjson) go in pieces\n"
        "of --chunk records, so that workers decode them in parallel.\n\n"
        "Without --wait: prints the batch id on stdout once the broker has\n"
        "received every document. With --wait: waits for every decision and\n"
        "writes them, in document order, to --output (or stdout), then a\n"
        "summary: counts per decision and per CARC (to stderr; also as one\n"
        "JSON object on stdout when --output is given). A claim key already\n"
        "decided returns the decision made then.\n\n"
        "options:\n"
        "  --broker URL     broker frontend (default $CLAIMQ_BROKER, else\n"
        "                   %s)\n"
        "  --batch ID       batch id, [A-Za-z0-9._:-]{1,63} (default: made\n"
        "                   up: b-YYYYMMDD-HHMMSS-RANDOM); submitting the "
        "same\n"
        "                   documents to the same batch again is idempotent\n"
        "  --wait           wait for every decision\n"
        "  --output FILE    write decisions to FILE (with --wait)\n"
        "  --format F       jsonl (default) or csv\n"
        "  --window N       documents in flight (default 32)\n"
        "  --chunk N        records per piece of a JSON Lines file (256)\n"
        "  --timeout S      give up after S seconds without progress\n"
        "                   (default 120; 0: never)\n"
        "  --quiet          no progress on stderr\n"
        "  -h, --help       this help\n\n"
        "Progress goes to stderr: a bar on a terminal, else a line every 2 s.\n"
        "A broker that restarts (on its journal) or whose journal is full\n"
        "is ridden through: documents it has not received are sent again\n"
        "(it recognises those it has), decisions missed are read back;\n"
        "each claim is counted once.\n"
        "exit codes: 0 ok, 1 a file cannot be read or a document or claim\n"
        "failed, or the broker lost the batch (restarted without a journal),\n"
        "2 usage, 4 broker unreachable or no progress for --timeout\n",
        CQ_BROKER_DEFAULT);
}

static int
s_usage(const char *msg)
{
    fprintf(stderr, "claimq submit: %s\nTry 'claimq submit --help'.\n", msg);
    return CQ_EXIT_USAGE;
}

//  Decisions of one document until it can be written in order.
typedef struct {
    cq_buf_t text; // its lines, in arrival order
    uint32_t *off; // per claim: offset into text + 1 (0: none yet)
    uint32_t *len;
    uint32_t cap;
    bool complete;
    uint32_t n_claims;
} s_docout_t;

typedef struct {
    FILE *out; // decisions go here (NULL: not kept)
    cq_fmt_t fmt;
    s_docout_t *docs;
    size_t n_docs;
    size_t next_write; // next document to write
    cq_summary_t sum;
    const cq_sdocs_t *sdocs;
    uint64_t doc_errors;
    cq_buf_t line;
} s_ctx_t;

static void
s_on_decision(void *arg, size_t doc, uint32_t index, const cq_decision_t *d,
              double latency_ms)
{
    (void)latency_ms;
    s_ctx_t *x = arg;
    cq_summary_add(&x->sum, d);
    if (d == NULL || x->out == NULL)
        return;
    s_docout_t *o = &x->docs[doc];
    if (index >= o->cap) {
        uint32_t cap = o->cap ? o->cap : 64;
        while (cap <= index)
            cap *= 2;
        o->off = cq_xrealloc(o->off, cap * sizeof *o->off);
        o->len = cq_xrealloc(o->len, cap * sizeof *o->len);
        memset(o->off + o->cap, 0, (cap - o->cap) * sizeof *o->off);
        o->cap = cap;
    }
    if (o->text.max == 0)
        cq_buf_init(&o->text, (size_t)1 << 31);
    size_t at = o->text.len;
    cq_fmt_decision(x->fmt, d, &o->text);
    o->off[index] = (uint32_t)at + 1;
    o->len[index] = (uint32_t)(o->text.len - at);
}

static void
s_on_doc(void *arg, size_t doc, uint32_t n_claims, int status,
         const char *message)
{
    s_ctx_t *x = arg;
    x->docs[doc].n_claims = n_claims;
    if (status < 0) {
        x->doc_errors++;
        const cq_sdoc_t *sd = &x->sdocs->v[doc];
        fprintf(stderr, "claimq: %s", sd->name);
        if (sd->first_record > 1)
            fprintf(stderr, " (from record %u)", sd->first_record);
        fprintf(stderr, ": %s\n",
                message && *message ? message : cq_strerror(status));
    }
}

static void
s_flush(s_ctx_t *x)
{
    while (x->next_write < x->n_docs && x->docs[x->next_write].complete) {
        s_docout_t *o = &x->docs[x->next_write];
        if (x->out)
            for (uint32_t i = 0; i < o->n_claims && i < o->cap; i++)
                if (o->off[i])
                    fwrite(o->text.data + o->off[i] - 1, 1, o->len[i], x->out);
        cq_buf_free(&o->text);
        free(o->off);
        free(o->len);
        o->off = o->len = NULL;
        x->next_write++;
    }
}

static void
s_on_doc_complete(void *arg, size_t doc)
{
    s_ctx_t *x = arg;
    x->docs[doc].complete = true;
    s_flush(x);
}

static void
s_batch_id(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned r = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r)
        r = (unsigned)getpid() ^ (unsigned)t;
    if (fd >= 0)
        close(fd);
    char ts[32];
    strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
    snprintf(out, n, "b-%s-%06x", ts, r & 0xffffff);
}

static bool
s_num(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int
cq_cmd_submit(int argc, char **argv)
{
    const char *broker = NULL, *output = NULL, *format = "jsonl";
    char batch[CQ_BATCH_ID_LEN] = "";
    bool wait = false, quiet = false;
    long window = 32, chunk = 256, timeout = 120;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"batch", required_argument, NULL, 'B'},
        {"wait", no_argument, NULL, 'w'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"window", required_argument, NULL, 'W'},
        {"chunk", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 'B':
            if (cq_strlcpy(batch, optarg, sizeof batch) != 0 ||
                !cq_proto_batch_id_ok(batch))
                return s_usage("--batch: expected [A-Za-z0-9._:-]{1,63}");
            break;
        case 'w':
            wait = true;
            break;
        case 'o':
            output = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'W':
            if (!s_num(optarg, 1, 100000, &window))
                return s_usage("--window: expected 1..100000");
            break;
        case 'c':
            if (!s_num(optarg, 1, 1000000, &chunk))
                return s_usage("--chunk: expected 1..1000000");
            break;
        case 't':
            if (!s_num(optarg, 0, 86400 * 365, &timeout))
                return s_usage("--timeout: expected seconds >= 0");
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default:
            return s_usage("unknown option or missing argument");
        }
    }
    if (optind >= argc)
        return s_usage("no files given");
    cq_fmt_t fmt;
    if (cq_fmt_parse(format, &fmt) != 0)
        return s_usage("--format: jsonl or csv");
    if (output && !wait)
        return s_usage("--output needs --wait");
    if (batch[0] == '\0')
        s_batch_id(batch, sizeof batch);

    cq_sdocs_t docs;
    cq_sdocs_init(&docs);
    for (int i = optind; i < argc; i++) {
        cq_diag_t diag = {0};
        if (cq_sdocs_add_path(&docs, argv[i], (uint32_t)chunk, &diag) != 0) {
            fprintf(stderr, "claimq submit: %s\n", diag.msg);
            cq_sdocs_free(&docs);
            return CQ_EXIT_FAIL; // unreadable, or a document over the cap
        }
    }
    if (docs.n == 0) {
        cq_sdocs_free(&docs);
        return s_usage("no documents found");
    }
    FILE *out = NULL;
    if (wait) {
        out = output ? fopen(output, "w") : stdout;
        if (out == NULL) {
            fprintf(stderr, "claimq submit: %s: %s\n", output, strerror(errno));
            cq_sdocs_free(&docs);
            return CQ_EXIT_FAIL;
        }
    }
    s_ctx_t x;
    memset(&x, 0, sizeof x);
    x.out = out;
    x.fmt = fmt;
    x.docs = cq_xcalloc(docs.n, sizeof *x.docs);
    x.n_docs = docs.n;
    x.sdocs = &docs;
    cq_summary_init(&x.sum);
    if (out) {
        cq_buf_t h;
        cq_buf_init(&h, 4096);
        cq_fmt_header(fmt, &h);
        if (h.len)
            fwrite(h.data, 1, h.len, out);
        cq_buf_free(&h);
    }

    const char *ep = cq_bclient_endpoint(broker);
    cq_bclient_t *c = cq_bclient_new(ep);
    if (c == NULL) {
        fprintf(stderr, "claimq submit: cannot connect to %s\n", ep);
        free(x.docs);
        cq_sdocs_free(&docs);
        return CQ_EXIT_USAGE;
    }
    cq_submit_opts_t o;
    memset(&o, 0, sizeof o);
    o.batch_id = batch;
    o.wait = wait;
    o.window = (uint32_t)window;
    o.timeout_ms =
        (int)(timeout * 1000 > INT32_MAX ? INT32_MAX : timeout * 1000);
    o.progress = !quiet;
    o.on_decision = s_on_decision;
    o.on_doc = s_on_doc;
    o.on_doc_complete = s_on_doc_complete;
    o.arg = &x;
    cq_submit_result_t res;
    int rc = cq_submit_run(c, &docs, &o, &res);
    cq_bclient_destroy(&c);
    int exit_code = CQ_EXIT_OK;
    if (rc == CQ_ETIMEDOUT) {
        fprintf(stderr,
                "claimq submit: %s from %s (batch %s: %llu of %zu documents "
                "received, %llu claims decided)\n",
                !res.reachable ? "broker unreachable: no answer"
                               : "no progress for --timeout",
                ep, batch, (unsigned long long)res.docs, docs.n,
                (unsigned long long)res.decided);
        if (res.holding)
            fprintf(stderr,
                    "claimq submit: the broker was refusing documents "
                    "(%s): %s\n",
                    cq_strerror(res.holding),
                    res.holding == CQ_ENOSPC ? "its journal is full"
                                             : "it is busy");
        exit_code = CQ_EXIT_TIMEOUT;
    } else if (rc != 0) {
        exit_code = CQ_EXIT_FAIL;
    }
    if (wait) {
        s_flush(&x);
        if (out && out != stdout)
            fclose(out);
        else if (out)
            fflush(out);
        cq_buf_t b;
        cq_buf_init(&b, 1 << 20);
        cq_summary_text(&x.sum, batch, &b);
        if (x.doc_errors)
            cq_buf_printf(&b, "  %llu documents failed (see above)\n",
                          (unsigned long long)x.doc_errors);
        cq_buf_printf(&b, "  %.2f s, %.0f claims/s\n", res.elapsed_s,
                      res.elapsed_s > 0 ? (double)res.decided / res.elapsed_s
                                        : 0.0);
        fputs(b.data, stderr);
        if (output) {
            cq_buf_reset(&b);
            cq_summary_json(&x.sum, batch, &b);
            printf("%s\n", b.data);
        }
        cq_buf_free(&b);
        if (exit_code == CQ_EXIT_OK && (x.doc_errors || res.failed))
            exit_code = CQ_EXIT_FAIL;
    } else if (exit_code == CQ_EXIT_OK) {
        printf("%s\n", batch);
    }
    for (size_t i = 0; i < x.n_docs; i++) {
        cq_buf_free(&x.docs[i].text);
        free(x.docs[i].off);
        free(x.docs[i].len);
    }
    free(x.docs);
    cq_sdocs_free(&docs);
    return exit_code;
}
