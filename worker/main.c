//  claimq-worker: a worker node (docs/architecture.md).
#include "fault.h"
#include "log.h"
#include "version.h"
#include "notify.h"
#include "ocr.h"
#include "proto.h"
#include "worker.h"
#include "opts.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void
s_help(void)
{
    printf("usage: claimq-worker --node-id ID --ledger FILE --plan FILE "
           "--members FILE\n"
           "                     [--broker EP] [OPTIONS]\n\n"
           "A claimq worker node: connects to the broker's backend, decodes\n"
           "documents (intake), adjudicates the claims of the shards it owns\n"
           "and records every decision in its own SQLite ledger. Prints one "
           "line\n"
           "  READY node=ID broker=EP\n"
           "on stdout once the broker has accepted it; logs go to stderr.\n"
           "SIGINT / SIGTERM: finishes what it holds, commits, exits 0.\n"
           "When its ledger cannot be written (disk full, read-only) it\n"
           "takes no work, tells the broker, and resumes once it can.\n\n"
           "options:\n"
           "  --broker EP          broker backend (default "
           "$CLAIMQ_BROKER_BACKEND,\n"
           "                       else tcp://127.0.0.1:5556); a pair of\n"
           "                       brokers: both backends, EP1,EP2 (the one\n"
           "                       that answers as active is used; the other\n"
           "                       after a silence)\n"
           "  --node-id ID         stable node id, [A-Za-z0-9._-]{1,39}\n"
           "  --ledger FILE        this node's SQLite ledger (created if "
           "absent)\n"
           "  --plan FILE          plan rules (JSON)\n"
           "  --members FILE       member roster (JSON Lines or CSV)\n"
           "  --credit N           claims held at once (default 1024)\n"
           "  --intake-threads N   decoding threads (default 1)\n"
           "  --intake-credit N    documents held at once (default 2 per "
           "thread)\n"
           "  --heartbeat-ms N     heartbeat interval (default 1000); a "
           "broker\n"
           "                       silent for 3 of its intervals is "
           "reconnected to\n"
           "  --curve-key FILE     this node's secret key (`claimq keygen`; "
           "default\n"
           "                       $CLAIMQ_CURVE_KEY): CURVE to the broker, "
           "with\n"
           "  --broker-key FILE    the broker's public key (default\n"
           "                       $CLAIMQ_BROKER_KEY). Neither: plain TCP\n"
           "  --metrics HOST:PORT  serve Prometheus metrics on "
           "http://HOST:PORT/metrics\n"
           "                       and /healthz (port 0: the kernel's pick; "
           "READY\n"
           "                       gains metrics=URL)\n"
           "  --wait-for-rules     when the cluster runs other rules, wait "
           "for it\n"
           "                       to change (default: exit 3)\n"
           "  --log-level L        error|warn|notice|info|debug\n"
           "  --log-format F       text (default) or json: one JSON object "
           "per\n"
           "                       line (ts, level, proc, node, pid, msg)\n"
           "  --config FILE        options from FILE (key = value, a key "
           "an option's\n"
           "                       name), else $CLAIMQ_WORKER_CONFIG, else\n"
           "                       /etc/claimq/claimq-worker.conf if it "
           "exists (\"\": none)\n"
           "  --print-config       print the effective options, each with "
           "its source\n"
           "                       (command line > $CLAIMQ_WORKER_NAME > file "
           "> default)\n"
           "                       and exit\n"
           "  -h, --help           this help\n"
           "  -V, --version        version\n\n"
           "limits (checked before allocating; over one, a clear refusal for\n"
           "that document, set or record, the rest decided): X12 segment\n"
           "4096 bytes, element 512, 64 elements; JSON Lines record 1 MiB,\n"
           "JSON document 256 MiB; 50 service lines a claim; images 64 MiB,\n"
           "12000 pixels a side, 40 Mpixels a page, 50 pages a file; each\n"
           "refusal counted in claimq_worker_limit_refusals_total{limit}\n\n"
           "exit codes: 0 stopped by a signal, 1 failure, 2 usage,\n"
           "            3 setup (bad plan, roster, or a ledger that cannot be\n"
           "            opened or is corrupt), or refused by the broker (its\n"
           "            node id is live on another worker, its rules differ,\n"
           "            or --broker is the broker's client endpoint), or its\n"
           "            CURVE key refused or the broker's key wrong\n");
}

#define S_PROG "claimq-worker"

static int
s_usage(const char *msg)
{
    fprintf(stderr, "claimq-worker: %s\nTry 'claimq-worker --help'.\n", msg);
    return 2;
}

static bool
s_num(const char *s, unsigned long min, unsigned long max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

static void
s_ready(void *arg, const char *node_id, const char *broker)
{
    const char *url = cq_worker_metrics_url(arg);
    printf("READY node=%s broker=%s%s%s\n", node_id, broker,
           url ? " metrics=" : "", url ? url : "");
    fflush(stdout);
    cq_notify_readyf("node=%s broker=%s", node_id, broker);
}

int
main(int argc, char **argv)
{
    //  Tesseract (OCR) needs OMP_THREAD_LIMIT=1 in the environment before
    //  the process starts (docs/ocr.md): this re-executes us with it.
    cq_ocr_ensure_env(argv);
    cq_log_init('W', CQ_LOG_NOTICE);
    cq_worker_config_t cfg;
    cq_worker_config_default(&cfg);
    if (getenv("CLAIMQ_BROKER_BACKEND"))
        cfg.broker = getenv("CLAIMQ_BROKER_BACKEND");
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"node-id", required_argument, NULL, 'n'},
        {"ledger", required_argument, NULL, 'L'},
        {"plan", required_argument, NULL, 'p'},
        {"members", required_argument, NULL, 'm'},
        {"credit", required_argument, NULL, 'c'},
        {"intake-threads", required_argument, NULL, 't'},
        {"intake-credit", required_argument, NULL, 'i'},
        {"heartbeat-ms", required_argument, NULL, 'H'},
        {"log-level", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'F'},
        {"wait-for-rules", no_argument, NULL, 'w'},
        {"curve-key", required_argument, NULL, 'K'},
        {"metrics", required_argument, NULL, 'P'},
        {"broker-key", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    //  --print-config's built-in defaults, from the defaults themselves
    static char credit[24], threads[24], hb[24];
    snprintf(credit, sizeof credit, "%u", cfg.credit);
    snprintf(threads, sizeof threads, "%u", cfg.intake_threads);
    snprintf(hb, sizeof hb, "%u", cfg.heartbeat_ms);
    const char *const defaults[] = {
        "broker",     cfg.broker,     "credit", credit,      "intake-threads",
        threads,      "heartbeat-ms", hb,       "log-level", "notice",
        "log-format", "text",         NULL};
    cq_opt_defaults(defaults);
    int ch;
    while ((ch = cq_getopt(argc, argv, "hV", opts, S_PROG)) != -1) {
        switch (ch) {
        case 'b':
            cfg.broker = optarg;
            break;
        case 'n':
            cfg.node_id = optarg;
            break;
        case 'L':
            cfg.ledger = optarg;
            break;
        case 'p':
            cfg.plan = optarg;
            break;
        case 'm':
            cfg.members = optarg;
            break;
        case 'c':
            if (!s_num(optarg, 1, CQ_PROTO_MAX_CREDIT, &cfg.credit))
                return cq_opt_bad_value(S_PROG, "--credit", optarg, "1..65536");
            break;
        case 't':
            if (!s_num(optarg, 1, 64, &cfg.intake_threads))
                return cq_opt_bad_value(S_PROG, "--intake-threads", optarg,
                                        "1..64");
            break;
        case 'i':
            if (!s_num(optarg, 1, CQ_PROTO_MAX_INTAKE_CREDIT,
                       &cfg.intake_credit))
                return cq_opt_bad_value(S_PROG, "--intake-credit", optarg,
                                        "1..1024");
            break;
        case 'H':
            if (!s_num(optarg, 10, 600000, &cfg.heartbeat_ms))
                return cq_opt_bad_value(S_PROG, "--heartbeat-ms", optarg,
                                        "10..600000");
            break;
        case 'K':
            cfg.curve_key = optarg;
            break;
        case 'P':
            cfg.metrics = optarg;
            break;
        case 'B':
            cfg.broker_key = optarg;
            break;
        case 'w':
            cfg.wait_for_rules = true;
            break;
        case 'l': {
            int lv = cq_log_level_parse(optarg);
            if (lv < 0)
                return cq_opt_bad_value(S_PROG, "--log-level", optarg,
                                        "error|warn|notice|info|debug");
            cq_log_set_level((cq_log_level_t)lv);
            break;
        }
        case 'F': {
            int lf = cq_log_format_parse(optarg);
            if (lf < 0)
                return cq_opt_bad_value(S_PROG, "--log-format", optarg,
                                        "text or json");
            cq_log_set_format((cq_log_format_t)lf);
            break;
        }
        case 'h':
            s_help();
            return 0;
        case 'V':
            printf("claimq-worker %s (git %s)\n", CQ_VERSION, cq_git_rev);
            return 0;
        default: // cq_getopt said why
            return CQ_OPT_USAGE;
        }
    }
    if (optind < argc)
        return s_usage("unexpected argument");
    if (!cfg.node_id || !cfg.ledger || !cfg.plan || !cfg.members)
        return s_usage("--node-id, --ledger, --plan and --members are needed");
    if (!cq_proto_node_id_ok(cfg.node_id))
        return s_usage("--node-id: expected [A-Za-z0-9._-], 1 to 39 "
                       "characters");
    cq_log_set_node(cfg.node_id);

    zsys_handler_set(NULL);
    zsys_set_logstream(stderr);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    cq_diag_t diag = {0};
    if (cq_fault_init(&diag) != 0) {
        fprintf(stderr, "claimq-worker: %s\n", diag.msg);
        return 2;
    }
    cq_worker_t *w = cq_worker_new(&cfg, &diag);
    if (w == NULL) {
        fprintf(stderr, "claimq-worker: %s\n", diag.msg);
        return 3;
    }
    int rc = cq_worker_run(w, &s_stop, s_ready, w);
    cq_notify_stopping();
    cq_worker_destroy(&w);
    if (rc == CQ_EEXIST || rc == CQ_EUNSUPPORTED || rc == CQ_EINVAL)
        return 3;
    return rc == 0 ? 0 : 1;
}
