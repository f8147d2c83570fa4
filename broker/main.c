//  claimq-broker: the claims queue's broker (docs/architecture.md).
#include "broker.h"
#include "log.h"
#include "version.h"
#include "notify.h"
#include "proto.h"
#include "shard.h"
#include "opts.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t s_stop;
static volatile sig_atomic_t s_reload;

static void
s_on_signal(int sig)
{
    if (sig == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

static void
s_help(void)
{
    printf(
        "usage: claimq-broker [OPTIONS]\n\n"
        "The claimq broker: clients submit documents to the frontend, worker\n"
        "nodes connect to the backend. Prints one line\n"
        "  READY frontend=ENDPOINT backend=ENDPOINT\n"
        "on stdout once both are bound (ports resolved when given as *);\n"
        "logs go to stderr. SIGINT / SIGTERM stop it (exit 0); SIGHUP\n"
        "rereads the CURVE allow-lists.\n\n"
        "options:\n"
        "  --frontend EP        client endpoint (default "
        "tcp://127.0.0.1:5555)\n"
        "  --backend EP         worker endpoint (default "
        "tcp://127.0.0.1:5556)\n"
        "  --curve-key FILE     this broker's secret key (`claimq keygen`):\n"
        "                       CurveZMQ on both endpoints, every peer\n"
        "                       authenticated by its public key in\n"
        "  --clients DIR        client public keys (NAME.pub), each with\n"
        "                       the payer ids it may act for (metadata\n"
        "                       payers, `claimq keygen --payers`)\n"
        "  --workers DIR        worker public keys\n"
        "  --admins DIR         admin public keys: every payer, and the\n"
        "                       admin verbs (workers, shards, drain,\n"
        "                       quarantine). SIGHUP rereads the three\n"
        "                       directories: a key removed is refused from\n"
        "                       its next message on\n"
        "  --metrics HOST:PORT  serve Prometheus metrics on\n"
        "                       http://HOST:PORT/metrics (port 0: the\n"
        "                       kernel's pick; the READY line gains\n"
        "                       metrics=URL) and /healthz\n"
        "  --insecure           allow a tcp endpoint beyond loopback without\n"
        "                       encryption (claims and decisions cross the\n"
        "                       network in clear: a private network only);\n"
        "                       without it such a bind is refused (exit 2)\n"
        "  --journal DIR        journal directory (created 0700): documents,\n"
        "                       claims, decisions and the shard map in\n"
        "                       DIR/journal.db; receipts follow its fsync,\n"
        "                       and a restart on it resumes everything.\n"
        "                       Without it the broker keeps its state in\n"
        "                       memory only and says so (a restart loses\n"
        "                       every batch)\n"
        "  --retain-days N      finished batches older than this leave the\n"
        "                       journal's hot tables (default 30; 0: as soon\n"
        "                       as finished). Their claim keys and decisions\n"
        "                       stay (resubmissions, member history); their\n"
        "                       documents go, and `claimq status` of such a\n"
        "                       batch says not found\n"
        "  --record FILE        append every document received (batch,\n"
        "                       name, received date, format, bytes, arrival\n"
        "                       time) and every decision to the capture\n"
        "                       FILE, for `claimq replay`. It holds patient\n"
        "                       data: created 0600 (docs/loadtest.md)\n"
        "  --record-max-mb N    FILE rotates to FILE.1 ... past N MiB\n"
        "                       (default 1024)\n"
        "  --record-files K     capture files kept, FILE included (default\n"
        "                       4; the oldest is deleted)\n"
        "  --shards N           virtual shards S (default %d, max %d)\n"
        "  --heartbeat-ms N     heartbeat to workers (default 1000); a worker\n"
        "                       silent for 3 of its own intervals is dead\n"
        "  --max-frame BYTES    drop (and count) frames over this (default "
        "%u)\n"
        "  --rules-version V    only workers with these rules get work\n"
        "                       (default: the first worker's)\n"
        "  --max-attempts N     a claim or document that crashes or times out\n"
        "                       workers this many times is quarantined\n"
        "                       (default 3; `claimq quarantine`)\n"
        "  --lease-ms N         claims not answered within this are taken\n"
        "                       back and delivered again (default 30000)\n"
        "  --intake-lease-ms N  likewise a document in intake, unless its\n"
        "                       worker extends it (default 30000)\n"
        "  --max-intake-ms N    no extension past this (default 600000)\n"
        "  --client-idle-ms N   a client silent this long is sent a heartbeat\n"
        "                       and forgotten only if its connection is gone\n"
        "                       (default 600000)\n"
        "  --peer EP            a pair of brokers (docs/operations.md,\n"
        "                       \"Failover\"): the other broker's "
        "--peer-bind.\n"
        "                       The active one replicates its journal to the\n"
        "                       other and gives a receipt only once both\n"
        "                       disks hold it; the other takes over when the\n"
        "                       active one is silent for --peer-timeout-ms\n"
        "                       and a client or worker comes to it. Needs\n"
        "                       --journal, --peer-bind and --role\n"
        "  --peer-bind EP       this broker's end of the peer link\n"
        "  --role R             primary (active unless its peer is) or\n"
        "                       backup (follows the active one)\n"
        "  --peer-timeout-ms N  a peer silent this long is gone (default\n"
        "                       5000): the active one goes on alone, the\n"
        "                       passive one may take over\n"
        "  --peer-catchup-mb N  the active broker keeps the journal records\n"
        "                       its backup has not acknowledged, up to N MiB\n"
        "                       (default 256; 0..16384): a backup that\n"
        "                       returns within them is sent what it missed,\n"
        "                       else a whole snapshot\n"
        "  --promote            take over from the primary: a backup started\n"
        "                       with it follows the active broker, then asks\n"
        "                       it to hand over (it stops, exit 4); when no\n"
        "                       peer answers within --peer-timeout-ms (the\n"
        "                       primary known to be dead), it becomes active\n"
        "                       on its own journal\n"
        "  --log-level L        error|warn|notice|info|debug\n"
        "  --log-format F       text (default) or json: one JSON object per\n"
        "                       line (ts, level, proc, node, pid, msg)\n"
        "  --config FILE        options from FILE (key = value, a key an "
        "option's\n"
        "                       name), else $CLAIMQ_BROKER_CONFIG, else\n"
        "                       /etc/claimq/claimq-broker.conf if it exists "
        "(\"\": none)\n"
        "  --print-config       print the effective options, each with its "
        "source\n"
        "                       (command line > $CLAIMQ_BROKER_NAME > file > "
        "default)\n"
        "                       and exit\n"
        "  -h, --help           this help\n"
        "  -V, --version        version\n\n"
        "exit codes: 0 stopped by a signal, 2 usage, 3 setup (cannot bind,\n"
        "            journal unusable or corrupt, capture file unusable),\n"
        "            4 stepped down: its peer is active with a newer epoch\n"
        "            (started again, it follows that peer), or has the\n"
        "            same --role\n",
        CQ_SHARDS_DEFAULT, CQ_SHARDS_MAX, CQ_PROTO_MAX_FRAME);
}

#define S_PROG "claimq-broker"

static int
s_usage(const char *msg)
{
    fprintf(stderr, "claimq-broker: %s\nTry 'claimq-broker --help'.\n", msg);
    return 2;
}

//  True for endpoints only this host can reach: ipc://, inproc://, and
//  tcp:// on a loopback address (127.0.0.0/8, localhost, ::1, lo).
static bool
s_local_endpoint(const char *ep)
{
    if (strncmp(ep, "tcp://", 6) != 0)
        return strncmp(ep, "ipc://", 6) == 0 ||
               strncmp(ep, "inproc://", 9) == 0;
    const char *h = ep + 6;
    const char *colon = strrchr(h, ':');
    size_t n = colon ? (size_t)(colon - h) : strlen(h);
    if ((n >= 4 && strncmp(h, "127.", 4) == 0) ||
        (n == 9 && strncmp(h, "localhost", 9) == 0) ||
        (n == 5 && strncmp(h, "[::1]", 5) == 0) ||
        (n == 2 && strncmp(h, "lo", 2) == 0))
        return true;
    return false;
}

static bool
s_num(const char *s, unsigned long long min, unsigned long long max,
      unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static const struct option s_opts[] = {
    {"frontend", required_argument, NULL, 'f'},
    {"backend", required_argument, NULL, 'b'},
    {"journal", required_argument, NULL, 'j'},
    {"shards", required_argument, NULL, 's'},
    {"heartbeat-ms", required_argument, NULL, 'H'},
    {"max-frame", required_argument, NULL, 'm'},
    {"rules-version", required_argument, NULL, 'r'},
    {"max-attempts", required_argument, NULL, 'a'},
    {"client-idle-ms", required_argument, NULL, 'i'},
    {"lease-ms", required_argument, NULL, 'L'},
    {"intake-lease-ms", required_argument, NULL, 'I'},
    {"max-intake-ms", required_argument, NULL, 'M'},
    {"retain-days", required_argument, NULL, 'R'},
    {"record", required_argument, NULL, 'c'},
    {"record-max-mb", required_argument, NULL, 'C'},
    {"record-files", required_argument, NULL, 'k'},
    {"log-level", required_argument, NULL, 'l'},
    {"log-format", required_argument, NULL, 'F'},
    {"insecure", no_argument, NULL, 'N'},
    {"curve-key", required_argument, NULL, 'K'},
    {"clients", required_argument, NULL, 'A'},
    {"workers", required_argument, NULL, 'W'},
    {"admins", required_argument, NULL, 'D'},
    {"metrics", required_argument, NULL, 'P'},
    {"peer", required_argument, NULL, 'e'},
    {"peer-bind", required_argument, NULL, 'E'},
    {"role", required_argument, NULL, 'o'},
    {"peer-timeout-ms", required_argument, NULL, 'T'},
    {"peer-catchup-mb", required_argument, NULL, 'U'},
    {"promote", no_argument, NULL, 'O'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

//  --print-config's built-in defaults, from the defaults themselves.
static void
s_defaults(const cq_broker_config_t *cfg)
{
    static char d[9][24];
    snprintf(d[0], sizeof d[0], "%u", cfg->shards);
    snprintf(d[1], sizeof d[1], "%u", cfg->heartbeat_ms);
    snprintf(d[2], sizeof d[2], "%zu", cfg->max_frame);
    snprintf(d[3], sizeof d[3], "%u", cfg->max_attempts);
    snprintf(d[4], sizeof d[4], "%u", cfg->client_idle_ms);
    snprintf(d[5], sizeof d[5], "%u", cfg->lease_ms);
    snprintf(d[6], sizeof d[6], "%u", cfg->intake_lease_ms);
    snprintf(d[7], sizeof d[7], "%u", cfg->max_intake_ms);
    snprintf(d[8], sizeof d[8], "%u", cfg->retain_days);
    static char rmb[24], rfiles[24];
    snprintf(rmb, sizeof rmb, "%llu",
             (unsigned long long)(cfg->record_max_bytes >> 20));
    snprintf(rfiles, sizeof rfiles, "%u", cfg->record_files);
    const char *const defaults[] = {"frontend",
                                    cfg->frontend,
                                    "backend",
                                    cfg->backend,
                                    "shards",
                                    d[0],
                                    "heartbeat-ms",
                                    d[1],
                                    "max-frame",
                                    d[2],
                                    "max-attempts",
                                    d[3],
                                    "client-idle-ms",
                                    d[4],
                                    "lease-ms",
                                    d[5],
                                    "intake-lease-ms",
                                    d[6],
                                    "max-intake-ms",
                                    d[7],
                                    "retain-days",
                                    d[8],
                                    "record-max-mb",
                                    rmb,
                                    "record-files",
                                    rfiles,
                                    "log-level",
                                    "notice",
                                    "log-format",
                                    "text",
                                    NULL};
    //  (cq_opt_defaults keeps the array: a copy that outlives this call)
    static const char *kept[CQ_ARRAY_LEN(defaults)];
    memcpy(kept, defaults, sizeof defaults);
    cq_opt_defaults(kept);
}

//  The command line (and --config's file) into cfg. Returns -1 to go on,
//  else the exit code (--help, --version, --print-config: 0; a bad
//  option: usage). Long: one case an option, each its own check.
static int
s_parse(int argc, char **argv, cq_broker_config_t *cfg, bool *insecure)
{
    s_defaults(cfg);
    int ch;
    unsigned long long v;
    while ((ch = cq_getopt(argc, argv, "hV", s_opts, S_PROG)) != -1) {
        switch (ch) {
        case 'N':
            *insecure = true;
            break;
        case 'K':
            cfg->curve_key = optarg;
            break;
        case 'A':
            cfg->allow_clients = optarg;
            break;
        case 'W':
            cfg->allow_workers = optarg;
            break;
        case 'P':
            cfg->metrics = optarg;
            break;
        case 'D':
            cfg->allow_admins = optarg;
            break;
        case 'f':
            cfg->frontend = optarg;
            break;
        case 'b':
            cfg->backend = optarg;
            break;
        case 'j':
            cfg->journal_dir = optarg;
            break;
        case 's':
            if (!s_num(optarg, 1, CQ_SHARDS_MAX, &v))
                return cq_opt_bad_value(S_PROG, "--shards", optarg, "1..65536");
            cfg->shards = (uint32_t)v;
            break;
        case 'H':
            if (!s_num(optarg, 10, 600000, &v))
                return cq_opt_bad_value(S_PROG, "--heartbeat-ms", optarg,
                                        "10..600000");
            cfg->heartbeat_ms = (uint32_t)v;
            break;
        case 'm':
            if (!s_num(optarg, 1024, CQ_PROTO_MAX_FRAME, &v))
                return cq_opt_bad_value(S_PROG, "--max-frame", optarg,
                                        "1024..67108864");
            cfg->max_frame = (size_t)v;
            break;
        case 'r':
            cfg->rules_version = optarg;
            break;
        case 'a':
            if (!s_num(optarg, 1, 100, &v))
                return cq_opt_bad_value(S_PROG, "--max-attempts", optarg,
                                        "1..100");
            cfg->max_attempts = (uint32_t)v;
            break;
        case 'i':
            if (!s_num(optarg, 10, 86400000, &v))
                return cq_opt_bad_value(S_PROG, "--client-idle-ms", optarg,
                                        "10..86400000");
            cfg->client_idle_ms = (uint32_t)v;
            break;
        case 'L':
            if (!s_num(optarg, 100, 86400000, &v))
                return cq_opt_bad_value(S_PROG, "--lease-ms", optarg,
                                        "100..86400000");
            cfg->lease_ms = (uint32_t)v;
            break;
        case 'I':
            if (!s_num(optarg, 100, 86400000, &v))
                return cq_opt_bad_value(S_PROG, "--intake-lease-ms", optarg,
                                        "100..86400000");
            cfg->intake_lease_ms = (uint32_t)v;
            break;
        case 'M':
            if (!s_num(optarg, 100, 86400000, &v))
                return cq_opt_bad_value(S_PROG, "--max-intake-ms", optarg,
                                        "100..86400000");
            cfg->max_intake_ms = (uint32_t)v;
            break;
        case 'R':
            if (!s_num(optarg, 0, 36500, &v))
                return cq_opt_bad_value(S_PROG, "--retain-days", optarg,
                                        "0..36500");
            cfg->retain_days = (uint32_t)v;
            break;
        case 'c':
            cfg->record_path = optarg;
            break;
        case 'C':
            if (!s_num(optarg, 1, 1048576, &v))
                return cq_opt_bad_value(S_PROG, "--record-max-mb", optarg,
                                        "1..1048576");
            cfg->record_max_bytes = (uint64_t)v << 20;
            break;
        case 'k':
            if (!s_num(optarg, 1, 1000, &v))
                return cq_opt_bad_value(S_PROG, "--record-files", optarg,
                                        "1..1000");
            cfg->record_files = (uint32_t)v;
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
        case 'e':
            cfg->peer = optarg;
            break;
        case 'E':
            cfg->peer_bind = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "primary") == 0)
                cfg->role = CQ_BROKER_PRIMARY;
            else if (strcmp(optarg, "backup") == 0)
                cfg->role = CQ_BROKER_BACKUP;
            else
                return cq_opt_bad_value(S_PROG, "--role", optarg,
                                        "primary or backup");
            break;
        case 'T':
            if (!s_num(optarg, 100, 3600000, &v))
                return cq_opt_bad_value(S_PROG, "--peer-timeout-ms", optarg,
                                        "100..3600000");
            cfg->peer_timeout_ms = (uint32_t)v;
            break;
        case 'U':
            if (!s_num(optarg, 0, 16384, &v))
                return cq_opt_bad_value(S_PROG, "--peer-catchup-mb", optarg,
                                        "0..16384");
            cfg->peer_catchup_mb = (uint32_t)v;
            break;
        case 'O':
            cfg->promote = true;
            break;
        case 'h':
            s_help();
            return 0;
        case 'V':
            printf("claimq-broker %s (git %s)\n", CQ_VERSION, cq_git_rev);
            return 0;
        default: // cq_getopt said why
            return CQ_OPT_USAGE;
        }
    }
    if (optind < argc)
        return s_usage("unexpected argument");
    return -1;
}

//  Options that do not go together, and plain TCP beyond this host only
//  when said out loud. Returns 0, or the usage exit code.
static int
s_check(const cq_broker_config_t *cfg, bool insecure)
{
    if (cfg->curve_key == NULL &&
        (cfg->allow_clients || cfg->allow_workers || cfg->allow_admins))
        return s_usage("--clients, --workers and --admins need --curve-key");
    if (cfg->curve_key && (!cfg->allow_clients || !cfg->allow_workers))
        return s_usage("--curve-key needs --clients DIR and --workers DIR "
                       "(the public keys it admits)");
    if (cfg->peer || cfg->peer_bind || cfg->role || cfg->promote) {
        if (!cfg->peer || !cfg->peer_bind || !cfg->role)
            return s_usage("a pair needs --peer, --peer-bind and --role");
        if (!cfg->journal_dir)
            return s_usage("a pair needs --journal (it replicates it)");
        if (cfg->promote && cfg->role != CQ_BROKER_BACKUP)
            return s_usage("--promote is for a backup");
        if (!insecure && !cfg->curve_key &&
            (!s_local_endpoint(cfg->peer) || !s_local_endpoint(cfg->peer_bind)))
            return s_usage("--peer / --peer-bind beyond loopback send the "
                           "journal unencrypted: give both brokers the same "
                           "--curve-key, or --insecure to accept that (a "
                           "private network only)");
    }
    //  plain TCP beyond this host only when said out loud
    const char *eps[2][2] = {{"--frontend", cfg->frontend},
                             {"--backend", cfg->backend}};
    for (int i = 0; i < 2; i++)
        if (!insecure && !cfg->curve_key && !s_local_endpoint(eps[i][1])) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "%s %s: binding beyond loopback sends claims and "
                     "decisions over the network unencrypted; give "
                     "--curve-key (and --clients, --workers) for CURVE, or "
                     "--insecure to accept that (a private network only)",
                     eps[i][0], eps[i][1]);
            return s_usage(msg);
        }
    if (insecure && !cfg->curve_key &&
        (!s_local_endpoint(cfg->frontend) || !s_local_endpoint(cfg->backend)))
        cq_log_warn(NULL, "--insecure: plain TCP beyond loopback (no "
                          "encryption, no authentication)");
    return 0;
}

int
main(int argc, char **argv)
{
    cq_log_init('B', CQ_LOG_NOTICE);
    cq_log_set_node("broker");
    cq_broker_config_t cfg;
    cq_broker_config_default(&cfg);
    bool insecure = false;
    int rc = s_parse(argc, argv, &cfg, &insecure);
    if (rc >= 0)
        return rc;

    //  czmq: no signal handler of its own, logs to stderr (not stdout).
    zsys_handler_set(NULL);
    zsys_set_logstream(stderr);
    rc = s_check(&cfg, insecure);
    if (rc != 0)
        return rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    cq_diag_t diag = {0};
    cq_broker_t *b = cq_broker_new(&cfg, &diag);
    if (b == NULL) {
        fprintf(stderr, "claimq-broker: %s\n", diag.msg);
        return 3;
    }
    if (!cq_broker_durable(b))
        cq_log_warn(NULL, "no --journal: state is kept in memory only; "
                          "receipts are not durable and a restart loses "
                          "every batch");
    if (!cq_broker_curve(b))
        cq_log_notice(NULL, "plain TCP: no encryption, no authentication "
                            "(--curve-key for CURVE)");
    printf("READY frontend=%s backend=%s", cq_broker_frontend(b),
           cq_broker_backend(b));
    if (cq_broker_metrics_url(b))
        printf(" metrics=%s", cq_broker_metrics_url(b));
    if (cq_broker_peer_endpoint(b))
        printf(" peer=%s", cq_broker_peer_endpoint(b));
    printf("\n");
    fflush(stdout);
    cq_notify_readyf("frontend=%s backend=%s", cq_broker_frontend(b),
                     cq_broker_backend(b));
    cq_broker_set_reload(b, &s_reload);
    rc = cq_broker_run(b, &s_stop);
    if (cq_broker_stepped_down(b))
        rc = 4;
    cq_log_notice(NULL, "stopping");
    cq_notify_stopping();
    cq_broker_destroy(&b);
    return rc;
}
