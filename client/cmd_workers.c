//  claimq workers: the broker's worker nodes and its counters.
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
#include "mem.h"
#include "opts.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
s_help(void)
{
    printf("usage: claimq workers [--broker URL] [--json]\n\n"
           "Shows the broker's worker nodes and its counters: a table for\n"
           "people on a terminal; one JSON object on stdout with --json, or\n"
           "when stdout is not a terminal (scripts):\n"
           "  {\"rules_version\", \"shards\",\n"
           "   \"workers\": [{\"node\", \"state\" (live|draining|mismatch|"
           "dead|left|paused),\n"
           "                \"host\", \"uptime_s\", \"credit\", "
           "\"inflight\",\n"
           "                \"intake_credit\", \"intake_inflight\", "
           "\"shards\",\n"
           "                \"intake_done\", \"decided\", \"claims_per_s\",\n"
           "                \"idle_ms\" (heartbeat age: since last heard),\n"
           "                \"heartbeat_ms\", \"rules_version\"}],\n"
           "   \"counters\": {\"malformed\", \"unknown_command\", "
           "\"oversized\",\n"
           "                \"stale_results\", \"undeliverable\", ...}}\n"
           "Every message the broker drops is counted there; \"durable\" (1:\n"
           "the broker journals), \"journal_full\" and \"epoch\" (its start\n"
           "count) say how it keeps what it received.\n\n"
           "options:\n"
           "  --broker URL   broker frontend, tcp://HOST:PORT or ipc://PATH\n"
           "                 (default $CLAIMQ_BROKER, else a local `claimq\n"
           "                 up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
           "                 claimq-data; else %s)\n"
           "  --json         JSON even on a terminal\n"
           "  --timeout S    seconds to wait for the broker, 1..86400\n"
           "                 (default 5)\n"
           "  -h, --help     this help\n\n"
           "exit codes: 0 ok, 2 usage, 3 the address is the broker's worker\n"
           "endpoint, 4 broker unreachable\n",
           CQ_BROKER_DEFAULT);
}

//  Seconds since the worker registered (0 when the broker did not say).
static json_int_t
s_uptime_s(const cq_worker_info_t *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    return w->since_ms == 0 || w->since_ms > now
               ? 0
               : (json_int_t)((now - w->since_ms) / 1000);
}

//  "3d04h", "2h05m", "4m10s", "12s".
static void
s_dur(char *out, size_t size, json_int_t s)
{
    if (s >= 86400)
        snprintf(out, size, "%lldd%02lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(out, size, "%lldh%02lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(out, size, "%lldm%02llds", (long long)(s / 60),
                 (long long)(s % 60));
    else
        snprintf(out, size, "%llds", (long long)s);
}

static json_t *
s_json(const cq_msg_workers_reply_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "rules_version", json_string(r->rules_version));
    json_object_set_new(o, "shards", json_integer(r->shards));
    json_t *ws = json_array();
    for (uint32_t i = 0; i < r->n_workers; i++) {
        const cq_worker_info_t *w = &r->workers[i];
        json_t *x = json_object();
        json_object_set_new(x, "node", json_string(w->node_id));
        json_object_set_new(x, "state", json_string(w->state));
        json_object_set_new(x, "host", json_string(w->host));
        json_object_set_new(x, "uptime_s", json_integer(s_uptime_s(w)));
        json_object_set_new(x, "credit", json_integer(w->credit));
        json_object_set_new(x, "inflight", json_integer(w->inflight));
        json_object_set_new(x, "intake_credit", json_integer(w->intake_credit));
        json_object_set_new(x, "intake_inflight",
                            json_integer(w->intake_inflight));
        json_object_set_new(x, "shards", json_integer(w->shards));
        json_object_set_new(x, "intake_done",
                            json_integer((json_int_t)w->intake_done));
        json_object_set_new(x, "decided", json_integer((json_int_t)w->decided));
        json_object_set_new(x, "claims_per_s", json_integer(w->claims_per_s));
        json_object_set_new(x, "idle_ms", json_integer((json_int_t)w->idle_ms));
        json_object_set_new(x, "heartbeat_ms", json_integer(w->heartbeat_ms));
        json_object_set_new(x, "rules_version", json_string(w->rules_version));
        json_array_append_new(ws, x);
    }
    json_object_set_new(o, "workers", ws);
    json_t *k = json_object();
    for (uint32_t i = 0; i < r->n_counters; i++)
        json_object_set_new(k, r->counters[i].name,
                            json_integer((json_int_t)r->counters[i].value));
    json_object_set_new(o, "counters", k);
    return o;
}

static void
s_table(const cq_msg_workers_reply_t *r)
{
    printf("rules %s, %u shards\n\n",
           r->rules_version[0] ? r->rules_version : "(none yet)", r->shards);
    if (r->n_workers == 0)
        printf("no workers are registered: batches wait until one is\n");
    else
        printf("%-14s %-9s %-14s %7s %11s %6s %9s %10s %7s %7s %-14s\n", "NODE",
               "STATE", "HOST", "UPTIME", "INFLIGHT", "SHARDS", "DOCS",
               "DECIDED", "CLAIM/S", "HB AGE", "RULES");
    for (uint32_t i = 0; i < r->n_workers; i++) {
        const cq_worker_info_t *w = &r->workers[i];
        char inflight[32], up[48], rules[16];
        snprintf(inflight, sizeof inflight, "%u/%u", w->inflight, w->credit);
        s_dur(up, sizeof up, s_uptime_s(w));
        //  "sha256:" and the first 7 hex digits, as git abbreviates
        snprintf(rules, sizeof rules, "%.14s", w->rules_version);
        printf("%-14s %-9s %-14.14s %7s %11s %6u %9llu %10llu %7u %5.1f s "
               "%-14s\n",
               w->node_id, w->state, w->host[0] ? w->host : "-", up, inflight,
               w->shards, (unsigned long long)w->intake_done,
               (unsigned long long)w->decided, w->claims_per_s,
               (double)w->idle_ms / 1000.0, rules);
    }
    printf("\ncounters:");
    int zero = 0, shown = 0;
    for (uint32_t i = 0; i < r->n_counters; i++) {
        if (r->counters[i].value == 0) {
            zero++;
            continue;
        }
        printf("%s %s %llu", shown++ % 4 ? "," : "\n ", r->counters[i].name,
               (unsigned long long)r->counters[i].value);
    }
    printf("%s%s(%d others 0)\n", shown ? "\n" : "", shown ? " " : " ", zero);
}

int
cq_cmd_workers(int argc, char **argv)
{
    const char *broker = NULL;
    int timeout_s = 5;
    bool json = false;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq workers")) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value("claimq workers", "--timeout", optarg,
                                        "seconds, 1..86400");
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
    cq_broker_ep_t ep;
    cq_bclient_t *c;
    int ex = cq_broker_ep_connect("workers", broker, &ep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    cq_msg_workers_reply_t r;
    int rc = cq_bclient_workers(c, &r, timeout_s * 1000);
    if (rc != 0) {
        ex = cq_broker_ep_fail("workers", &ep, cq_bclient_why(c), rc);
        cq_bclient_destroy(&c);
        return ex;
    }
    cq_bclient_destroy(&c);
    if (json || !isatty(STDOUT_FILENO)) {
        json_t *o = s_json(&r);
        json_dumpf(o, stdout, 0);
        fputc('\n', stdout);
        json_decref(o);
    } else {
        s_table(&r);
    }
    fflush(stdout);
    cq_proto_workers_reply_free(&r);
    return CQ_EXIT_OK;
usage:
    fprintf(stderr, "claimq workers: expected [--broker URL] [--json]\n"
                    "Try 'claimq workers --help'.\n");
    return CQ_EXIT_USAGE;
}
