//  claimq shards: the broker's shard map (owner, queue depth, in flight,
//  last move), as a table on a terminal or JSON (jansson).
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
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
    printf("usage: claimq shards [--json] [--broker URL] [--timeout S]\n\n"
           "The broker's shard map: each shard's owner (the worker its claims\n"
           "go to, in order), a planned move's target, claims queued and in\n"
           "flight, and when it last moved. A table on a terminal; JSON\n"
           "(one object: shards, moves_active, items [{shard, owner, target,\n"
           "queued, inflight, moved_ms, moves}]) with --json or when stdout\n"
           "is not a terminal. The table groups the shards by owner.\n\n"
           "options:\n"
           "  --json         JSON even on a terminal\n"
           "  --all          the table lists every shard (default: a line\n"
           "                 per owner)\n"
           "  --broker URL   broker frontend, tcp://HOST:PORT or ipc://PATH\n"
           "                 (default $CLAIMQ_BROKER, else a local `claimq\n"
           "                 up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
           "                 claimq-data; else %s)\n"
           "  --timeout S    seconds to wait for the broker, 1..86400\n"
           "                 (default 5)\n"
           "  -h, --help     this help\n\n"
           "exit codes: 0 ok, 2 usage, 3 the address is the broker's worker\n"
           "endpoint, 4 broker unreachable\n",
           CQ_BROKER_DEFAULT);
}

static void
s_json(const cq_msg_shards_reply_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "shards", json_integer(r->shards));
    json_object_set_new(o, "moves_active", json_integer(r->moves_active));
    json_t *a = json_array();
    for (uint32_t i = 0; i < r->n_items; i++) {
        const cq_shard_info_t *x = &r->items[i];
        json_t *it = json_object();
        json_object_set_new(it, "shard", json_integer(x->shard));
        json_object_set_new(it, "owner", json_string(x->owner));
        json_object_set_new(it, "target", json_string(x->target));
        json_object_set_new(it, "queued", json_integer((json_int_t)x->queued));
        json_object_set_new(it, "inflight", json_integer(x->inflight));
        json_object_set_new(it, "moved_ms",
                            json_integer((json_int_t)x->moved_ms));
        json_object_set_new(it, "moves", json_integer(x->moves));
        json_array_append_new(a, it);
    }
    json_object_set_new(o, "items", a);
    json_dumpf(o, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(o);
}

static void
s_age(uint64_t ms, char *out, size_t n)
{
    if (ms == 0) {
        snprintf(out, n, "never");
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    int64_t s = (now - (int64_t)ms) / 1000;
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(out, n, "%llds ago", (long long)s);
    else if (s < 7200)
        snprintf(out, n, "%lldm ago", (long long)(s / 60));
    else
        snprintf(out, n, "%lldh ago", (long long)(s / 3600));
}

static void
s_table(const cq_msg_shards_reply_t *r, bool all)
{
    printf("%u shards, %u moves in progress\n", r->shards, r->moves_active);
    if (all) {
        printf("%-6s %-20s %-20s %8s %8s %6s %s\n", "SHARD", "OWNER",
               "MOVING TO", "QUEUED", "INFLIGHT", "MOVES", "LAST MOVE");
        for (uint32_t i = 0; i < r->n_items; i++) {
            const cq_shard_info_t *x = &r->items[i];
            char age[32];
            s_age(x->moved_ms, age, sizeof age);
            printf("%-6u %-20s %-20s %8llu %8u %6u %s\n", x->shard,
                   x->owner[0] ? x->owner : "-", x->target[0] ? x->target : "-",
                   (unsigned long long)x->queued, x->inflight, x->moves, age);
        }
        return;
    }
    //  one line per owner
    printf("%-20s %7s %8s %8s %7s %s\n", "OWNER", "SHARDS", "QUEUED",
           "INFLIGHT", "MOVING", "LAST MOVE");
    bool *done = calloc(r->n_items ? r->n_items : 1, sizeof *done);
    for (uint32_t i = 0; i < r->n_items; i++) {
        if (done[i])
            continue;
        const char *owner = r->items[i].owner;
        uint32_t n = 0, moving = 0, inflight = 0;
        uint64_t queued = 0, last = 0;
        for (uint32_t k = i; k < r->n_items; k++) {
            const cq_shard_info_t *x = &r->items[k];
            if (done[k] || strcmp(x->owner, owner) != 0)
                continue;
            done[k] = true;
            n++;
            queued += x->queued;
            inflight += x->inflight;
            moving += x->target[0] != '\0';
            if (x->moved_ms > last)
                last = x->moved_ms;
        }
        char age[32];
        s_age(last, age, sizeof age);
        printf("%-20s %7u %8llu %8u %7u %s\n", owner[0] ? owner : "(none)", n,
               (unsigned long long)queued, inflight, moving, age);
    }
    free(done);
}

int
cq_cmd_shards(int argc, char **argv)
{
    const char *broker = NULL;
    int timeout_s = 5;
    bool json = false, all = false;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq shards")) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value("claimq shards", "--timeout", optarg,
                                        "seconds, 1..86400");
            break;
        case 'j':
            json = true;
            break;
        case 'a':
            all = true;
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
    cq_broker_ep_t bep;
    cq_bclient_t *c;
    int ex = cq_broker_ep_connect("shards", broker, &bep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    cq_msg_shards_reply_t r;
    int rc = cq_bclient_shards(c, &r, timeout_s * 1000);
    if (rc != 0) {
        ex = cq_broker_ep_fail("shards", &bep, cq_bclient_why(c), rc);
        cq_bclient_destroy(&c);
        return ex;
    }
    cq_bclient_destroy(&c);
    if (json || !isatty(1))
        s_json(&r);
    else
        s_table(&r, all);
    cq_proto_shards_reply_free(&r);
    return CQ_EXIT_OK;
usage:
    fprintf(stderr, "claimq shards: expected [--json] [--broker URL]\n"
                    "Try 'claimq shards --help'.\n");
    return CQ_EXIT_USAGE;
}
