//  claimq submit: send claim files to a broker; with --wait, write every
//  decision (in document order) and a summary.
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
#include "date.h"
#include "fmt.h"
#include "hash.h"
#include "log.h"
#include "mem.h"
#include "submit.h"
#include "tab.h"
#include "opts.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
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
        "decided returns the decision made then. A batch holds each claim\n"
        "key once: claims whose key the batch already holds (a resumed run\n"
        "with another --chunk, a renamed copy of a file) are counted and\n"
        "written once; the summary says how many there were. Once every\n"
        "document is received the batch is sealed (`claimq status`: sealed;\n"
        "complete once every claim is final).\n\n"
        "Ctrl-C (SIGINT) or SIGTERM: stops within a moment, leaves the batch\n"
        "open, keeps --output whole (complete lines of complete documents),\n"
        "says what was sent and prints the command that resumes it (the\n"
        "same arguments with --batch ID). With --batch, submit first asks\n"
        "the broker which documents it holds already and sends only the\n"
        "others (it says how many it held); the held ones are not sent,\n"
        "decoded or decided again, and the resumed run's --output holds\n"
        "every decision of the batch, each once. Exit 130.\n\n"
        "options:\n"
        "  --broker URL     broker frontend, tcp://HOST:PORT or ipc://PATH\n"
        "                   (default $CLAIMQ_BROKER, else a local `claimq\n"
        "                   up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
        "                   claimq-data; else %s)\n"
        "  --batch ID       batch id, [A-Za-z0-9._:-]{1,63} (default: made\n"
        "                   up: b-YYYYMMDD-HHMMSS-RANDOM); submitting the "
        "same\n"
        "                   documents to the same batch again is idempotent\n"
        "                   (only those the broker lacks are sent)\n"
        "  --wait           wait for every decision\n"
        "  --until-final    with --wait: a pended claim is not done until a\n"
        "                   reviewer released it (`claimq review`) and its\n"
        "                   final decision came; pends are not written.\n"
        "                   --timeout defaults to 0 (never) with it\n"
        "  --output FILE    write decisions to FILE (with --wait)\n"
        "  --format F       jsonl (default) or csv\n"
        "  --window N       documents in flight (default 32)\n"
        "  --chunk N        records per piece of a JSON Lines file (256)\n"
        "  --timeout S      give up after S seconds without progress\n"
        "                   (default 120; 0: never)\n"
        "  --received-date YYYY-MM-DD\n"
        "                   the date the claims were received (a back-dated\n"
        "                   batch, a replay; recorded as set by the\n"
        "                   submitter); default: the day the broker\n"
        "                   receives each document. A date in the future is\n"
        "                   refused by the broker (exit 5)\n"
        "  --quiet          no progress on stderr\n"
        "  -h, --help       this help\n\n"
        "Progress goes to stderr: a bar on a terminal, else a line every 2 s.\n"
        "A broker that restarts (on its journal) or whose journal is full\n"
        "is ridden through: documents it has not received are sent again\n"
        "(it recognises those it has), decisions missed are read back;\n"
        "each claim is counted once.\n"
        "With --wait and no worker registered, it says so once and waits\n"
        "(--timeout still applies).\n"
        "exit codes: 0 ok, 1 a file cannot be read or a document or claim\n"
        "failed, or the broker lost the batch (restarted without a journal),\n"
        "2 usage, 3 the address is the broker's worker endpoint, 4 broker\n"
        "unreachable or no progress for --timeout, 5 refused: the broker\n"
        "refused X12 transaction sets at intake (their claims were not\n"
        "taken; `claimq results BATCH --format 999` says why) or the\n"
        "documents themselves (e.g. a received date in the future),\n"
        "130 interrupted (SIGINT, SIGTERM)\n",
        CQ_BROKER_DEFAULT);
}

#define S_PROG "claimq submit"

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
    FILE *out;   // decisions go here (NULL: not kept)
    int out_err; // errno of a failed write
    cq_fmt_t fmt;
    s_docout_t *docs;
    size_t n_docs;
    size_t next_write; // next document to write
    cq_summary_t sum;
    const cq_sdocs_t *sdocs;
    uint64_t doc_errors;
    cq_u64map_t written; // claim keys (hashed) of the decisions written
    cq_buf_t line;
} s_ctx_t;

//  The claim key of a decision (claim.h: payer|npi|claim_id|frequency),
//  hashed.
static uint64_t
s_key(const cq_decision_t *d)
{
    char key[CQ_KEY_LEN];
    int n =
        snprintf(key, sizeof key, "%s|%s|%s|%c", d->payer_id, d->billing_npi,
                 d->claim_id, d->frequency ? d->frequency : '1');
    return cq_hash64(key, n > 0 ? (size_t)n : 0, 0);
}

//  Writes whole lines with one write(2) each call, so that --output never
//  holds a part of a line, whatever stops the process. False on an error.
static bool
s_write_lines(s_ctx_t *x, const char *p, size_t n)
{
    if (x->out == NULL || n == 0 || x->out_err)
        return x->out_err == 0;
    int fd = fileno(x->out);
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            x->out_err = k < 0 ? errno : EIO;
            return false;
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static void
s_on_decision(void *arg, size_t doc, uint32_t index, const cq_decision_t *d,
              double latency_ms)
{
    (void)latency_ms;
    s_ctx_t *x = arg;
    cq_summary_add(&x->sum, d);
    if (d == NULL || x->out == NULL)
        return;
    cq_u64map_put(&x->written, s_key(d), 1);
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
s_doc_name(const s_ctx_t *x, size_t doc)
{
    const cq_sdoc_t *sd = &x->sdocs->v[doc];
    fprintf(stderr, "claimq: %s", sd->name);
    if (sd->first_record > 1)
        fprintf(stderr, " (from record %u)", sd->first_record);
}

static void
s_on_doc_done(void *arg, size_t doc, const cq_msg_doc_done_t *m)
{
    s_ctx_t *x = arg;
    x->docs[doc].n_claims = m->n_claims;
    if (m->status < 0) {
        x->doc_errors++;
        s_doc_name(x, doc);
        fprintf(stderr, ": %s\n",
                m->message[0] ? m->message : cq_strerror(m->status));
    } else if (m->refused_sets > 0) {
        s_doc_name(x, doc);
        fprintf(stderr,
                ": %u X12 transaction set%s refused at intake (%u claims "
                "not taken)%s%s\n",
                m->refused_sets, m->refused_sets == 1 ? "" : "s",
                m->refused_claims, m->message[0] ? ": " : "", m->message);
    }
}

//  Writes the documents complete in order, each as whole lines.
static void
s_flush(s_ctx_t *x)
{
    cq_buf_reset(&x->line);
    while (x->next_write < x->n_docs && x->docs[x->next_write].complete) {
        s_docout_t *o = &x->docs[x->next_write];
        if (x->out)
            for (uint32_t i = 0; i < o->n_claims && i < o->cap; i++)
                if (o->off[i])
                    cq_buf_add(&x->line, o->text.data + o->off[i] - 1,
                               o->len[i]);
        cq_buf_free(&o->text);
        free(o->off);
        free(o->len);
        o->off = o->len = NULL;
        x->next_write++;
        if (x->line.len >= (1u << 20)) {
            s_write_lines(x, x->line.data, x->line.len);
            cq_buf_reset(&x->line);
        }
    }
    s_write_lines(x, x->line.data, x->line.len);
    cq_buf_reset(&x->line);
}

static void
s_on_doc_complete(void *arg, size_t doc)
{
    s_ctx_t *x = arg;
    x->docs[doc].complete = true;
    s_flush(x);
}

//  A claim of the batch read back: written when this run has not written
//  its decision (its document was one whose claims the batch held: no
//  decision of their own was pushed).
static int
s_readback(void *arg, uint64_t doc_id, uint32_t index, const cq_decision_t *d,
           const cq_claim_t *c)
{
    (void)doc_id;
    (void)index;
    (void)c;
    s_ctx_t *x = arg;
    if (d == NULL)
        return 0;
    uint64_t k = s_key(d);
    uint32_t v;
    if (cq_u64map_get(&x->written, k, &v))
        return 0;
    cq_u64map_put(&x->written, k, 1);
    cq_summary_add(&x->sum, d);
    cq_buf_reset(&x->line);
    cq_fmt_decision(x->fmt, d, &x->line);
    s_write_lines(x, x->line.data, x->line.len);
    cq_buf_reset(&x->line);
    return 0;
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

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

//  An argument as a POSIX shell reads it back.
static void
s_shell_arg(cq_buf_t *b, const char *a)
{
    if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_./:=@%+,-") == strlen(a)) {
        cq_buf_addstr(b, a);
        return;
    }
    cq_buf_addstr(b, "'");
    for (; *a; a++) {
        if (*a == '\'')
            cq_buf_addstr(b, "'\\''");
        else
            cq_buf_add(b, a, 1);
    }
    cq_buf_addstr(b, "'");
}

//  The command line that resumes this run: the same arguments, with
//  --batch ID when it was made up.
static void
s_resume_cmd(cq_buf_t *b, int argc, char **argv, bool batch_given,
             const char *batch)
{
    s_shell_arg(b, cq_cmd_prog);
    cq_buf_addstr(b, " ");
    s_shell_arg(b, argv[0]);
    if (!batch_given) {
        cq_buf_addstr(b, " --batch ");
        s_shell_arg(b, batch);
    }
    for (int i = 1; i < argc; i++) {
        cq_buf_addstr(b, " ");
        s_shell_arg(b, argv[i]);
    }
}

int
cq_cmd_submit(int argc, char **argv)
{
    const char *broker = NULL, *output = NULL, *format = "jsonl";
    char batch[CQ_BATCH_ID_LEN] = "";
    bool wait = false, quiet = false, received_set = false;
    bool until_final = false, timeout_given = false;
    int32_t received = CQ_DATE_NONE;
    long window = 32, chunk = 256, timeout = 120;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"batch", required_argument, NULL, 'B'},
        {"wait", no_argument, NULL, 'w'},
        {"until-final", no_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"window", required_argument, NULL, 'W'},
        {"chunk", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"received-date", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, S_PROG)) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 'B':
            if (cq_strlcpy(batch, optarg, sizeof batch) != 0 ||
                !cq_proto_batch_id_ok(batch))
                return cq_opt_bad_value(S_PROG, "--batch", optarg,
                                        "[A-Za-z0-9._:-]{1,63}");
            break;
        case 'w':
            wait = true;
            break;
        case 'F':
            until_final = true;
            break;
        case 'o':
            output = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'W':
            if (!s_num(optarg, 1, 100000, &window))
                return cq_opt_bad_value(S_PROG, "--window", optarg,
                                        "1..100000");
            break;
        case 'c':
            if (!s_num(optarg, 1, 1000000, &chunk))
                return cq_opt_bad_value(S_PROG, "--chunk", optarg,
                                        "1..1000000");
            break;
        case 't':
            if (!s_num(optarg, 0, 86400 * 365, &timeout))
                return cq_opt_bad_value(S_PROG, "--timeout", optarg,
                                        "seconds, 0 or more");
            timeout_given = true;
            break;
        case 'r':
            if (cq_date_parse(optarg, strlen(optarg), &received) != 0)
                return cq_opt_bad_value(S_PROG, "--received-date", optarg,
                                        "a date, YYYY-MM-DD");
            received_set = true;
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
    if (optind >= argc)
        return s_usage("no files given");
    cq_fmt_t fmt;
    if (cq_fmt_parse(format, &fmt) != 0)
        return s_usage("--format: jsonl or csv");
    if (output && !wait)
        return s_usage("--output needs --wait");
    if (until_final && !wait)
        return s_usage("--until-final needs --wait");
    if (until_final && !timeout_given)
        timeout = 0; // a person may take hours
    bool batch_given = batch[0] != '\0';
    if (!batch_given)
        s_batch_id(batch, sizeof batch);
    cq_broker_ep_t bep;
    cq_diag_t ediag = {0};
    if (cq_broker_ep_resolve(broker, &bep, &ediag) != 0)
        return s_usage(ediag.msg);

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
    cq_u64map_init(&x.written);
    cq_buf_init(&x.line, (size_t)1 << 30);
    cq_summary_init(&x.sum);
    if (out) {
        fflush(out); // (everything after goes through write(2))
        cq_fmt_header(fmt, &x.line);
        s_write_lines(&x, x.line.data, x.line.len);
        cq_buf_reset(&x.line);
    }

    const char *ep = bep.ep;
    cq_bclient_t *c = cq_bclient_new(ep);
    if (c == NULL) {
        fprintf(stderr, "claimq submit: cannot connect to '%s'\n", ep);
        free(x.docs);
        cq_u64map_free(&x.written);
        cq_buf_free(&x.line);
        cq_sdocs_free(&docs);
        if (out && out != stdout)
            fclose(out);
        return CQ_EXIT_USAGE;
    }
    //  Ctrl-C / SIGTERM: the run stops at its next turn (no SA_RESTART:
    //  a wait is cut short), writes what is whole, and says how to resume.
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    s_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    cq_submit_opts_t o;
    memset(&o, 0, sizeof o);
    o.batch_id = batch;
    o.wait = wait;
    o.until_final = until_final;
    o.window = (uint32_t)window;
    o.timeout_ms =
        (int)(timeout * 1000 > INT32_MAX ? INT32_MAX : timeout * 1000);
    o.progress = !quiet;
    o.received_set = received_set;
    o.received_date = received;
    o.on_decision = s_on_decision;
    o.on_doc_done = s_on_doc_done;
    o.on_doc_complete = s_on_doc_complete;
    o.arg = &x;
    o.stop = &s_stop;
    o.resume = batch_given; // (a batch id made up now is a new batch)
    cq_submit_result_t res;
    int rc = cq_submit_run(c, &docs, &o, &res);
    //  A batch whose claims the batch already held: their decisions are
    //  the batch's entries; read them back so that --output holds every
    //  decision of the batch once.
    bool readback_failed = false;
    if (rc == 0 && !res.interrupted && wait && out && res.dup_claims > 0) {
        s_flush(&x);
        bool complete = false;
        int k = cq_bclient_results(c, batch, 0, false, s_readback, &x,
                                   &complete, 30000);
        if (k != 0) {
            fprintf(stderr,
                    "claimq submit: reading back the decisions of claims "
                    "the batch already held: %s\n",
                    cq_strerror(k));
            readback_failed = true;
        }
    }
    char why[CQ_PROTO_MSG_LEN];
    snprintf(why, sizeof why, "%s", cq_bclient_why(c));
    cq_bclient_destroy(&c);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int exit_code = CQ_EXIT_OK;
    if (res.interrupted) {
        exit_code = CQ_EXIT_INTERRUPTED;
    } else if (rc == CQ_EUNSUPPORTED) {
        exit_code = cq_broker_ep_fail("submit", &bep, why, rc);
    } else if (rc == CQ_ETIMEDOUT) {
        if (!res.reachable) {
            cq_broker_ep_fail("submit", &bep, why, rc);
            fprintf(stderr,
                    "claimq submit: batch %s: %llu of %zu documents "
                    "received\n",
                    batch, (unsigned long long)res.docs, docs.n);
        } else {
            fprintf(stderr,
                    "claimq submit: no progress for --timeout from %s (batch "
                    "%s: %llu of %zu documents received, %llu claims "
                    "decided%s)\n",
                    ep, batch, (unsigned long long)res.docs, docs.n,
                    (unsigned long long)res.decided,
                    wait && res.workers_live == 0 ? "; no workers registered"
                                                  : "");
        }
        if (res.holding)
            fprintf(stderr,
                    "claimq submit: the broker was refusing documents "
                    "(%s): %s\n",
                    cq_strerror(res.holding),
                    res.holding == CQ_ENOSPC ? "its journal is full"
                                             : "it is busy");
        exit_code = CQ_EXIT_TIMEOUT;
    } else if (rc == CQ_EPROTO && res.refused) {
        exit_code = CQ_EXIT_REJECTED;
    } else if (rc != 0) {
        exit_code = CQ_EXIT_FAIL;
    }
    if (wait) {
        s_flush(&x);
        if (out && out != stdout)
            fclose(out);
        else if (out)
            fflush(out);
    }
    if (x.out_err) {
        fprintf(stderr, "claimq submit: %s: %s\n", output ? output : "stdout",
                strerror(x.out_err));
        if (exit_code == CQ_EXIT_OK)
            exit_code = CQ_EXIT_FAIL;
    }
    if (res.interrupted) {
        cq_buf_t b;
        cq_buf_init(&b, 1 << 20);
        s_resume_cmd(&b, argc, argv, batch_given, batch);
        fprintf(stderr,
                "claimq submit: interrupted: batch %s is open (not sealed): "
                "%llu of %zu documents received",
                batch, (unsigned long long)res.docs, docs.n);
        if (wait)
            fprintf(stderr, ", %llu claims decided",
                    (unsigned long long)res.decided);
        fprintf(stderr,
                "%s\n"
                "to resume it, run (documents the broker has are not sent "
                "or decided again):\n"
                "  %s\n",
                wait && output ? " (their decisions are in --output)" : "",
                b.data);
        cq_buf_free(&b);
    } else if (wait && (rc == 0 || res.docs > 0)) {
        cq_buf_t b;
        cq_buf_init(&b, 1 << 20);
        cq_summary_text(&x.sum, batch, &b);
        if (res.dup_claims)
            cq_buf_printf(&b,
                          "  %llu claims repeat a key the batch already "
                          "holds (counted and written once)\n",
                          (unsigned long long)res.dup_claims);
        if (x.doc_errors)
            cq_buf_printf(&b, "  %llu documents failed (see above)\n",
                          (unsigned long long)x.doc_errors);
        cq_buf_printf(&b, "  %.2f s, %.0f claims/s\n", res.elapsed_s,
                      res.elapsed_s > 0 ? (double)x.sum.claims / res.elapsed_s
                                        : 0.0);
        fputs(b.data, stderr);
        if (output) {
            cq_buf_reset(&b);
            cq_summary_json(&x.sum, batch, &b);
            printf("%s\n", b.data);
        }
        cq_buf_free(&b);
        if (exit_code == CQ_EXIT_OK &&
            (x.doc_errors || res.failed || readback_failed))
            exit_code = CQ_EXIT_FAIL;
    } else if (exit_code == CQ_EXIT_OK) {
        printf("%s\n", batch);
    }
    if (!res.interrupted && res.conflicts > 0)
        fprintf(stderr,
                "claimq submit: %llu claims reuse a claim key already decided "
                "with other contents: they carry that decision; send "
                "corrections as replacements (frequency 7) naming the "
                "original\n",
                (unsigned long long)res.conflicts);
    if (res.refused_sets > 0) {
        fprintf(stderr,
                "claimq submit: batch %s: %llu X12 transaction sets refused "
                "at intake (%llu claims not taken): `claimq results %s "
                "--format 999` says why\n",
                batch, (unsigned long long)res.refused_sets,
                (unsigned long long)res.refused_claims, batch);
        if (exit_code == CQ_EXIT_OK || exit_code == CQ_EXIT_FAIL)
            exit_code = CQ_EXIT_REJECTED;
    }
    for (size_t i = 0; i < x.n_docs; i++) {
        cq_buf_free(&x.docs[i].text);
        free(x.docs[i].off);
        free(x.docs[i].len);
    }
    free(x.docs);
    cq_u64map_free(&x.written);
    cq_buf_free(&x.line);
    cq_sdocs_free(&docs);
    return exit_code;
}
