//  claimq bench e2e: a local broker + N workers + this client, generated
//  claims end to end; claims/s and submit -> decision latency, next to a
//  raw ZeroMQ request/reply probe (DEALER -> ROUTER/DEALER proxy -> REP
//  workers: a bare queue doing no work) measured in the same run.
#include "cluster.h"
#include "cmds.h"
#include "curve.h"
#include "gen.h"
#include "journal.h"
#include "log.h"
#include "mem.h"
#include "submit.h"
#include "wire.h"
#include "opts.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PROG "claimq bench e2e"

static void
s_help(void)
{
    printf(
        "usage: claimq bench e2e [--claims N] [--workers N] [--json] "
        "[--curve] [--pair]\n"
        "                        [--peers [--peers-dir DIR]]\n\n"
        "Generates N claims (claimq gen's data), starts a broker and W\n"
        "workers on 127.0.0.1 (the programs next to this one), the broker\n"
        "journaling in the scratch directory (receipts follow its fsync),\n"
        "submits the claims as JSON Lines and waits for every decision.\n"
        "Reports\n"
        "claims/s and the p50 / p99 latency from a claim's document being\n"
        "sent to its decision arriving, next to a raw ZeroMQ probe run\n"
        "first in the same command: max(N, 100000) requests of 400 bytes\n"
        "through a\n"
        "ROUTER/DEALER proxy to W echoing REP sockets, --probe-window in\n"
        "flight (threads of this process), and the disk's fdatasync rate\n"
        "in the scratch directory (400-byte appends for 1 s).\n\n"
        "options:\n"
        "  --claims N        claims (default 20000)\n"
        "  --workers N       worker nodes (default 2)\n"
        "  --window N        documents in flight (default 32: a durable\n"
        "                    receipt costs a journal commit per document\n"
        "                    round trip; fewer in flight measure latency,\n"
        "                    not capacity)\n"
        "  --chunk N         claims per document (default 128)\n"
        "  --credit N        claims each worker holds (default 1024)\n"
        "  --probe-window N  requests in flight in the probe (default 100)\n"
        "  --keep DIR        keep the data, journal and ledgers in DIR\n"
        "  --curve           then the same run again with CurveZMQ on every\n"
        "                    socket (keys made in the scratch directory),\n"
        "                    and print its figures and what CURVE costs\n"
        "                    (JSON: curve_claims_per_s, curve_cost)\n"
        "  --pair            then the same run again with a pair of brokers\n"
        "                    (claimq-broker --peer: a backup on this host\n"
        "                    gets every journal group; receipts wait for\n"
        "                    both disks), and print what replication costs\n"
        "                    (JSON: pair_claims_per_s, pair_cost)\n"
        "  --no-journal      the broker keeps its state in memory (the\n"
        "                    path without fsync; not durable)\n"
        "  --peers           then run the peer queues of bench/peers (Redis\n"
        "                    Streams, RabbitMQ quorum, Beanstalkd; the same\n"
        "                    number of 400-byte durable messages, 2\n"
        "                    consumers, acks) and print claimq's figure\n"
        "                    beside theirs (docs/loadtest.md)\n"
        "  --peers-dir DIR   where the peer scripts are (default\n"
        "                    $CLAIMQ_PEERS_DIR, else bench/peers of the\n"
        "                    source tree this program was built in)\n"
        "  --json            one JSON object on stdout: claims, workers,\n"
        "                    claims_per_s, p50_ms, p99_ms, durable,\n"
        "                    fdatasync_per_s, raw_per_s, raw_p50_ms,\n"
        "                    raw_p99_ms, ratio; with --peers also peers\n"
        "                    (one object per peer, as its script printed\n"
        "                    it), best_peer, vs_best_peer\n"
        "  -h, --help        this help\n");
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
s_pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static double
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

//  ---- the raw probe ------------------------------------------------------

static void
s_probe_proxy(zsock_t *pipe, void *args)
{
    (void)args;
    zsock_t *front = zsock_new(ZMQ_ROUTER);
    zsock_t *back = zsock_new(ZMQ_DEALER);
    zsock_set_sndhwm(front, 100000);
    zsock_set_rcvhwm(front, 100000);
    zsock_set_sndhwm(back, 100000);
    zsock_set_rcvhwm(back, 100000);
    zsock_bind(front, "tcp://127.0.0.1:*");
    zsock_bind(back, "tcp://127.0.0.1:*");
    char *fe = zsock_last_endpoint(front), *be = zsock_last_endpoint(back);
    zsock_signal(pipe, 0);
    zstr_sendx(pipe, fe, be, NULL);
    freen(fe);
    freen(be);
    void *f = zsock_resolve(front), *b = zsock_resolve(back),
         *p = zsock_resolve(pipe);
    zmq_pollitem_t items[3] = {
        {p, 0, ZMQ_POLLIN, 0}, {f, 0, ZMQ_POLLIN, 0}, {b, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 3, -1) < 0)
            break;
        if (items[0].revents)
            break; // $TERM
        for (int s = 1; s <= 2; s++) {
            void *from = s == 1 ? f : b, *to = s == 1 ? b : f;
            for (int k = 0; k < 256; k++) {
                zmq_msg_t m;
                zmq_msg_init(&m);
                if (zmq_msg_recv(&m, from, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close(&m);
                    break;
                }
                for (;;) {
                    bool more = zmq_msg_more(&m);
                    zmq_msg_send(&m, to, more ? ZMQ_SNDMORE : 0);
                    if (!more)
                        break;
                    zmq_msg_init(&m);
                    zmq_msg_recv(&m, from, 0);
                }
            }
        }
    }
    zsock_destroy(&front);
    zsock_destroy(&back);
}

static void
s_probe_worker(zsock_t *pipe, void *args)
{
    zsock_t *rep = zsock_new(ZMQ_REP);
    zsock_connect(rep, "%s", (const char *)args);
    zsock_signal(pipe, 0);
    void *r = zsock_resolve(rep), *p = zsock_resolve(pipe);
    zmq_pollitem_t items[2] = {{p, 0, ZMQ_POLLIN, 0}, {r, 0, ZMQ_POLLIN, 0}};
    char buf[4096];
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0 || items[0].revents)
            break;
        int n = zmq_recv(r, buf, sizeof buf, 0);
        if (n < 0)
            break;
        zmq_send(r, buf, (size_t)(n > (int)sizeof buf ? (int)sizeof buf : n),
                 0);
    }
    zsock_destroy(&rep);
}

typedef struct {
    double per_s, p50, p99;
} s_probe_t;

static void
s_probe(size_t n, int workers, int window, s_probe_t *out)
{
    zactor_t *proxy = zactor_new(s_probe_proxy, NULL);
    char *fe = NULL, *be = NULL;
    zstr_recvx(proxy, &fe, &be, NULL);
    zactor_t *w[CQ_CLUSTER_MAX_WORKERS];
    for (int i = 0; i < workers; i++)
        w[i] = zactor_new(s_probe_worker, be);
    zsock_t *client = zsock_new(ZMQ_DEALER);
    zsock_set_sndhwm(client, 100000);
    zsock_set_rcvhwm(client, 100000);
    zsock_connect(client, "%s", fe);
    void *c = zsock_resolve(client);
    double *lat = cq_xmalloc((n ? n : 1) * sizeof *lat);
    uint8_t payload[400];
    memset(payload, 'x', sizeof payload);
    size_t sent = 0, got = 0;
    zclock_sleep(100); // let the REP sockets connect
    double t0 = s_now_ms();
    while (got < n) {
        while (sent < n && sent - got < (size_t)window) {
            double t = s_now_ms();
            memcpy(payload, &t, sizeof t);
            zmq_send(c, "", 0, ZMQ_SNDMORE);
            zmq_send(c, payload, sizeof payload, 0);
            sent++;
        }
        uint8_t buf[512];
        zmq_recv(c, buf, sizeof buf, 0); // the empty delimiter
        int k = zmq_recv(c, buf, sizeof buf, 0);
        if (k < (int)sizeof(double))
            break;
        double t;
        memcpy(&t, buf, sizeof t);
        lat[got++] = s_now_ms() - t;
    }
    double secs = (s_now_ms() - t0) / 1000.0;
    qsort(lat, got, sizeof *lat, s_cmp_double);
    out->per_s = secs > 0 ? (double)got / secs : 0;
    out->p50 = s_pct(lat, got, 0.50);
    out->p99 = s_pct(lat, got, 0.99);
    free(lat);
    zsock_destroy(&client);
    for (int i = 0; i < workers; i++)
        zactor_destroy(&w[i]);
    zactor_destroy(&proxy);
    zstr_free(&fe);
    zstr_free(&be);
}

//  ---- the end-to-end run ---------------------------------------------------

typedef struct {
    double *lat;
    size_t n, cap;
} s_lat_t;

static void
s_on_decision(void *arg, size_t doc, uint32_t index, const cq_decision_t *d,
              double latency_ms)
{
    (void)doc;
    (void)index;
    (void)d;
    s_lat_t *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->lat = cq_xrealloc(l->lat, l->cap * sizeof *l->lat);
    }
    l->lat[l->n++] = latency_ms;
}

static int
s_write_file(const char *path, const cq_gen_t *g,
             int (*fn)(const cq_gen_t *, FILE *))
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return CQ_EIO;
    int rc = fn(g, f);
    if (fclose(f) != 0)
        rc = CQ_EIO;
    return rc;
}

static int
s_rmrf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

//  The peer scripts' driver: DIR/run for --peers-dir, $CLAIMQ_PEERS_DIR,
//  or bench/peers of the source tree (beside or above this program's
//  directory: a build directory inside the source tree).
static int
s_peers_script(const char *dir, char *out, size_t n)
{
    const char *env = getenv("CLAIMQ_PEERS_DIR");
    char self[4096];
    const char *cand[4] = {dir, dir ? NULL : env, NULL, NULL};
    char up1[4200], up0[4200];
    if (!dir && cq_cluster_self_dir(self, sizeof self) == 0) {
        snprintf(up1, sizeof up1, "%s/../bench/peers", self);
        snprintf(up0, sizeof up0, "%s/bench/peers", self);
        cand[2] = up1;
        cand[3] = up0;
    }
    for (int i = 0; i < 4; i++) {
        if (cand[i] == NULL)
            continue;
        snprintf(out, n, "%s/run", cand[i]);
        if (access(out, X_OK) == 0)
            return 0;
        if (dir)
            break;
    }
    return CQ_ENOTFOUND;
}

//  Runs the peers' driver (one JSON line a peer on its stdout; its stderr
//  passes through) and collects the lines. NULL-safe when it fails: an
//  empty array, and a message.
static json_t *
s_peers(const char *run, long messages, bool quiet)
{
    char cmd[4600];
    snprintf(cmd, sizeof cmd, "'%s' --messages %ld", run, messages);
    if (!quiet)
        fprintf(stderr, "%s: running the peers (%s)\n", S_PROG, cmd);
    json_t *a = json_array();
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        fprintf(stderr, "%s: --peers: %s: %s\n", S_PROG, run, strerror(errno));
        return a;
    }
    char line[4096];
    while (fgets(line, sizeof line, p)) {
        json_t *o = json_loads(line, 0, NULL);
        if (o && json_is_object(o) && json_object_get(o, "peer"))
            json_array_append_new(a, o);
        else
            json_decref(o);
    }
    int st = pclose(p);
    if (st != 0)
        fprintf(stderr, "%s: --peers: %s exited with status %d\n", S_PROG, run,
                WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return a;
}

typedef struct {
    cq_submit_result_t res;
    s_lat_t lat;
    int stop_rc;
    double per_s, p50, p99;
} s_sys_t;

//  Starts a cluster (in dir, or dir/curve with CURVE: keys made there, the
//  workers' and this client's from the environment), submits docs, waits
//  for every decision, stops it. Returns 0 or an exit code (said why).
//  A pair: the backup broker, started before the cluster's primary, and
//  the primary's arguments. 0 or an exit code (said why).
static int
s_pair_backup(const char *dir, cq_child_t *backup, const char **pargs,
              char eps[2][4400])
{
    char journal[4400], bin[4096], exe[4200];
    snprintf(eps[0], 4400, "ipc://%s/peer-a", dir);
    snprintf(eps[1], 4400, "ipc://%s/peer-b", dir);
    snprintf(journal, sizeof journal, "%s/journal-backup", dir);
    if (cq_cluster_self_dir(bin, sizeof bin) != 0)
        return CQ_EXIT_SETUP;
    snprintf(exe, sizeof exe, "%s/claimq-broker", bin);
    char *argv[] = {exe,
                    "--frontend",
                    "tcp://127.0.0.1:*",
                    "--backend",
                    "tcp://127.0.0.1:*",
                    "--journal",
                    journal,
                    "--peer",
                    eps[0],
                    "--peer-bind",
                    eps[1],
                    "--role",
                    "backup",
                    NULL};
    if (cq_child_spawn(backup, argv, -1) != 0 ||
        cq_child_wait_ready(backup, 30000) != 0) {
        fprintf(stderr, "claimq bench e2e: the backup broker did not start\n");
        return CQ_EXIT_SETUP;
    }
    const char *a[] = {"--peer", eps[1],    "--peer-bind", eps[0],
                       "--role", "primary", NULL};
    memcpy(pargs, a, sizeof a);
    return 0;
}

//  Waits until the pair is in sync (the backup holds the journal).
static bool
s_pair_synced(cq_bclient_t *c)
{
    for (int i = 0; i < 300; i++) {
        cq_msg_status_reply_t st;
        if (cq_bclient_status(c, "bench-pair-probe", &st, 5000) == 0 &&
            st.pair_synced)
            return true;
        usleep(100000);
    }
    return false;
}

static int
s_system(const char *dir0, const char *plan, const char *members, int workers,
         int credit, uint32_t window, bool journal, bool curve, bool pair,
         const cq_sdocs_t *docs, s_sys_t *out)
{
    memset(out, 0, sizeof *out);
    char dir[4200], keys[4300], broker_key[4400], allow_c[4400], allow_w[4400];
    snprintf(dir, sizeof dir, "%s%s", dir0,
             curve  ? "/curve"
             : pair ? "/pair"
                    : "");
    cq_child_t backup;
    memset(&backup, 0, sizeof backup);
    const char *pargs[8] = {NULL};
    char peer_eps[2][4400];
    if (pair) {
        mkdir(dir, 0700);
        int prc = s_pair_backup(dir, &backup, pargs, peer_eps);
        if (prc != 0)
            return prc;
    }
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(broker_key, sizeof broker_key, "%s/broker.key", keys);
    snprintf(allow_c, sizeof allow_c, "%s/clients", keys);
    snprintf(allow_w, sizeof allow_w, "%s/workers", keys);
    const char *bargs[] = {"--curve-key", broker_key, "--clients", allow_c,
                           "--workers",   allow_w,    NULL};
    if (curve) {
        cq_diag_t kd = {0};
        char pub[4096], wkey[4500], bpub[4500];
        mkdir(dir, 0700);
        mkdir(keys, 0700);
        mkdir(allow_c, 0700);
        mkdir(allow_w, 0700);
        if (cq_curve_keygen(keys, "broker", NULL, pub, &kd) != 0 ||
            cq_curve_keygen(allow_w, "worker", NULL, pub, &kd) != 0 ||
            cq_curve_keygen(allow_c, "bench", "*", pub, &kd) != 0) {
            fprintf(stderr, "claimq bench e2e: %s\n", kd.msg);
            return CQ_EXIT_FAIL;
        }
        snprintf(wkey, sizeof wkey, "%s/worker.key", allow_w);
        snprintf(bpub, sizeof bpub, "%s/broker.pub", keys);
        setenv(CQ_CURVE_ENV_KEY, wkey, 1); // (the workers inherit it)
        setenv(CQ_CURVE_ENV_BROKER, bpub, 1);
    } else {
        //  (the plain run is plain, whatever this shell holds)
        unsetenv(CQ_CURVE_ENV_KEY);
        unsetenv(CQ_CURVE_ENV_BROKER);
    }
    cq_cluster_t *cl = cq_xcalloc(1, sizeof *cl);
    cq_cluster_opts_t co;
    memset(&co, 0, sizeof co);
    co.dir = dir;
    co.plan = plan;
    co.members = members;
    co.workers = workers;
    co.credit = credit;
    co.stderr_fd = -1;
    co.broker_args = curve ? bargs : pair ? pargs : NULL;
    char journal_dir[4300];
    snprintf(journal_dir, sizeof journal_dir, "%s/journal", dir);
    co.journal = journal ? journal_dir : NULL;
    cq_diag_t diag = {0};
    int rc = cq_cluster_start(cl, &co, &diag);
    if (curve) {
        char ckey[4500];
        snprintf(ckey, sizeof ckey, "%s/bench.key", allow_c);
        setenv(CQ_CURVE_ENV_KEY, ckey, 1); // this client's from here on
    }
    if (rc != 0) {
        fprintf(stderr, "claimq bench e2e: %s\n", diag.msg);
        free(cl);
        if (pair)
            cq_child_stop(&backup, SIGKILL, 5000);
        return CQ_EXIT_SETUP;
    }
    cq_bclient_t *c = cq_bclient_new(cl->frontend);
    if (c == NULL || (pair && !s_pair_synced(c))) {
        fprintf(stderr, "claimq bench e2e: %s\n",
                c ? "the pair did not get in sync" : cq_bclient_new_why());
        cq_bclient_destroy(&c);
        cq_cluster_stop(cl);
        free(cl);
        if (pair)
            cq_child_stop(&backup, SIGKILL, 5000);
        return CQ_EXIT_SETUP;
    }
    cq_submit_opts_t so;
    memset(&so, 0, sizeof so);
    char batch[64];
    snprintf(batch, sizeof batch, "bench-%d%s", (int)getpid(),
             curve  ? "-curve"
             : pair ? "-pair"
                    : "");
    so.batch_id = batch;
    so.wait = true;
    so.window = window;
    so.timeout_ms = 60000;
    so.on_decision = s_on_decision;
    so.arg = &out->lat;
    rc = cq_submit_run(c, docs, &so, &out->res);
    cq_bclient_destroy(&c);
    out->stop_rc = cq_cluster_stop(cl);
    free(cl);
    if (pair && cq_child_stop(&backup, SIGTERM, 10000) != 0)
        out->stop_rc |= CQ_EIO;
    if (curve) {
        unsetenv(CQ_CURVE_ENV_KEY);
        unsetenv(CQ_CURVE_ENV_BROKER);
    }
    if (rc != 0) {
        fprintf(stderr, "claimq bench e2e: run failed%s: %s\n",
                curve  ? " (CURVE)"
                : pair ? " (pair)"
                       : "",
                cq_strerror(rc));
        free(out->lat.lat);
        return CQ_EXIT_FAIL;
    }
    qsort(out->lat.lat, out->lat.n, sizeof *out->lat.lat, s_cmp_double);
    out->per_s = out->res.elapsed_s > 0
                     ? (double)out->res.decided / out->res.elapsed_s
                     : 0;
    out->p50 = s_pct(out->lat.lat, out->lat.n, 0.50);
    out->p99 = s_pct(out->lat.lat, out->lat.n, 0.99);
    return 0;
}

int
cq_bench_e2e(int argc, char **argv)
{
    long claims = 20000, workers = 2, window = 32, chunk = 128, credit = 1024,
         probe_window = 100;
    const char *keep = NULL, *peers_dir = NULL;
    bool json = false, journal = true, peers = false, curve = false,
         pair = false;
    static const struct option opts[] = {
        {"claims", required_argument, NULL, 'n'},
        {"workers", required_argument, NULL, 'w'},
        {"window", required_argument, NULL, 'W'},
        {"chunk", required_argument, NULL, 'c'},
        {"credit", required_argument, NULL, 'C'},
        {"probe-window", required_argument, NULL, 'p'},
        {"keep", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"no-journal", no_argument, NULL, 'J'},
        {"peers", no_argument, NULL, 'P'},
        {"curve", no_argument, NULL, 'U'},
        {"pair", no_argument, NULL, 'A'},
        {"peers-dir", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, S_PROG)) != -1) {
        char *end = NULL;
        long v = optarg ? strtol(optarg, &end, 10) : 0;
        bool bad = optarg && (end == optarg || *end || v < 1);
        switch (ch) {
        case 'n':
            claims = v;
            break;
        case 'w':
            workers = v;
            bad = bad || v > CQ_CLUSTER_MAX_WORKERS;
            break;
        case 'W':
            window = v;
            break;
        case 'c':
            chunk = v;
            break;
        case 'C':
            credit = v;
            bad = bad || v > 65536;
            break;
        case 'p':
            probe_window = v;
            break;
        case 'k':
            keep = optarg;
            bad = false;
            break;
        case 'j':
            json = true;
            break;
        case 'J':
            journal = false;
            break;
        case 'P':
            peers = true;
            break;
        case 'U':
            curve = true;
            break;
        case 'A':
            pair = true;
            break;
        case 'D':
            peers_dir = optarg;
            peers = true;
            bad = false;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
        if (bad) {
            char name[40] = "";
            for (const struct option *o = opts; o->name; o++)
                if (o->val == ch)
                    snprintf(name, sizeof name, "--%s", o->name);
            return cq_opt_bad_value(S_PROG, name, optarg,
                                    ch == 'w'   ? "1..64"
                                    : ch == 'C' ? "1..65536"
                                                : "a whole number, 1 or more");
        }
    }
    if (optind != argc) {
        fprintf(stderr, "claimq bench e2e: unexpected argument\n"
                        "Try 'claimq bench e2e --help'.\n");
        return CQ_EXIT_USAGE;
    }
    zsys_handler_set(NULL);
    zsys_set_logstream(stderr);
    signal(SIGPIPE, SIG_IGN);

    //  data
    char dir[4096];
    if (keep) {
        snprintf(dir, sizeof dir, "%s", keep);
        mkdir(dir, 0755);
    } else {
        snprintf(dir, sizeof dir, "/tmp/claimq-bench-XXXXXX");
        if (mkdtemp(dir) == NULL) {
            fprintf(stderr, "claimq bench e2e: mkdtemp: %s\n", strerror(errno));
            return CQ_EXIT_FAIL;
        }
    }
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = (size_t)claims;
    go.n_members = (size_t)(claims / 10 + 10);
    cq_gen_t *g = cq_gen_new(&go);
    if (g == NULL) {
        fprintf(stderr, "claimq bench e2e: --claims out of range\n");
        return CQ_EXIT_USAGE;
    }
    char plan[4200], members[4200];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    if (s_write_file(plan, g, cq_gen_write_plan) != 0 ||
        s_write_file(members, g, cq_gen_write_members) != 0) {
        fprintf(stderr, "claimq bench e2e: cannot write %s\n", dir);
        cq_gen_destroy(&g);
        return CQ_EXIT_FAIL;
    }
    cq_buf_t text;
    cq_buf_init(&text, (size_t)1 << 34);
    cq_gen_claims_jsonl(g, &text);
    cq_gen_destroy(&g);
    cq_sdocs_t docs;
    cq_sdocs_init(&docs);
    {
        const char *p = text.data, *end = text.data + text.len, *start = p;
        uint32_t rec = 0, first = 1;
        long in_doc = 0;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
            rec++;
            if (++in_doc == chunk || p == end) {
                cq_sdocs_add_mem(&docs, "bench.jsonl", (const uint8_t *)start,
                                 (size_t)(p - start), first);
                start = p;
                first = rec + 1;
                in_doc = 0;
            }
        }
    }

    char peers_run[4300] = "";
    if (peers && s_peers_script(peers_dir, peers_run, sizeof peers_run) != 0) {
        fprintf(stderr,
                "%s: --peers: no peer scripts (bench/peers/run) found%s%s; "
                "give --peers-dir DIR\n",
                S_PROG, peers_dir ? " in " : "", peers_dir ? peers_dir : "");
        cq_sdocs_free(&docs);
        cq_buf_free(&text);
        return CQ_EXIT_SETUP;
    }
    //  1. the raw probe, alone on the machine
    //  (at least 100,000 requests: shorter runs measure the warm-up)
    long probe_n = claims < 100000 ? 100000 : claims;
    s_probe_t probe;
    s_probe((size_t)probe_n, (int)workers, (int)probe_window, &probe);
    //  ... and the disk the journal is on (what a durable receipt waits for)
    double fsyncs = cq_journal_fsync_rate(dir, 1000);

    //  2. the system; with --curve, then again with CURVE on every socket
    s_sys_t sys, sys_curve, sys_pair;
    memset(&sys_curve, 0, sizeof sys_curve);
    memset(&sys_pair, 0, sizeof sys_pair);
    int rc = s_system(dir, plan, members, (int)workers, (int)credit,
                      (uint32_t)window, journal, false, false, &docs, &sys);
    if (rc == 0 && curve)
        rc =
            s_system(dir, plan, members, (int)workers, (int)credit,
                     (uint32_t)window, journal, true, false, &docs, &sys_curve);
    if (rc == 0 && pair)
        rc = s_system(dir, plan, members, (int)workers, (int)credit,
                      (uint32_t)window, true, false, true, &docs, &sys_pair);
    cq_sdocs_free(&docs);
    cq_buf_free(&text);
    if (!keep)
        s_rmrf(dir);
    if (rc != 0)
        return rc;
    cq_submit_result_t res = sys.res;
    int stop_rc = sys.stop_rc | sys_curve.stop_rc | sys_pair.stop_rc;
    s_lat_t lat = sys.lat;
    double per_s = sys.per_s, p50 = sys.p50, p99 = sys.p99;
    double ratio = probe.per_s > 0 ? per_s / probe.per_s : 0;
    //  3. the peers, one after the other, alone on the machine
    json_t *pv = peers ? s_peers(peers_run, claims, json) : NULL;
    double best = 0;
    const char *best_name = NULL;
    size_t pi;
    json_t *pe;
    json_array_foreach(pv, pi, pe)
    {
        double v = json_number_value(json_object_get(pe, "per_s"));
        if (v > best) {
            best = v;
            best_name = json_string_value(json_object_get(pe, "peer"));
        }
    }
    if (json) {
        char fs[32];
        snprintf(fs, sizeof fs, fsyncs >= 0 ? "%.0f" : "null", fsyncs);
        printf("{\"claims\": %ld, \"decided\": %llu, \"workers\": %ld, "
               "\"claims_per_s\": %.0f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, "
               "\"durable\": %s, \"fdatasync_per_s\": %s, "
               "\"raw_per_s\": %.0f, \"raw_p50_ms\": %.3f, "
               "\"raw_p99_ms\": %.3f, \"ratio\": %.3f, \"window\": %ld, "
               "\"chunk\": %ld",
               claims, (unsigned long long)res.decided, workers, per_s, p50,
               p99, res.durable ? "true" : "false", fs, probe.per_s, probe.p50,
               probe.p99, ratio, window, chunk);
        if (curve)
            printf(", \"curve_claims_per_s\": %.0f, \"curve_p50_ms\": %.2f, "
                   "\"curve_p99_ms\": %.2f, \"curve_cost\": %.3f",
                   sys_curve.per_s, sys_curve.p50, sys_curve.p99,
                   per_s > 0 ? 1 - sys_curve.per_s / per_s : 0);
        if (pair)
            printf(", \"pair_claims_per_s\": %.0f, \"pair_p50_ms\": %.2f, "
                   "\"pair_p99_ms\": %.2f, \"pair_cost\": %.3f",
                   sys_pair.per_s, sys_pair.p50, sys_pair.p99,
                   per_s > 0 ? 1 - sys_pair.per_s / per_s : 0);
        if (pv) {
            char *ps = json_dumps(pv, JSON_COMPACT);
            printf(", \"peers\": %s, \"best_peer\": ", ps ? ps : "[]");
            free(ps);
            if (best_name)
                printf("\"%s\", \"vs_best_peer\": %.3f", best_name,
                       per_s / best);
            else
                printf("null, \"vs_best_peer\": null");
        }
        printf("}\n");
    } else {
        printf("e2e:   %llu claims, %ld workers: %.0f claims/s, p50 %.1f ms, "
               "p99 %.1f ms (%s)\n",
               (unsigned long long)res.decided, workers, per_s, p50, p99,
               res.durable ? "durable: receipts follow the journal's fsync"
                           : "not durable: the broker keeps no journal");
        printf("raw:   %ld requests of 400 B, window %ld: %.0f req/s, p50 "
               "%.3f ms, p99 %.3f ms\n",
               probe_n, probe_window, probe.per_s, probe.p50, probe.p99);
        if (fsyncs >= 0)
            printf("disk:  %.0f fdatasync/s in %s\n", fsyncs, dir);
        else
            printf("disk:  fdatasync rate not measured in %s (%s)\n", dir,
                   cq_strerror((int)fsyncs));
        printf("ratio: e2e / raw = %.3f\n", ratio);
        if (curve)
            printf("curve: %llu claims with CURVE on every socket: %.0f "
                   "claims/s, p50 %.1f ms, p99 %.1f ms; CURVE costs %.1f%% "
                   "of the plain run's throughput\n",
                   (unsigned long long)sys_curve.res.decided, sys_curve.per_s,
                   sys_curve.p50, sys_curve.p99,
                   per_s > 0 ? 100 * (1 - sys_curve.per_s / per_s) : 0);
        if (pair)
            printf("pair:  %llu claims with a pair of brokers (the journal "
                   "replicated, receipts after both disks): %.0f claims/s, "
                   "p50 %.1f ms, p99 %.1f ms; replication costs %.1f%% of "
                   "the single broker's throughput%s\n",
                   (unsigned long long)sys_pair.res.decided, sys_pair.per_s,
                   sys_pair.p50, sys_pair.p99,
                   per_s > 0 ? 100 * (1 - sys_pair.per_s / per_s) : 0,
                   journal ? "" : " (which kept no journal)");
        json_array_foreach(pv, pi, pe)
        {
            const char *nm = json_string_value(json_object_get(pe, "peer"));
            json_t *sk = json_object_get(pe, "skipped");
            if (sk) {
                printf("peer:  %-16s skipped: %s\n", nm ? nm : "?",
                       json_string_value(sk));
                continue;
            }
            double v = json_number_value(json_object_get(pe, "per_s"));
            printf("peer:  %-16s %.0f msgs/s, p50 %.1f ms, p99 %.1f ms "
                   "(claimq durable e2e / it = %.2f)\n",
                   nm ? nm : "?", v,
                   json_number_value(json_object_get(pe, "p50_ms")),
                   json_number_value(json_object_get(pe, "p99_ms")),
                   v > 0 ? per_s / v : 0);
        }
        if (best_name)
            printf("best peer: %s; claimq / it = %.2f\n", best_name,
                   per_s / best);
    }
    json_decref(pv);
    free(lat.lat);
    free(sys_curve.lat.lat);
    free(sys_pair.lat.lat);
    if (stop_rc != 0)
        fprintf(stderr, "claimq bench e2e: a process did not stop cleanly\n");
    return res.decided == (unsigned long long)claims &&
                   (!curve ||
                    sys_curve.res.decided == (unsigned long long)claims) &&
                   (!pair ||
                    sys_pair.res.decided == (unsigned long long)claims) &&
                   stop_rc == 0
               ? CQ_EXIT_OK
               : CQ_EXIT_FAIL;
}
