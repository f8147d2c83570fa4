//  claimq status BATCH: a batch's progress, as one JSON object.
#include "bclient.h"
#include "cmds.h"
#include "mem.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
s_help(void)
{
    printf("usage: claimq status [--broker URL] BATCH\n\n"
           "Prints the batch's progress as one JSON object on stdout:\n"
           "  {\"batch_id\", \"found\", \"documents\", \"documents_done\",\n"
           "   \"documents_failed\", \"claims\", \"decided\", \"accept\",\n"
           "   \"reject\", \"pend\", \"failed\", \"complete\", \"durable\",\n"
           "   \"epoch\"}\n"
           "durable: the broker journals what it receives (receipts follow\n"
           "an fsync; a restart resumes the batch); false: it keeps it in\n"
           "memory only. epoch: the broker's start count (it changes when\n"
           "the broker restarts). When stderr is a terminal, the same\n"
           "follows there for people, ending with the line\n"
           "  durable: yes (...)   or   durable: no — in memory only (...)\n\n"
           "options:\n"
           "  --broker URL   broker frontend (default $CLAIMQ_BROKER, else\n"
           "                 %s)\n"
           "  --timeout S    seconds to wait for the broker, 1..86400\n"
           "                 (default 5)\n"
           "  -h, --help     this help\n\n"
           "exit codes: 0 ok, 1 no such batch, 2 usage, 4 broker unreachable\n",
           CQ_BROKER_DEFAULT);
}

int
cq_cmd_status(int argc, char **argv)
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
    if (optind + 1 != argc || !cq_proto_batch_id_ok(argv[optind]))
        goto usage;
    const char *ep = cq_bclient_endpoint(broker);
    cq_bclient_t *c = cq_bclient_new(ep);
    if (c == NULL)
        goto usage;
    cq_msg_status_reply_t r;
    int rc = cq_bclient_status(c, argv[optind], &r, timeout_s * 1000);
    cq_bclient_destroy(&c);
    if (rc != 0) {
        fprintf(stderr, "claimq status: broker unreachable at %s (%s)\n", ep,
                cq_strerror(rc));
        return CQ_EXIT_TIMEOUT;
    }
    bool complete =
        r.found && r.docs_done == r.docs && r.decided + r.failed == r.claims;
    printf("{\"batch_id\": \"%s\", \"found\": %s, \"documents\": %llu, "
           "\"documents_done\": %llu, \"documents_failed\": %llu, "
           "\"claims\": %llu, \"decided\": %llu, \"accept\": %llu, "
           "\"reject\": %llu, \"pend\": %llu, \"failed\": %llu, "
           "\"complete\": %s, \"durable\": %s, \"epoch\": %llu}\n",
           argv[optind], r.found ? "true" : "false", (unsigned long long)r.docs,
           (unsigned long long)r.docs_done, (unsigned long long)r.docs_failed,
           (unsigned long long)r.claims, (unsigned long long)r.decided,
           (unsigned long long)r.accept, (unsigned long long)r.reject,
           (unsigned long long)r.pend, (unsigned long long)r.failed,
           complete ? "true" : "false", r.durable ? "true" : "false",
           (unsigned long long)r.epoch);
    fflush(stdout);
    if (isatty(2) && r.found)
        fprintf(stderr,
                "batch %s: %llu of %llu claims decided (%llu failed), "
                "%llu of %llu documents through intake%s\n",
                argv[optind], (unsigned long long)r.decided,
                (unsigned long long)r.claims, (unsigned long long)r.failed,
                (unsigned long long)r.docs_done, (unsigned long long)r.docs,
                complete ? ": complete" : "");
    if (isatty(2))
        fprintf(stderr, "durable: %s\n",
                r.durable ? "yes (the broker journals; a restart resumes "
                            "the batch)"
                          : "no — in memory only (a broker restart loses "
                            "the batch)");
    if (!r.found) {
        fprintf(stderr, "claimq status: no batch %s at %s\n", argv[optind], ep);
        return CQ_EXIT_FAIL;
    }
    return CQ_EXIT_OK;
usage:
    fprintf(stderr, "claimq status: expected [--broker URL] BATCH\n"
                    "Try 'claimq status --help'.\n");
    return CQ_EXIT_USAGE;
}
