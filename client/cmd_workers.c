//  claimq workers: the broker's worker nodes and its counters.
#include "bclient.h"
#include "claim_json.h"
#include "cmds.h"
#include "mem.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_help(void)
{
    printf("usage: claimq workers [--broker URL]\n\n"
           "Prints the broker's view as one JSON object on stdout:\n"
           "  {\"rules_version\", \"shards\",\n"
           "   \"workers\": [{\"node\", \"state\" (live|stopping|mismatch|"
           "dead|left),\n"
           "                \"credit\", \"inflight\", \"intake_credit\",\n"
           "                \"intake_inflight\", \"shards\", "
           "\"intake_done\",\n"
           "                \"decided\", \"idle_ms\", \"rules_version\"}],\n"
           "   \"counters\": {\"malformed\", \"unknown_command\", "
           "\"oversized\",\n"
           "                \"stale_results\", \"undeliverable\", ...}}\n"
           "Every message the broker drops is counted there; \"durable\" (1:\n"
           "the broker journals), \"journal_full\" and \"epoch\" (its start\n"
           "count) say how it keeps what it received. One worker, and one\n"
           "counter, per line.\n\n"
           "options:\n"
           "  --broker URL   broker frontend (default $CLAIMQ_BROKER, else\n"
           "                 %s)\n"
           "  --timeout S    seconds to wait for the broker, 1..86400\n"
           "                 (default 5)\n"
           "  -h, --help     this help\n\n"
           "exit codes: 0 ok, 2 usage, 4 broker unreachable\n",
           CQ_BROKER_DEFAULT);
}

int
cq_cmd_workers(int argc, char **argv)
{
    const char *broker = NULL;
    int timeout_s = 5;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                goto usage;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default:
            goto usage;
        }
    }
    if (optind != argc)
        goto usage;
    const char *ep = cq_bclient_endpoint(broker);
    cq_bclient_t *c = cq_bclient_new(ep);
    cq_msg_workers_reply_t r;
    int rc = c ? cq_bclient_workers(c, &r, timeout_s * 1000) : CQ_EIO;
    cq_bclient_destroy(&c);
    if (rc != 0) {
        fprintf(stderr, "claimq workers: broker unreachable at %s (%s)\n", ep,
                cq_strerror(rc));
        return CQ_EXIT_TIMEOUT;
    }
    //  Names come from the workers (rules versions) and the broker: quote
    //  them properly.
    cq_buf_t b;
    cq_buf_init(&b, (size_t)1 << 24);
    cq_buf_addstr(&b, "{\"rules_version\": ");
    cq_json_put_string(&b, r.rules_version, strlen(r.rules_version));
    cq_buf_printf(&b, ", \"shards\": %u,\n \"workers\": [", r.shards);
    for (uint32_t i = 0; i < r.n_workers; i++) {
        const cq_worker_info_t *w = &r.workers[i];
        cq_buf_addstr(&b, i ? ",\n  {\"node\": " : "\n  {\"node\": ");
        cq_json_put_string(&b, w->node_id, strlen(w->node_id));
        cq_buf_addstr(&b, ", \"state\": ");
        cq_json_put_string(&b, w->state, strlen(w->state));
        cq_buf_printf(
            &b,
            ", \"credit\": %u, \"inflight\": %u, "
            "\"intake_credit\": %u, \"intake_inflight\": %u, "
            "\"shards\": %u, \"intake_done\": %llu, "
            "\"decided\": %llu, \"idle_ms\": %llu, "
            "\"rules_version\": ",
            w->credit, w->inflight, w->intake_credit, w->intake_inflight,
            w->shards, (unsigned long long)w->intake_done,
            (unsigned long long)w->decided, (unsigned long long)w->idle_ms);
        cq_json_put_string(&b, w->rules_version, strlen(w->rules_version));
        cq_buf_addstr(&b, "}");
    }
    cq_buf_addstr(&b, "],\n \"counters\": {");
    for (uint32_t i = 0; i < r.n_counters; i++) {
        cq_buf_addstr(&b, i ? ",\n  " : "\n  ");
        cq_json_put_string(&b, r.counters[i].name, strlen(r.counters[i].name));
        cq_buf_printf(&b, ": %llu", (unsigned long long)r.counters[i].value);
    }
    cq_buf_addstr(&b, "}}\n");
    fputs(b.data, stdout);
    cq_buf_free(&b);
    cq_proto_workers_reply_free(&r);
    return CQ_EXIT_OK;
usage:
    fprintf(stderr, "claimq workers: expected [--broker URL]\n"
                    "Try 'claimq workers --help'.\n");
    return CQ_EXIT_USAGE;
}
