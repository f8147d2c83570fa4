//  claimq results BATCH: a batch's decisions, in batch order.
#include "bclient.h"
#include "cmds.h"
#include "fmt.h"
#include "mem.h"
#include "out835.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_help(void)
{
    printf("usage: claimq results [--broker URL] [--format jsonl|csv|835] "
           "[--output FILE] BATCH\n\n"
           "Prints the decisions of a batch, one per claim in the order the\n"
           "claims were received (documents in submission order), as JSON\n"
           "Lines (FORMATS.md \"Decision\"), CSV, or an X12 835 remittance\n"
           "(005010X221A1: one ST per payer and billing provider, balanced;\n"
           "pended claims are left out, voids are reversals). Claims without\n"
           "a decision yet are left out and counted on stderr.\n\n"
           "options:\n"
           "  --broker URL    broker frontend (default $CLAIMQ_BROKER, else\n"
           "                  %s)\n"
           "  --format F      jsonl (default), csv (columns: see\n"
           "                  `claimq submit --help`, FORMATS.md) or 835\n"
           "  --output FILE   write there instead of stdout\n"
           "  --timeout S     seconds to wait for the broker, 1..86400\n"
           "                  (default 10)\n"
           "  -h, --help      this help\n\n"
           "exit codes: 0 ok, 1 no such batch, 2 usage, 4 broker "
           "unreachable\n",
           CQ_BROKER_DEFAULT);
}

typedef struct {
    FILE *out;
    cq_fmt_t fmt;
    cq_buf_t line;
    unsigned long long missing;
    cq_out835_t *o835; // --format 835, else NULL
    int o835_rc;       // first error of the 835 writer
} s_ctx_t;

static int
s_entry(void *arg, uint64_t doc_id, uint32_t index, const cq_decision_t *d,
        const cq_claim_t *c)
{
    (void)doc_id;
    (void)index;
    (void)c;
    s_ctx_t *x = arg;
    if (d == NULL) {
        x->missing++;
        return 0;
    }
    if (x->o835) {
        if (x->o835_rc == 0)
            x->o835_rc = cq_out835_add(x->o835, c, d);
        return 0;
    }
    cq_buf_reset(&x->line);
    cq_fmt_decision(x->fmt, d, &x->line);
    fwrite(x->line.data, 1, x->line.len, x->out);
    return 0;
}

int
cq_cmd_results(int argc, char **argv)
{
    const char *broker = NULL, *output = NULL, *format = "jsonl";
    int timeout_s = 10;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
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
        case 'f':
            format = optarg;
            break;
        case 'o':
            output = optarg;
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
    s_ctx_t x;
    memset(&x, 0, sizeof x);
    bool x835 = strcmp(format, "835") == 0;
    if (!x835 && cq_fmt_parse(format, &x.fmt) != 0) {
        fprintf(stderr, "claimq results: --format: jsonl, csv or 835\n"
                        "Try 'claimq results --help'.\n");
        return CQ_EXIT_USAGE;
    }
    if (optind + 1 != argc || !cq_proto_batch_id_ok(argv[optind]))
        goto usage;
    const char *batch = argv[optind];
    x.out = output ? fopen(output, "w") : stdout;
    if (x.out == NULL) {
        fprintf(stderr, "claimq results: %s: %s\n", output, strerror(errno));
        return CQ_EXIT_FAIL;
    }
    cq_buf_init(&x.line, (size_t)1 << 24);
    if (x835) {
        x.o835 = cq_out835_new(x.out, CQ_DATE_NONE);
    } else {
        cq_fmt_header(x.fmt, &x.line);
        fwrite(x.line.data ? x.line.data : "", 1, x.line.len, x.out);
    }
    const char *ep = cq_bclient_endpoint(broker);
    cq_bclient_t *c = cq_bclient_new(ep);
    int rc = CQ_EIO;
    bool complete = false;
    if (c)
        rc = cq_bclient_results(c, batch, 0, x835, s_entry, &x, &complete,
                                timeout_s * 1000);
    cq_bclient_destroy(&c);
    if (x.o835) {
        if (rc == 0 && x.o835_rc == 0)
            x.o835_rc = cq_out835_finish(x.o835);
        cq_out835_destroy(&x.o835);
        if (rc == 0 && x.o835_rc != 0) {
            fprintf(stderr, "claimq results: cannot write the 835: %s\n",
                    cq_strerror(x.o835_rc));
            rc = x.o835_rc;
        }
    }
    cq_buf_free(&x.line);
    if (output)
        fclose(x.out);
    else
        fflush(stdout);
    if (rc == CQ_ENOTFOUND) {
        fprintf(stderr, "claimq results: no batch %s at %s\n", batch, ep);
        return CQ_EXIT_FAIL;
    }
    if (x.o835_rc != 0)
        return CQ_EXIT_FAIL;
    if (rc != 0) {
        fprintf(stderr, "claimq results: broker unreachable at %s (%s)\n", ep,
                cq_strerror(rc));
        return CQ_EXIT_TIMEOUT;
    }
    if (x.missing || !complete)
        fprintf(stderr,
                "claimq results: batch %s is not complete: %llu "
                "claims without a decision so far\n",
                batch, x.missing);
    return CQ_EXIT_OK;
usage:
    fprintf(stderr, "claimq results: expected [OPTIONS] BATCH\n"
                    "Try 'claimq results --help'.\n");
    return CQ_EXIT_USAGE;
}
