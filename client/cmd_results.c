//  claimq results BATCH: a batch's decisions, in batch order.
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
#include "fmt.h"
#include "mem.h"
#include "out835.h"
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_help(void)
{
    printf(
        "usage: claimq results [--broker URL] [--format "
        "jsonl|csv|835|999|277ca] [--output FILE] BATCH\n\n"
        "Prints the decisions of a batch, one per claim in the order the\n"
        "claims were received (documents in submission order), as JSON\n"
        "Lines (docs/formats.md), CSV, or an X12 835 remittance\n"
        "(005010X221A1: one ST per payer and billing provider, balanced;\n"
        "pended claims are left out, voids are reversals). Claims without\n"
        "a decision yet are left out and counted on stderr.\n"
        "--format 999 prints the X12 999 acknowledgment (005010X231A1) of\n"
        "every X12 document of the batch instead, one interchange after\n"
        "another in the order received: IK5*R for a transaction set\n"
        "refused at intake (no claim of it was taken), with its segment\n"
        "and element errors (IK3, IK4). --format 277ca prints a 277CA\n"
        "claim acknowledgment (005010X214): STC A2:20 for each claim\n"
        "accepted into adjudication, A3 for each claim rejected before it\n"
        "(CO-16: missing or invalid information).\n\n"
        "options:\n"
        "  --broker URL    broker frontend, tcp://HOST:PORT or ipc://PATH\n"
        "                  (default $CLAIMQ_BROKER, else a local `claimq\n"
        "                  up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
        "                  claimq-data; else %s)\n"
        "  --format F      jsonl (default), csv (columns: see\n"
        "                  `claimq submit --help`, docs/formats.md), 835, 999\n"
        "                  or 277ca\n"
        "  --output FILE   write there instead of stdout\n"
        "  --timeout S     seconds to wait for the broker, 1..86400\n"
        "                  (default 10)\n"
        "  -h, --help      this help\n\n"
        "exit codes: 0 ok, 1 no such batch, 2 usage, 3 the address is the\n"
        "broker's worker endpoint, 4 broker unreachable\n",
        CQ_BROKER_DEFAULT);
}

typedef struct {
    FILE *out;
    cq_fmt_t fmt;
    cq_buf_t line;
    unsigned long long missing;
    cq_out835_t *o835;       // --format 835 or 277ca, else NULL
    int o835_rc;             // first error of the 835 writer
    unsigned long long acks; // --format 999: X12 documents answered
    int write_err;           // --format 999: errno of a failed write
} s_ctx_t;

//  --format 999: one document's 999, as the broker keeps it.
static int
s_ack(void *arg, uint64_t doc_id, const char *name, const uint8_t *ack,
      size_t len)
{
    (void)doc_id;
    (void)name;
    s_ctx_t *x = arg;
    x->acks++;
    if (fwrite(ack, 1, len, x->out) == len)
        return 0;
    x->write_err = errno ? errno : EIO;
    return CQ_EIO;
}

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
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq results")) != -1) {
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
                return cq_opt_bad_value("claimq results", "--timeout", optarg,
                                        "seconds, 1..86400");
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    s_ctx_t x;
    memset(&x, 0, sizeof x);
    bool x835 = strcmp(format, "835") == 0;
    bool x277 = strcmp(format, "277ca") == 0;
    bool x999 = strcmp(format, "999") == 0;
    if (!x835 && !x277 && !x999 && cq_fmt_parse(format, &x.fmt) != 0)
        return cq_opt_bad_value("claimq results", "--format", format,
                                "jsonl, csv, 835, 999 or 277ca");
    if (optind + 1 != argc || !cq_proto_batch_id_ok(argv[optind]))
        goto usage;
    const char *batch = argv[optind];
    cq_broker_ep_t bep;
    cq_bclient_t *c;
    int ex = cq_broker_ep_connect("results", broker, &bep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    x.out = output ? fopen(output, "w") : stdout;
    if (x.out == NULL) {
        fprintf(stderr, "claimq results: %s: %s\n", output, strerror(errno));
        cq_bclient_destroy(&c);
        return CQ_EXIT_FAIL;
    }
    cq_buf_init(&x.line, (size_t)1 << 24);
    if (x835) {
        x.o835 = cq_out835_new(x.out, CQ_DATE_NONE);
    } else if (x277) {
        x.o835 = cq_out835_new_277ca(x.out, CQ_DATE_NONE);
    } else if (!x999) {
        cq_fmt_header(x.fmt, &x.line);
        fwrite(x.line.data ? x.line.data : "", 1, x.line.len, x.out);
    }
    const char *ep = bep.ep;
    int rc = CQ_EIO;
    bool complete = false;
    if (c && x999)
        rc = cq_bclient_acks(c, batch, s_ack, &x, &complete, timeout_s * 1000);
    else if (c)
        rc = cq_bclient_results(c, batch, 0, x835 || x277, s_entry, &x,
                                &complete, timeout_s * 1000);
    char why[CQ_PROTO_MSG_LEN];
    snprintf(why, sizeof why, "%s", c ? cq_bclient_why(c) : "");
    cq_bclient_destroy(&c);
    if (x.o835) {
        if (rc == 0 && x.o835_rc == 0)
            x.o835_rc = cq_out835_finish(x.o835);
        cq_out835_destroy(&x.o835);
        if (rc == 0 && x.o835_rc != 0) {
            fprintf(stderr, "claimq results: cannot write the %s: %s\n",
                    x277 ? "277CA" : "835", cq_strerror(x.o835_rc));
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
    if (x.write_err)
        fprintf(stderr, "claimq results: cannot write the 999s: %s\n",
                strerror(x.write_err));
    if (x.o835_rc != 0 || x.write_err)
        return CQ_EXIT_FAIL;
    if (rc != 0)
        return cq_broker_ep_fail("results", &bep, why, rc);
    if (x999 && !complete)
        fprintf(stderr,
                "claimq results: batch %s is not complete: %llu X12 "
                "documents answered so far\n",
                batch, x.acks);
    else if (x999 && x.acks == 0)
        fprintf(stderr, "claimq results: batch %s has no X12 document\n",
                batch);
    else if (x.missing || !complete)
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
