//  claimq drain NODE: a worker's shards move to the others, it finishes
//  what it holds and stops (exit 0); with --wait, until it has.
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
#include "log.h"
#include "opts.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
s_help(void)
{
    printf("usage: claimq drain NODE [--wait] [--broker URL] [--timeout S]\n\n"
           "Takes worker NODE out of the cluster for maintenance: the broker\n"
           "sends it no new work, moves each of its shards to another worker\n"
           "once the shard is quiet (its claims in flight answered; the new\n"
           "owner first rebuilds the shard's members from the journal), and\n"
           "tells the worker to stop: it finishes what it holds, commits its\n"
           "ledger and exits 0. Nothing is lost or decided twice.\n\n"
           "options:\n"
           "  --wait         wait until the worker has left (or --timeout)\n"
           "  --broker URL   broker frontend, tcp://HOST:PORT or ipc://PATH\n"
           "                 (default $CLAIMQ_BROKER, else a local `claimq\n"
           "                 up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
           "                 claimq-data; else %s)\n"
           "  --timeout S    seconds to wait for the broker, and with --wait\n"
           "                 for the worker to leave, 1..86400 (default 5;\n"
           "                 with --wait 600)\n"
           "  -h, --help     this help\n\n"
           "exit codes: 0 draining (with --wait: left), 1 no such worker,\n"
           "            2 usage, 3 the address is the broker's worker\n"
           "            endpoint, 4 broker unreachable or --wait timed out\n",
           CQ_BROKER_DEFAULT);
}

//  The state of node in the broker's worker list ("" when absent).
static int
s_state(cq_bclient_t *c, const char *node, char *state, size_t n,
        int timeout_ms)
{
    cq_msg_workers_reply_t r;
    int rc = cq_bclient_workers(c, &r, timeout_ms);
    if (rc != 0)
        return rc;
    state[0] = '\0';
    for (uint32_t i = 0; i < r.n_workers; i++)
        if (strcmp(r.workers[i].node_id, node) == 0)
            snprintf(state, n, "%s", r.workers[i].state);
    cq_proto_workers_reply_free(&r);
    return 0;
}

int
cq_cmd_drain(int argc, char **argv)
{
    const char *broker = NULL;
    int timeout_s = 0;
    bool wait = false;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"wait", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq drain")) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value("claimq drain", "--timeout", optarg,
                                        "seconds, 1..86400");
            break;
        case 'w':
            wait = true;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || !cq_proto_node_id_ok(argv[optind]))
        goto usage;
    const char *node = argv[optind];
    if (timeout_s == 0)
        timeout_s = wait ? 600 : 5;
    int req_ms = timeout_s < 5 ? timeout_s * 1000 : 5000;
    cq_broker_ep_t bep;
    cq_bclient_t *c;
    int ex = cq_broker_ep_connect("drain", broker, &bep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    cq_msg_drain_reply_t r;
    int rc = cq_bclient_drain(c, node, &r, req_ms);
    if (rc != 0) {
        ex = cq_broker_ep_fail("drain", &bep, cq_bclient_why(c), rc);
        cq_bclient_destroy(&c);
        return ex;
    }
    if (r.status != 0) {
        fprintf(stderr, "claimq drain: %s\n", r.message);
        cq_bclient_destroy(&c);
        return CQ_EXIT_FAIL;
    }
    printf("%s\n", r.message);
    fflush(stdout);
    int result = CQ_EXIT_OK;
    if (wait) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char state[CQ_PROTO_STATE_LEN] = "";
        for (;;) {
            rc = s_state(c, node, state, sizeof state, req_ms);
            if (rc == 0 && (state[0] == '\0' || strcmp(state, "left") == 0 ||
                            strcmp(state, "dead") == 0))
                break;
            clock_gettime(CLOCK_MONOTONIC, &t);
            if (t.tv_sec - t0.tv_sec >= timeout_s) {
                fprintf(stderr,
                        "claimq drain: %s has not left after %d s (state %s)\n",
                        node, timeout_s, rc == 0 ? state : "unknown");
                result = CQ_EXIT_TIMEOUT;
                break;
            }
            usleep(200000);
        }
        if (result == CQ_EXIT_OK)
            printf("%s %s\n", node,
                   strcmp(state, "dead") == 0 ? "is gone (dead)" : "has left");
    }
    cq_bclient_destroy(&c);
    return result;
usage:
    fprintf(stderr, "claimq drain: expected NODE [--wait] [--broker URL]\n"
                    "Try 'claimq drain --help'.\n");
    return CQ_EXIT_USAGE;
}
