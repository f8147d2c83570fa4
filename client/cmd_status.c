//  claimq status BATCH: a batch's progress and state, as the broker sees it,
//  and the broker's review queue (claims waiting for a person: REVIEW list
//  with max 0, the counts alone).
#include "bclient.h"
#include "fmt.h"
#include "broker_ep.h"
#include "cmds.h"
#include "date.h"
#include "mem.h"
#include "opts.h"
#include "review_rpc.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  The review queue as status shows it.
typedef struct {
    int rc;             // 0: the counts below; else why they are missing
    cq_review_list_t l; // counts only (no items)
    int64_t now_ms;     // wall clock when asked
} s_review_t;

static void
s_help(void)
{
    printf("usage: claimq status [--broker URL] [--json] BATCH\n\n"
           "Shows a batch's progress and state as the broker holds it: a\n"
           "few lines for people on a terminal; one JSON object on stdout\n"
           "with --json, or when stdout is not a terminal (scripts):\n"
           "  {\"batch_id\", \"found\", \"documents\", \"documents_done\",\n"
           "   \"documents_failed\", \"claims\", \"decided\", \"accept\",\n"
           "   \"reject\", \"pend\", \"failed\", \"complete\", \"durable\",\n"
           "   \"epoch\", \"sealed\", \"refused_sets\", \"refused_claims\",\n"
           "   \"received_date\", \"received_date_set\", \"workers_live\",\n"
           "   \"review\", \"pair\"}\n"
           "claims counts each claim key once. sealed: its submitter sent\n"
           "its last document (`claimq submit` seals a batch once every\n"
           "document is received; an interrupted one leaves it open).\n"
           "complete: sealed, every document through intake and every claim\n"
           "decided or failed. refused_sets / refused_claims: X12\n"
           "transaction sets refused at intake and the claims in them\n"
           "(`claimq results BATCH --format 999` says why). received_date:\n"
           "the date stamped on its claims (\"YYYY-MM-DD\", or null);\n"
           "received_date_set: the submitter set it (`submit\n"
           "--received-date`), else it is the day the broker received the\n"
           "batch. workers_live: workers that can take work now. durable:\n"
           "the broker journals what it receives (receipts follow an fsync;\n"
           "a restart resumes the batch); false: memory only. epoch: the\n"
           "broker's start count (it changes when the broker restarts).\n"
           "review: the broker's review queue, every batch (with CURVE, the\n"
           "payers of your key): claims waiting for a person, by reason,\n"
           "and how long the oldest has waited:\n"
           "  {\"waiting\", \"ocr\", \"registration\", \"duplicate\",\n"
           "   \"other\", \"oldest_age_s\"}\n"
           "(ocr: OCR fields to check; registration: the form did not\n"
           "register; duplicate: suspect duplicate; other: any other pend;\n"
           "oldest_age_s: null when none waits); null when the broker did\n"
           "not answer it. `claimq review` is where they are worked.\n"
           "pair: null for a broker alone; for one of a pair of brokers\n"
           "(claimq-broker(8), FAILOVER; --broker A,B here), the one that\n"
           "answered: {\"role\" (primary|backup), \"state\" (active),\n"
           "\"peer\" (its peer: starting|active|passive|unknown),\n"
           "\"synced\" (the peer holds the journal: receipts wait for both\n"
           "disks; false: this broker goes on alone), \"lag\" (journal\n"
           "records the peer has not acknowledged), \"epoch\"}.\n\n"
           "options:\n"
           "  --broker URL   broker frontend, tcp://HOST:PORT or ipc://PATH\n"
           "                 (a pair: both, comma-separated)\n"
           "                 (default $CLAIMQ_BROKER, else a local `claimq\n"
           "                 up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
           "                 claimq-data; else %s)\n"
           "  --json         JSON even on a terminal\n"
           "  --timeout S    seconds to wait for the broker, 1..86400\n"
           "                 (default 5)\n"
           "  -h, --help     this help\n\n"
           "exit codes: 0 ok, 1 no such batch, 2 usage, 3 the address is the\n"
           "broker's worker endpoint, 4 broker unreachable\n",
           CQ_BROKER_DEFAULT);
}

//  Seconds since the oldest waiting claim pended; -1 when none waits or
//  the broker does not say.
static int64_t
s_oldest_age_s(const s_review_t *rv)
{
    if (rv->l.total == 0 || rv->l.oldest_ms <= 0)
        return -1;
    int64_t ms = rv->now_ms - rv->l.oldest_ms;
    return ms > 0 ? ms / 1000 : 0;
}

static const char *const s_pair_states[] = {"starting", "active", "passive",
                                            "unknown"};

//  The pair of brokers, or null for a broker alone.
static json_t *
s_pair_json(const cq_msg_status_reply_t *r)
{
    if (r->pair_role == 0)
        return json_null();
    json_t *p = json_object();
    json_object_set_new(p, "role",
                        json_string(r->pair_role == 1 ? "primary" : "backup"));
    json_object_set_new(p, "state", json_string(s_pair_states[r->pair_state]));
    json_object_set_new(p, "peer", json_string(s_pair_states[r->peer_state]));
    json_object_set_new(p, "synced", json_boolean(r->pair_synced));
    json_object_set_new(p, "lag", json_integer((json_int_t)r->pair_lag));
    json_object_set_new(p, "epoch", json_integer((json_int_t)r->epoch));
    return p;
}

static json_t *
s_review_json(const s_review_t *rv)
{
    if (rv->rc != 0)
        return json_null();
    const uint64_t *k = rv->l.by_kind;
    int64_t age = s_oldest_age_s(rv);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "waiting",
                     (json_int_t)rv->l.total, "ocr",
                     (json_int_t)k[CQ_REVIEW_OCR], "registration",
                     (json_int_t)k[CQ_REVIEW_REGISTRATION], "duplicate",
                     (json_int_t)k[CQ_REVIEW_DUPLICATE], "other",
                     (json_int_t)k[CQ_REVIEW_OTHER], "oldest_age_s",
                     age >= 0 ? json_integer((json_int_t)age) : json_null());
}

static json_t *
s_json(const char *batch, const cq_msg_status_reply_t *r, const s_review_t *rv)
{
    char day[CQ_DATE_STRLEN];
    cq_date_format(r->received_date, day);
    json_t *o = json_object();
    json_object_set_new(o, "batch_id", json_string(batch));
    json_object_set_new(o, "found", json_boolean(r->found));
    json_object_set_new(o, "documents", json_integer((json_int_t)r->docs));
    json_object_set_new(o, "documents_done",
                        json_integer((json_int_t)r->docs_done));
    json_object_set_new(o, "documents_failed",
                        json_integer((json_int_t)r->docs_failed));
    json_object_set_new(o, "claims", json_integer((json_int_t)r->claims));
    json_object_set_new(o, "decided", json_integer((json_int_t)r->decided));
    json_object_set_new(o, "accept", json_integer((json_int_t)r->accept));
    json_object_set_new(o, "reject", json_integer((json_int_t)r->reject));
    json_object_set_new(o, "pend", json_integer((json_int_t)r->pend));
    json_object_set_new(o, "failed", json_integer((json_int_t)r->failed));
    json_object_set_new(o, "complete", json_boolean(r->complete));
    json_object_set_new(o, "durable", json_boolean(r->durable));
    json_object_set_new(o, "epoch", json_integer((json_int_t)r->epoch));
    json_object_set_new(o, "sealed", json_boolean(r->sealed));
    json_object_set_new(o, "refused_sets",
                        json_integer((json_int_t)r->refused_sets));
    json_object_set_new(o, "refused_claims",
                        json_integer((json_int_t)r->refused_claims));
    json_object_set_new(o, "received_date",
                        day[0] ? json_string(day) : json_null());
    json_object_set_new(o, "received_date_set", json_boolean(r->received_set));
    json_object_set_new(o, "workers_live",
                        json_integer((json_int_t)r->workers_live));
    json_object_set_new(o, "review", s_review_json(rv));
    json_object_set_new(o, "pair", s_pair_json(r));
    return o;
}

static void
s_review_table(const s_review_t *rv)
{
    if (rv->rc != 0) {
        printf("review      unknown: the broker did not say (%s)\n",
               cq_strerror(rv->rc));
        return;
    }
    const uint64_t *k = rv->l.by_kind;
    if (rv->l.total == 0) {
        printf("review      none waiting (every batch)\n");
        return;
    }
    char age[32] = "";
    int64_t a = s_oldest_age_s(rv);
    if (a >= 0)
        cq_fmt_age(a, age, sizeof age);
    printf("review      %llu waiting for a person (every batch)%s%s:\n"
           "            %llu OCR fields, %llu registration failed, %llu "
           "suspect duplicate, %llu other\n",
           (unsigned long long)rv->l.total, age[0] ? ", the oldest for " : "",
           age, (unsigned long long)k[CQ_REVIEW_OCR],
           (unsigned long long)k[CQ_REVIEW_REGISTRATION],
           (unsigned long long)k[CQ_REVIEW_DUPLICATE],
           (unsigned long long)k[CQ_REVIEW_OTHER]);
}

//  For people: one fact per line.
static void
s_table(const char *batch, const cq_msg_status_reply_t *r, const s_review_t *rv)
{
    char day[CQ_DATE_STRLEN];
    cq_date_format(r->received_date, day);
    printf("batch       %s\n", batch);
    printf("state       %s\n",
           r->complete ? "complete (sealed, every claim final)"
           : r->sealed ? "sealed (every document sent), claims being decided"
                       : "open (not sealed: its submitter has not sent its "
                         "last document;\n"
                         "            an interrupted `claimq submit` resumes "
                         "with the same --batch)");
    printf("documents   %llu received, %llu through intake, %llu failed\n",
           (unsigned long long)r->docs, (unsigned long long)r->docs_done,
           (unsigned long long)r->docs_failed);
    printf("claims      %llu (each key once): %llu decided (%llu accept, "
           "%llu reject, %llu pend), %llu failed\n",
           (unsigned long long)r->claims, (unsigned long long)r->decided,
           (unsigned long long)r->accept, (unsigned long long)r->reject,
           (unsigned long long)r->pend, (unsigned long long)r->failed);
    if (r->refused_sets)
        printf("refused     %llu X12 transaction sets (%llu claims) at "
               "intake: `claimq results %s --format 999` says why\n",
               (unsigned long long)r->refused_sets,
               (unsigned long long)r->refused_claims, batch);
    else
        printf("refused     none\n");
    if (day[0])
        printf("received    %s (%s)\n", day,
               r->received_set ? "set by the submitter"
                               : "the day the broker received it");
    printf("workers     %u live%s\n", r->workers_live,
           r->workers_live == 0 && !r->complete
               ? ": the batch waits until one registers (`claimq workers`)"
               : "");
    printf("durable     %s\n",
           r->durable ? "yes (the broker journals; a restart resumes the "
                        "batch)"
                      : "no, in memory only (a broker restart loses the "
                        "batch)");
    if (r->pair_role)
        printf("pair        this broker: %s, %s (epoch %llu); its peer: %s; "
               "%s\n",
               r->pair_role == 1 ? "primary" : "backup",
               s_pair_states[r->pair_state], (unsigned long long)r->epoch,
               s_pair_states[r->peer_state],
               r->pair_synced ? "in sync (receipts wait for both disks)"
                              : "NOT in sync: this broker goes on alone");
    s_review_table(rv);
}

static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cq_cmd_status(int argc, char **argv)
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
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq status")) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value("claimq status", "--timeout", optarg,
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
    if (optind + 1 != argc || !cq_proto_batch_id_ok(argv[optind]))
        goto usage;
    const char *batch = argv[optind];
    cq_broker_ep_t ep;
    cq_bclient_t *c;
    int ex = cq_broker_ep_connect("status", broker, &ep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    cq_msg_status_reply_t r;
    int rc = cq_bclient_status(c, batch, &r, timeout_s * 1000);
    if (rc != 0) {
        ex = cq_broker_ep_fail("status", &ep, cq_bclient_why(c), rc);
        cq_bclient_destroy(&c);
        return ex;
    }
    //  the review queue: counts only (list max 0), for every tenant the
    //  broker lets this client see; missing counts do not fail status
    s_review_t rv;
    memset(&rv, 0, sizeof rv);
    rv.rc = CQ_ENOTFOUND;
    if (r.found) {
        static const char *const all[] = {"*"};
        rv.rc = cq_review_list(c, all, 1, 0, &rv.l, timeout_s * 1000);
        rv.now_ms = s_wall_ms();
    }
    cq_bclient_destroy(&c);
    if (json || !isatty(STDOUT_FILENO)) {
        json_t *o = s_json(batch, &r, &rv);
        json_dumpf(o, stdout, 0);
        fputc('\n', stdout);
        json_decref(o);
    } else if (r.found) {
        s_table(batch, &r, &rv);
    }
    if (rv.rc == 0)
        cq_review_list_free(&rv.l);
    fflush(stdout);
    if (!r.found) {
        fprintf(stderr, "claimq status: no batch %s at %s\n", batch, ep.ep);
        return CQ_EXIT_FAIL;
    }
    return CQ_EXIT_OK;
usage:
    fprintf(stderr, "claimq status: expected [--broker URL] [--json] BATCH\n"
                    "Try 'claimq status --help'.\n");
    return CQ_EXIT_USAGE;
}
