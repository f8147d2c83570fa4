//  claimq top: a live view of a cluster in the terminal (refreshing; q
//  quits), or plain snapshots when stdout is not a terminal. Everything
//  comes from the broker (WORKERS): throughput, queues per stage, each
//  node's load and lag, pended and quarantined counts.
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
#include "opts.h"

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
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
    printf("usage: claimq top [--broker URL] [--interval S] [--count N]\n\n"
           "A live view of the cluster: claims decided per second, what waits\n"
           "at each stage (documents for intake, claims for adjudication, in\n"
           "flight), each worker's load (claims in flight of its credit),\n"
           "rate and lag (since it was last heard), and the claims pended for\n"
           "a person and quarantined. On a terminal it refreshes in place;\n"
           "q (or Ctrl-C) quits. When stdout is not a terminal it prints one\n"
           "plain snapshot per interval (--count of them; default 1).\n\n"
           "options:\n"
           "  --broker URL    broker frontend, tcp://HOST:PORT or ipc://PATH\n"
           "                  (default $CLAIMQ_BROKER, else a local `claimq\n"
           "                  up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
           "                  claimq-data; else %s)\n"
           "  --interval S    seconds between refreshes, 1..3600 (default 1)\n"
           "  --count N       snapshots, then exit (default: until q on a\n"
           "                  terminal, 1 otherwise)\n"
           "  --timeout S     seconds to wait for the broker, 1..86400\n"
           "                  (default 5)\n"
           "  -h, --help      this help\n\n"
           "exit codes: 0 ok, 2 usage, 3 the address is the broker's worker\n"
           "endpoint, 4 broker unreachable\n",
           CQ_BROKER_DEFAULT);
}

static uint64_t
s_counter(const cq_msg_workers_reply_t *r, const char *name)
{
    for (uint32_t i = 0; i < r->n_counters; i++)
        if (strcmp(r->counters[i].name, name) == 0)
            return r->counters[i].value;
    return 0;
}

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

//  One screen (or snapshot) from r; rate: claims/s since the last one
//  (negative: not known yet).
static void
s_draw(FILE *f, const char *ep, const cq_msg_workers_reply_t *r, double rate,
       bool tty)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char when[32];
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    if (tty)
        fputs("\033[H\033[2J", f);
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->n_workers; i++)
        live += strcmp(r->workers[i].state, "live") == 0;
    fprintf(f, "claimq top  %s  broker %s  epoch %llu%s\n", when, ep,
            (unsigned long long)s_counter(r, "epoch"),
            s_counter(r, "journal_full") ? "  JOURNAL FULL" : "");
    if (rate >= 0)
        fprintf(f, "throughput  %.0f claims/s", rate);
    else
        fprintf(f, "throughput  - claims/s");
    fprintf(f,
            "   decided %llu   workers %u live of %u   shards %u (%llu "
            "moving)\n",
            (unsigned long long)s_counter(r, "decided"), live, r->n_workers,
            r->shards, (unsigned long long)s_counter(r, "moves_active"));
    uint64_t inflight = 0;
    for (uint32_t i = 0; i < r->n_workers; i++)
        inflight += r->workers[i].inflight;
    fprintf(f,
            "queues      intake %llu docs   adjudication %llu claims   in "
            "flight %llu claims\n",
            (unsigned long long)s_counter(r, "queued_intake"),
            (unsigned long long)s_counter(r, "queued_claims"),
            (unsigned long long)inflight);
    fprintf(f,
            "people      pended %llu   quarantined %llu   batches open "
            "%llu\n\n",
            (unsigned long long)s_counter(r, "pended"),
            (unsigned long long)s_counter(r, "quarantined_now"),
            (unsigned long long)s_counter(r, "batches_open"));
    fprintf(f, "%-16s %-16s %-9s %6s %11s %9s %8s %10s\n", "NODE", "HOST",
            "STATE", "SHARDS", "LOAD", "CLAIMS/S", "LAG", "DECIDED");
    for (uint32_t i = 0; i < r->n_workers; i++) {
        const cq_worker_info_t *w = &r->workers[i];
        char load[32];
        snprintf(load, sizeof load, "%u/%u", w->inflight, w->credit);
        char lag[32];
        if (w->idle_ms < 10000)
            snprintf(lag, sizeof lag, "%llums", (unsigned long long)w->idle_ms);
        else
            snprintf(lag, sizeof lag, "%llus",
                     (unsigned long long)(w->idle_ms / 1000));
        fprintf(f, "%-16.16s %-16.16s %-9.9s %6u %11s %9u %8s %10llu\n",
                w->node_id, w->host[0] ? w->host : "-", w->state, w->shards,
                load, w->claims_per_s, lag, (unsigned long long)w->decided);
    }
    if (tty)
        fputs("\nq quits\n", f);
    else
        fputc('\n', f);
    fflush(f);
}

int
cq_cmd_top(int argc, char **argv)
{
    const char *broker = NULL;
    int timeout_s = 5, interval_s = 1;
    long count = -1;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq top")) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value("claimq top", "--timeout", optarg,
                                        "seconds, 1..86400");
            break;
        case 'i':
            if (!cq_bclient_timeout_arg(optarg, &interval_s) ||
                interval_s > 3600)
                return cq_opt_bad_value("claimq top", "--interval", optarg,
                                        "seconds, 1..3600");
            break;
        case 'c': {
            char *end;
            count = strtol(optarg, &end, 10);
            if (end == optarg || *end || count < 1 || count > 1000000)
                return cq_opt_bad_value("claimq top", "--count", optarg,
                                        "1..1000000");
            break;
        }
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind != argc)
        goto usage;
    bool tty = isatty(1) && isatty(0);
    if (count < 0)
        count = tty ? 0 : 1; // 0: until q
    cq_broker_ep_t bep;
    cq_bclient_t *c;
    int ex = cq_broker_ep_connect("top", broker, &bep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    const char *ep = bep.ep;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct termios saved;
    bool raw = false;
    if (tty && tcgetattr(0, &saved) == 0) {
        struct termios t = saved;
        t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        raw = tcsetattr(0, TCSANOW, &t) == 0;
        fputs("\033[?25l", stdout); // cursor hidden
    }
    int result = CQ_EXIT_OK;
    uint64_t last_decided = 0;
    double last_at = 0;
    for (long shown = 0; !s_stop && (count == 0 || shown < count); shown++) {
        cq_msg_workers_reply_t r;
        int rc = cq_bclient_workers(c, &r, timeout_s * 1000);
        if (rc != 0) {
            if (tty)
                fputs("\033[H\033[2J", stdout);
            result = cq_broker_ep_fail("top", &bep, cq_bclient_why(c), rc);
            break;
        }
        double now = s_now();
        uint64_t decided = s_counter(&r, "decided");
        double rate = last_at > 0 && now > last_at
                          ? (double)(decided - last_decided) / (now - last_at)
                          : -1;
        last_decided = decided;
        last_at = now;
        s_draw(stdout, ep, &r, rate, tty);
        cq_proto_workers_reply_free(&r);
        if (count != 0 && shown + 1 >= count)
            break;
        //  wait for the interval, or q
        double until = now + interval_s;
        while (!s_stop && s_now() < until) {
            struct pollfd p = {0, POLLIN, 0};
            int left = (int)((until - s_now()) * 1000) + 1;
            if (tty && poll(&p, 1, left) == 1) {
                char k;
                if (read(0, &k, 1) == 1 && (k == 'q' || k == 'Q'))
                    s_stop = 1;
            } else if (!tty) {
                usleep((useconds_t)left * 1000);
            }
        }
    }
    if (raw) {
        tcsetattr(0, TCSANOW, &saved);
        fputs("\033[?25h\n", stdout);
    }
    cq_bclient_destroy(&c);
    return result;
usage:
    fprintf(stderr, "claimq top: expected [--broker URL] [--interval S] "
                    "[--count N]\nTry 'claimq top --help'.\n");
    return CQ_EXIT_USAGE;
}
