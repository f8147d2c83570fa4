//  claimq bench scale: how throughput grows with worker nodes. Every
//  worker sleeps a fixed time per claim (--delay-ms; it sleeps, it does not
//  spin, so 64 workers fit on a small machine), so a worker's capacity is
//  known (1000 / delay claims/s) and the cluster's ideal is N times that.
//  At 1, 2, 4, ... --max-workers workers (added to one cluster as it goes)
//  a fresh batch of claims is submitted and the steady-state throughput
//  measured: decisions per second between 10% and 60% of the batch, when
//  every worker has queued work (the tail, where the least loaded nodes
//  run dry first, measures the shard skew, not the capacity; the time to
//  complete is reported beside it). With it, the broker's CPU time per
//  claim over the same window, read from /proc.
#include "cluster.h"
#include "cmds.h"
#include "gen.h"
#include "log.h"
#include "mem.h"
#include "submit.h"
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
#include <time.h>
#include <unistd.h>

#define S_PROG "claimq bench scale"

static void
s_help(void)
{
    printf(
        "usage: claimq bench scale [--max-workers N] [--delay-ms D] "
        "[--seconds S] [--json]\n\n"
        "Throughput against worker count. Each worker sleeps D ms per\n"
        "claim (a stand-in for OCR and rules work), so N workers can at\n"
        "best decide N x 1000/D claims/s. Starts a broker (journaling, %s\n"
        "shards) and one worker on 127.0.0.1, then for N = 1, 2, 4, ...\n"
        "up to --max-workers adds workers and submits N x 1000/D x S\n"
        "new claims, measuring the steady-state rate (decisions between\n"
        "10%% and 60%% of the batch), its ratio to the ideal, the time to\n"
        "complete the batch, and the broker's CPU per claim.\n\n"
        "options:\n"
        "  --max-workers N   the last step (default 64, at most 64)\n"
        "  --delay-ms D      per-claim sleep in each worker (default 20)\n"
        "  --seconds S       claims per step: S seconds of the ideal rate\n"
        "                    (default 8)\n"
        "  --credit N        claims each worker holds (default 32). A\n"
        "                    worker heartbeats between the messages it\n"
        "                    decides, so N x D ms must stay well under\n"
        "                    its heartbeat interval (1 s), or the\n"
        "                    broker takes it for dead\n"
        "  --shards N        the broker's shards (default 4096: with few\n"
        "                    shards per node, rendezvous hashing leaves\n"
        "                    some nodes with much more work than others)\n"
        "  --keep DIR        keep the data, journal and ledgers in DIR\n"
        "  --json            one JSON object on stdout: delay_ms, steps\n"
        "                    [{workers, claims, claims_per_s, ideal_per_s,\n"
        "                    efficiency, complete_s, broker_cpu_us_per_claim,\n"
        "                    settle_s (after workers join, until every\n"
        "                    shard is placed; the step starts then)}]\n"
        "  -h, --help        this help\n",
        "4096");
}

//  Waits until the broker has placed every shard (no planned move left)
//  after workers joined: the steady state a step measures, not the join.
//  Seconds it took, or -1 after 120 s or when the broker does not answer.
static double s_now(void);
static double
s_settle(const char *frontend)
{
    double t0 = s_now();
    cq_bclient_t *c = cq_bclient_new(frontend);
    double took = -1;
    while (c && s_now() - t0 < 120) {
        cq_msg_shards_reply_t r;
        if (cq_bclient_shards(c, &r, 5000) != 0)
            break;
        bool placed = r.moves_active == 0;
        for (uint32_t i = 0; i < r.n_items && placed; i++)
            placed = r.items[i].target[0] == '\0'; // (never used: no owner)
        cq_proto_shards_reply_free(&r);
        if (placed) {
            took = s_now() - t0;
            break;
        }
        usleep(20000);
    }
    cq_bclient_destroy(&c);
    return took;
}

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

//  CPU seconds (user + system) of process pid, or -1.
static double
s_cpu(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); // after the command name
    if (p == NULL)
        return -1;
    unsigned long long ut = 0, st = 0;
    //  fields 3.. after ")": state ppid pgrp session tty tpgid flags minflt
    //  cminflt majflt cmajflt utime stime
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

#define S_NODES 64
typedef struct {
    uint64_t total;      // claims in the step
    uint64_t n;          // decided so far
    double t10, t60;     // when 10% and 60% were decided
    double cpu10, cpu60; // the broker's CPU then
    pid_t broker;
    //  decisions per node (w1..w64) between 10% and 60%: how evenly the
    //  work went (the slowest node bounds the step)
    uint32_t per_node[S_NODES];
} s_step_t;

static void
s_on_decision(void *arg, size_t doc, uint32_t index, const cq_decision_t *d,
              double latency_ms)
{
    (void)doc;
    (void)index;
    (void)latency_ms;
    s_step_t *s = arg;
    s->n++;
    int node = d->node[0] == 'w' ? atoi(d->node + 1) : 0;
    if (s->n > s->total / 10 && s->n <= s->total * 6 / 10 && node >= 1 &&
        node <= S_NODES)
        s->per_node[node - 1]++;
    if (s->n == s->total / 10) {
        s->t10 = s_now();
        s->cpu10 = s_cpu(s->broker);
    } else if (s->n == s->total * 6 / 10) {
        s->t60 = s_now();
        s->cpu60 = s_cpu(s->broker);
    }
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
cq_bench_scale(int argc, char **argv)
{
    long max_workers = 64, delay_ms = 20, seconds = 8, credit = 32,
         shards = 4096;
    const char *keep = NULL;
    bool json = false;
    static const struct option opts[] = {
        {"max-workers", required_argument, NULL, 'w'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"seconds", required_argument, NULL, 's'},
        {"credit", required_argument, NULL, 'c'},
        {"shards", required_argument, NULL, 'S'},
        {"keep", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, S_PROG)) != -1) {
        switch (ch) {
        case 'w':
            if (!s_num(optarg, 1, CQ_CLUSTER_MAX_WORKERS, &max_workers))
                return cq_opt_bad_value(S_PROG, "--max-workers", optarg,
                                        "1..64");
            break;
        case 'd':
            if (!s_num(optarg, 1, 1000, &delay_ms))
                return cq_opt_bad_value(S_PROG, "--delay-ms", optarg,
                                        "1..1000");
            break;
        case 's':
            if (!s_num(optarg, 1, 600, &seconds))
                return cq_opt_bad_value(S_PROG, "--seconds", optarg, "1..600");
            break;
        case 'c':
            if (!s_num(optarg, 1, 65536, &credit))
                return cq_opt_bad_value(S_PROG, "--credit", optarg, "1..65536");
            break;
        case 'S':
            if (!s_num(optarg, 1, 65536, &shards))
                return cq_opt_bad_value(S_PROG, "--shards", optarg, "1..65536");
            break;
        case 'k':
            keep = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind != argc)
        goto usage;
    zsys_handler_set(NULL);
    zsys_set_logstream(stderr);
    signal(SIGPIPE, SIG_IGN);

    //  the steps, and the claims they need (distinct claims per step: a
    //  claim key already decided is not decided again)
    long steps[16], n_steps = 0, total = 0;
    double per_worker = 1000.0 / (double)delay_ms;
    for (long w = 1;; w *= 2) {
        if (w > max_workers)
            w = max_workers;
        steps[n_steps++] = w;
        total += (long)(w * per_worker * (double)seconds);
        if (w == max_workers)
            break;
    }
    char dir[4096];
    if (keep) {
        snprintf(dir, sizeof dir, "%s", keep);
        mkdir(dir, 0755);
    } else {
        snprintf(dir, sizeof dir, "/tmp/claimq-bench-XXXXXX");
        if (mkdtemp(dir) == NULL) {
            fprintf(stderr, "claimq bench scale: mkdtemp: %s\n",
                    strerror(errno));
            return CQ_EXIT_FAIL;
        }
    }
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.n_claims = (size_t)total;
    go.n_members = (size_t)(total / 2 + 10); // many members: even shards
    cq_gen_t *g = cq_gen_new(&go);
    if (g == NULL) {
        fprintf(stderr, "claimq bench scale: too many claims\n");
        return CQ_EXIT_USAGE;
    }
    char plan[4200], members[4200], jdir[4200];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(jdir, sizeof jdir, "%s/journal", dir);
    if (s_write_file(plan, g, cq_gen_write_plan) != 0 ||
        s_write_file(members, g, cq_gen_write_members) != 0) {
        fprintf(stderr, "claimq bench scale: cannot write %s\n", dir);
        cq_gen_destroy(&g);
        return CQ_EXIT_FAIL;
    }
    cq_buf_t text;
    cq_buf_init(&text, (size_t)1 << 34);
    cq_gen_claims_jsonl(g, &text);
    cq_gen_destroy(&g);

    //  the workers sleep per claim (the test fault switch, in their
    //  environment only)
    char fault[64];
    snprintf(fault, sizeof fault, "delay-claim-us=%ld", delay_ms * 1000);
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", fault, 1);
    cq_cluster_t *cl = cq_xcalloc(1, sizeof *cl);
    cq_cluster_opts_t co;
    memset(&co, 0, sizeof co);
    co.dir = dir;
    co.plan = plan;
    co.members = members;
    co.workers = 1;
    co.credit = (int)credit;
    co.stderr_fd = -1;
    co.journal = jdir;
    char shards_arg[32];
    snprintf(shards_arg, sizeof shards_arg, "%ld", shards);
    const char *bargs[] = {"--shards", shards_arg, NULL};
    co.broker_args = bargs;
    cq_diag_t diag = {0};
    int rc = cq_cluster_start(cl, &co, &diag);
    if (rc != 0) {
        fprintf(stderr, "claimq bench scale: %s\n", diag.msg);
        free(cl);
        cq_buf_free(&text);
        return CQ_EXIT_SETUP;
    }
    json_t *out = json_array();
    const char *p = text.data, *end = text.data + text.len;
    uint32_t rec = 0;
    int result = CQ_EXIT_OK;
    for (long k = 0; k < n_steps && result == CQ_EXIT_OK; k++) {
        long w = steps[k];
        while (cl->n_workers < w && rc == 0)
            rc = cq_cluster_add_worker(cl, &diag);
        if (rc != 0) {
            fprintf(stderr, "claimq bench scale: %s\n", diag.msg);
            result = CQ_EXIT_SETUP;
            break;
        }
        double settle = s_settle(cl->frontend);
        if (settle < 0) {
            fprintf(stderr,
                    "claimq bench scale: %ld workers: the broker did "
                    "not place every shard within 120 s\n",
                    w);
            result = CQ_EXIT_FAIL;
            break;
        }
        //  this step's claims, in documents of 32 (small: work spreads)
        long n = (long)(w * per_worker * (double)seconds);
        cq_sdocs_t docs;
        cq_sdocs_init(&docs);
        const char *start = p;
        uint32_t first = rec + 1;
        long in_doc = 0;
        for (long i = 0; i < n && p < end; i++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
            rec++;
            if (++in_doc == 32 || i == n - 1 || p == end) {
                cq_sdocs_add_mem(&docs, "scale.jsonl", (const uint8_t *)start,
                                 (size_t)(p - start), first);
                start = p;
                first = rec + 1;
                in_doc = 0;
            }
        }
        s_step_t st;
        memset(&st, 0, sizeof st);
        st.total = (uint64_t)n;
        st.broker = cl->broker.pid;
        cq_submit_opts_t so;
        memset(&so, 0, sizeof so);
        char batch[64];
        snprintf(batch, sizeof batch, "scale-%ld-%d", w, (int)getpid());
        so.batch_id = batch;
        so.wait = true;
        //  Every document of the step in flight at once: with a window,
        //  documents wait on the busiest nodes' claims (a document is in
        //  flight until its last claim is decided) and, shards being
        //  spread unevenly, the least loaded nodes idle: at 64 nodes and a
        //  window of 256 documents of 32 claims, 12% of the capacity.
        so.window = docs.n > 256 ? (uint32_t)docs.n : 256;
        so.timeout_ms = 120000;
        so.on_decision = s_on_decision;
        so.arg = &st;
        cq_bclient_t *c = cq_bclient_new(cl->frontend);
        cq_submit_result_t res;
        double t0 = s_now();
        rc = cq_submit_run(c, &docs, &so, &res);
        double t1 = s_now();
        cq_bclient_destroy(&c);
        cq_sdocs_free(&docs);
        if (rc != 0 || res.decided != (uint64_t)n) {
            fprintf(stderr,
                    "claimq bench scale: %ld workers: %s (%llu of %ld "
                    "decided)\n",
                    w, cq_strerror(rc), (unsigned long long)res.decided, n);
            result = CQ_EXIT_FAIL;
            break;
        }
        double window_n = (double)(n * 6 / 10 - n / 10);
        double rate = st.t60 > st.t10 ? window_n / (st.t60 - st.t10) : 0;
        double ideal = (double)w * per_worker;
        double cpu_us = st.cpu60 >= 0 && st.cpu10 >= 0 && window_n > 0
                            ? (st.cpu60 - st.cpu10) * 1e6 / window_n
                            : -1;
        json_t *o = json_object();
        json_object_set_new(o, "workers", json_integer(w));
        json_object_set_new(o, "claims", json_integer(n));
        json_object_set_new(o, "claims_per_s", json_real(rate));
        json_object_set_new(o, "ideal_per_s", json_real(ideal));
        json_object_set_new(o, "efficiency", json_real(rate / ideal));
        json_object_set_new(o, "complete_s", json_real(t1 - t0));
        json_object_set_new(o, "broker_cpu_us_per_claim", json_real(cpu_us));
        json_object_set_new(o, "settle_s", json_real(settle));
        //  the least and most busy node in the window, as a share of what
        //  a node can do in it (1000 / delay claims/s)
        double span = st.t60 - st.t10, cap = span * per_worker;
        uint32_t lo = UINT32_MAX, hi = 0;
        for (long k2 = 0; k2 < w && k2 < S_NODES; k2++) {
            lo = st.per_node[k2] < lo ? st.per_node[k2] : lo;
            hi = st.per_node[k2] > hi ? st.per_node[k2] : hi;
        }
        double node_min = cap > 0 ? lo / cap : 0,
               node_max = cap > 0 ? hi / cap : 0;
        json_object_set_new(o, "node_busy_min", json_real(node_min));
        json_object_set_new(o, "node_busy_max", json_real(node_max));
        json_array_append_new(out, o);
        if (!json) {
            printf("%3ld workers: %7.0f claims/s of %7.0f ideal (%5.1f%%), "
                   "%ld claims in %.1f s, broker %.0f us CPU/claim, shards "
                   "placed in %.2f s, nodes %.0f-%.0f%% busy\n",
                   w, rate, ideal, 100.0 * rate / ideal, n, t1 - t0, cpu_us,
                   settle, 100 * node_min, 100 * node_max);
            fflush(stdout);
        }
    }
    unsetenv("CLAIMQ_TEST_FAULTS");
    unsetenv("CLAIMQ_FAULT");
    int stop_rc = cq_cluster_stop(cl);
    free(cl);
    cq_buf_free(&text);
    if (!keep) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "claimq bench scale: cannot remove %s\n", dir);
    }
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "delay_ms", json_integer(delay_ms));
        json_object_set_new(o, "shards", json_integer(shards));
        json_object_set_new(o, "credit", json_integer(credit));
        json_object_set_new(o, "steps", out);
        json_dumpf(o, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
    } else {
        json_decref(out);
    }
    if (stop_rc != 0)
        fprintf(stderr, "claimq bench scale: a process did not stop cleanly\n");
    return result;
usage:
    fprintf(stderr, "claimq bench scale: expected [--max-workers N] "
                    "[--delay-ms D] [--seconds S] [--json]\n"
                    "Try 'claimq bench scale --help'.\n");
    return CQ_EXIT_USAGE;
}
