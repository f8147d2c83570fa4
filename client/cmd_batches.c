//  claimq batches: the batches the broker holds, with counts and state.
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
#include "date.h"
#include "mem.h"
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void
s_help(void)
{
    printf("usage: claimq batches [--since DATE|DURATION] [--broker URL] "
           "[--json]\n\n"
           "Lists the batches the broker holds, oldest first, with their\n"
           "counts and state: a table for people on a terminal; one JSON\n"
           "object on stdout with --json, or when stdout is not a terminal:\n"
           "  {\"total\", \"batches\": [{\"batch_id\", \"created\",\n"
           "   \"created_ms\", \"documents\", \"documents_done\", \"claims\",\n"
           "   \"decided\", \"failed\", \"refused_sets\", \"sealed\",\n"
           "   \"complete\", \"state\"}]}\n"
           "state: complete (sealed, every claim final), sealed (every\n"
           "document sent, claims being decided) or open (its submitter has\n"
           "not sealed it: still sending, or interrupted). claims counts\n"
           "each claim key once. total: the batches that match (the newest\n"
           "%d are listed). Batches compacted after the broker's\n"
           "--retain-days are not held any more.\n\n"
           "options:\n"
           "  --since WHEN   only batches created at or after WHEN: a date\n"
           "                 YYYY-MM-DD (from 00:00 UTC) or a duration back\n"
           "                 from now, N followed by s, m, h or d (30m, 24h,\n"
           "                 7d)\n"
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
           CQ_PROTO_MAX_BATCHES, CQ_BROKER_DEFAULT);
}

static uint64_t
s_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

//  --since: YYYY-MM-DD, or N[smhd] back from now. False if neither.
static bool
s_since(const char *s, uint64_t *ms)
{
    int32_t day;
    if (cq_date_parse(s, strlen(s), &day) == 0) {
        *ms = day < 0 ? 0 : (uint64_t)day * 86400000u;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-' || strlen(end) != 1)
        return false;
    uint64_t unit = *end == 's'   ? 1000u
                    : *end == 'm' ? 60000u
                    : *end == 'h' ? 3600000u
                    : *end == 'd' ? 86400000u
                                  : 0;
    if (unit == 0 || n > 100000ull * 86400000u / unit)
        return false;
    uint64_t back = n * unit, now = s_now_ms();
    *ms = back >= now ? 0 : now - back;
    return true;
}

static const char *
s_state(const cq_batch_info_t *b)
{
    return b->complete ? "complete" : b->sealed ? "sealed" : "open";
}

static void
s_when(uint64_t ms, char *out, size_t n, bool iso)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (iso) {
        char d[32];
        strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, n, "%s.%03uZ", d, (unsigned)(ms % 1000));
    } else {
        strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
    }
}

static json_t *
s_json(const cq_msg_batches_reply_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer((json_int_t)r->total));
    json_t *a = json_array();
    for (uint32_t i = 0; i < r->n_items; i++) {
        const cq_batch_info_t *b = &r->items[i];
        char when[40];
        s_when(b->created_ms, when, sizeof when, true);
        json_t *x = json_object();
        json_object_set_new(x, "batch_id", json_string(b->batch_id));
        json_object_set_new(x, "created", json_string(when));
        json_object_set_new(x, "created_ms",
                            json_integer((json_int_t)b->created_ms));
        json_object_set_new(x, "documents", json_integer((json_int_t)b->docs));
        json_object_set_new(x, "documents_done",
                            json_integer((json_int_t)b->docs_done));
        json_object_set_new(x, "claims", json_integer((json_int_t)b->claims));
        json_object_set_new(x, "decided", json_integer((json_int_t)b->decided));
        json_object_set_new(x, "failed", json_integer((json_int_t)b->failed));
        json_object_set_new(x, "refused_sets",
                            json_integer((json_int_t)b->refused_sets));
        json_object_set_new(x, "sealed", json_boolean(b->sealed));
        json_object_set_new(x, "complete", json_boolean(b->complete));
        json_object_set_new(x, "state", json_string(s_state(b)));
        json_array_append_new(a, x);
    }
    json_object_set_new(o, "batches", a);
    return o;
}

static void
s_table(const cq_msg_batches_reply_t *r)
{
    if (r->n_items == 0) {
        printf("no batches\n");
        return;
    }
    printf("%-28s %-19s  %-8s %11s %9s %9s %7s %7s\n", "BATCH", "CREATED (UTC)",
           "STATE", "DOCS", "CLAIMS", "DECIDED", "FAILED", "REFUSED");
    for (uint32_t i = 0; i < r->n_items; i++) {
        const cq_batch_info_t *b = &r->items[i];
        char when[40], docs[48];
        s_when(b->created_ms, when, sizeof when, false);
        snprintf(docs, sizeof docs, "%llu/%llu",
                 (unsigned long long)b->docs_done, (unsigned long long)b->docs);
        printf("%-28s %-19s  %-8s %11s %9llu %9llu %7llu %7llu\n", b->batch_id,
               when, s_state(b), docs, (unsigned long long)b->claims,
               (unsigned long long)b->decided, (unsigned long long)b->failed,
               (unsigned long long)b->refused_sets);
    }
    if (r->total > r->n_items)
        printf("(the newest %u of %llu batches)\n", r->n_items,
               (unsigned long long)r->total);
}

int
cq_cmd_batches(int argc, char **argv)
{
    const char *broker = NULL;
    int timeout_s = 5;
    bool json = false;
    uint64_t since = 0;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"since", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq batches")) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 's':
            if (!s_since(optarg, &since))
                return cq_opt_bad_value("claimq batches", "--since", optarg,
                                        "YYYY-MM-DD or a duration: 30m, 24h, "
                                        "7d");
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value("claimq batches", "--timeout", optarg,
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
    int ex = cq_broker_ep_connect("batches", broker, &ep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    cq_msg_batches_reply_t r;
    int rc = cq_bclient_batches(c, since, &r, timeout_s * 1000);
    if (rc != 0) {
        ex = cq_broker_ep_fail("batches", &ep, cq_bclient_why(c), rc);
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
    cq_proto_batches_reply_free(&r);
    return CQ_EXIT_OK;
usage:
    fprintf(stderr, "claimq batches: expected [--since DATE|DURATION] "
                    "[--broker URL] [--json]\n"
                    "Try 'claimq batches --help'.\n");
    return CQ_EXIT_USAGE;
}
