//  claimq quarantine list|show ID|release ID: the claims and documents the
//  broker stopped delivering after they crashed or timed out workers
//  --max-attempts times (schemas/proto.md §8 "Poison"), and letting one go
//  again once its cause is fixed.
#include "bclient.h"
#include "broker_ep.h"
#include "cmds.h"
#include "mem.h"
#include "opts.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_NAME_W 32  // widest name in the table (longer ones are cut)
#define S_BATCH_W 24 // widest batch id in the table

static void
s_help(void)
{
    printf(
        "usage: claimq quarantine list|show ID|release ID [--broker URL]\n"
        "                         [--json] [--timeout S]\n\n"
        "A claim or document that crashed or timed out workers --max-attempts\n"
        "times (the broker's option, default 3) is quarantined: it is not\n"
        "delivered again, and its claims count as failed, until released.\n\n"
        "  list         every quarantined item: a table (ID, KIND, BATCH, "
        "NAME,\n"
        "               ATTEMPTS, SINCE, REASON)\n"
        "  show ID      one item, with its history of failed deliveries\n"
        "  release ID   queue it again (attempts reset); prints what the\n"
        "               broker said\n\n"
        "IDs look like claim:123 or doc:45 (the ID column of list). NAME is\n"
        "the claim id, or the document's file name; times are UTC.\n\n"
        "options:\n"
        "  --broker URL   broker frontend, tcp://HOST:PORT or ipc://PATH\n"
        "                 (default $CLAIMQ_BROKER, else a local `claimq\n"
        "                 up`'s: the endpoints file in $CLAIMQ_DIR, else\n"
        "                 claimq-data; else %s)\n"
        "  --json         one JSON object on stdout instead: {\"status\",\n"
        "                 \"message\", \"items\": [{\"id\", \"kind\", "
        "\"batch_id\",\n"
        "                 \"name\", \"attempts\", \"since_ms\", \"since\", "
        "\"reason\",\n"
        "                 \"history\": [{\"at_ms\", \"at\", \"node\", "
        "\"what\"}]}]}\n"
        "  --timeout S    seconds to wait for the broker, 1..86400\n"
        "                 (default 5)\n"
        "  -h, --help     this help\n\n"
        "exit codes: 0 ok, 1 the broker refused (no such item, not\n"
        "quarantined), 2 usage, 3 the address is the broker's worker\n"
        "endpoint, 4 broker unreachable\n",
        CQ_BROKER_DEFAULT);
}

static int
s_usage(const char *msg)
{
    fprintf(stderr, "claimq quarantine: %s\nTry 'claimq quarantine --help'.\n",
            msg);
    return CQ_EXIT_USAGE;
}

//  claim:N or doc:N, as the broker names items.
static bool
s_id_ok(const char *s)
{
    const char *p = strncmp(s, "claim:", 6) == 0 ? s + 6
                    : strncmp(s, "doc:", 4) == 0 ? s + 4
                                                 : NULL;
    if (p == NULL || *p == '\0' || strlen(s) >= CQ_QID_LEN)
        return false;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

//  ms since 1970 as "2026-11-23T15:12:08Z" ("-" for 0: not known).
static void
s_time(uint64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms == 0 || gmtime_r(&t, &tm) == NULL)
        snprintf(out, n, "-");
    else
        strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

//  s for a terminal: control characters shown as '?', at most width
//  bytes (0: all), cut where a UTF-8 character starts and marked "...".
static void
s_fit(const char *s, size_t width, char *out, size_t n)
{
    size_t len = strlen(s);
    bool cut = width > 3 && len > width;
    if (cut) {
        len = width - 3;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (len >= n)
        len = n - 1;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    out[len] = '\0';
    if (cut && len + 4 <= n)
        strcat(out, "...");
}

//  ---- JSON ------------------------------------------------------------------

//  A JSON string of s, whose bytes came from the broker: what is not UTF-8
//  (a file name may be anything) becomes '?', as jansson takes UTF-8 only.
static json_t *
s_jstr(const char *s)
{
    char buf[CQ_DOC_NAME_LEN * 2];
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && o + 5 < sizeof buf) {
        int len = *p < 0x80             ? 1
                  : (*p & 0xE0) == 0xC0 ? 2
                  : (*p & 0xF0) == 0xE0 ? 3
                  : (*p & 0xF8) == 0xF0 ? 4
                                        : 0;
        bool ok = len > 0;
        for (int k = 1; ok && k < len; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (!ok)
            len = 1;
        memcpy(buf + o, ok ? (const char *)p : "?", (size_t)len);
        o += (size_t)len;
        p += len;
    }
    buf[o] = '\0';
    json_t *j = json_string(buf); // (NULL: overlong forms and the like)
    return j ? j : json_string("?");
}

static json_t *
s_item_json(const cq_qitem_t *x)
{
    char since[32];
    s_time(x->since_ms, since, sizeof since);
    json_t *hist = json_array();
    for (uint32_t i = 0; i < x->n_hist; i++) {
        const cq_qhist_t *h = &x->hist[i];
        char at[32];
        s_time(h->at_ms, at, sizeof at);
        json_t *e = json_object();
        json_object_set_new(e, "at_ms", json_integer((json_int_t)h->at_ms));
        json_object_set_new(e, "at", json_string(at));
        json_object_set_new(e, "node", s_jstr(h->node_id));
        json_object_set_new(e, "what", s_jstr(h->what));
        json_array_append_new(hist, e);
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", s_jstr(x->id));
    json_object_set_new(o, "kind", s_jstr(x->kind));
    json_object_set_new(o, "batch_id", s_jstr(x->batch_id));
    json_object_set_new(o, "name", s_jstr(x->name));
    json_object_set_new(o, "attempts", json_integer(x->attempts));
    json_object_set_new(o, "since_ms", json_integer((json_int_t)x->since_ms));
    json_object_set_new(o, "since", json_string(since));
    json_object_set_new(o, "reason", s_jstr(x->reason));
    json_object_set_new(o, "history", hist);
    return o;
}

static void
s_print_json(const cq_msg_quarantine_reply_t *r)
{
    json_t *items = json_array();
    for (uint32_t i = 0; i < r->n_items; i++)
        json_array_append_new(items, s_item_json(&r->items[i]));
    json_t *doc = json_object();
    json_object_set_new(doc, "status", json_integer(r->status));
    json_object_set_new(doc, "message", s_jstr(r->message));
    json_object_set_new(doc, "items", items);
    json_dumpf(doc, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(doc);
}

//  ---- for people ------------------------------------------------------------

//  One row of the list (header when x is NULL), columns as wide as w.
typedef struct {
    int id, kind, batch, name;
} s_widths_t;

static void
s_row(const s_widths_t *w, const cq_qitem_t *x)
{
    char batch[S_BATCH_W + 4], name[S_NAME_W + 4], since[32], reason[300];
    if (x == NULL) {
        printf("%-*s  %-*s  %-*s  %-*s  %8s  %-20s  %s\n", w->id, "ID", w->kind,
               "KIND", w->batch, "BATCH", w->name, "NAME", "ATTEMPTS", "SINCE",
               "REASON");
        return;
    }
    s_fit(x->batch_id, S_BATCH_W, batch, sizeof batch);
    s_fit(x->name, S_NAME_W, name, sizeof name);
    s_fit(x->reason, 0, reason, sizeof reason);
    s_time(x->since_ms, since, sizeof since);
    printf("%-*s  %-*s  %-*s  %-*s  %8u  %-20s  %s\n", w->id, x->id, w->kind,
           x->kind, w->batch, batch, w->name, name, x->attempts, since, reason);
}

static int
s_width(int have, const char *s, int cap)
{
    int n = (int)strlen(s);
    n = n > cap ? cap : n;
    return n > have ? n : have;
}

static void
s_print_list(const cq_msg_quarantine_reply_t *r)
{
    if (r->n_items == 0) {
        printf("nothing is quarantined\n");
        return;
    }
    s_widths_t w = {2, 4, 5, 4};
    for (uint32_t i = 0; i < r->n_items; i++) {
        const cq_qitem_t *x = &r->items[i];
        w.id = s_width(w.id, x->id, CQ_QID_LEN);
        w.kind = s_width(w.kind, x->kind, CQ_PROTO_STATE_LEN);
        w.batch = s_width(w.batch, x->batch_id, S_BATCH_W);
        w.name = s_width(w.name, x->name, S_NAME_W);
    }
    s_row(&w, NULL);
    for (uint32_t i = 0; i < r->n_items; i++)
        s_row(&w, &r->items[i]);
}

static void
s_field(const char *key, const char *value)
{
    char v[300];
    s_fit(value, 0, v, sizeof v);
    printf("%-10s %s\n", key, v);
}

static void
s_print_item(const cq_qitem_t *x)
{
    char since[32], attempts[16];
    s_time(x->since_ms, since, sizeof since);
    snprintf(attempts, sizeof attempts, "%u", x->attempts);
    s_field("id:", x->id);
    s_field("kind:", x->kind);
    s_field("batch:", x->batch_id);
    s_field("name:", x->name);
    s_field("attempts:", attempts);
    s_field("since:", since);
    s_field("reason:", x->reason);
    if (x->n_hist == 0) {
        s_field("history:", "none kept");
        return;
    }
    printf("history:   %u failed deliveries, oldest first\n", x->n_hist);
    printf("  %-20s  %-12s  %s\n", "AT", "NODE", "WHAT");
    for (uint32_t i = 0; i < x->n_hist; i++) {
        const cq_qhist_t *h = &x->hist[i];
        char at[32], node[CQ_ID_LEN], what[300];
        s_time(h->at_ms, at, sizeof at);
        s_fit(h->node_id, 0, node, sizeof node);
        s_fit(h->what, 0, what, sizeof what);
        printf("  %-20s  %-12s  %s\n", at, node[0] ? node : "-", what);
    }
}

int
cq_cmd_quarantine(int argc, char **argv)
{
    const char *broker = NULL;
    int timeout_s = 5;
    bool json = false;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq quarantine")) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value("claimq quarantine", "--timeout",
                                        optarg, "seconds, 1..86400");
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return s_usage("expected list, show ID or release ID");
    const char *verb = argv[optind];
    uint32_t op;
    if (strcmp(verb, "list") == 0)
        op = CQ_QOP_LIST;
    else if (strcmp(verb, "show") == 0)
        op = CQ_QOP_SHOW;
    else if (strcmp(verb, "release") == 0)
        op = CQ_QOP_RELEASE;
    else {
        static const char *const subs[] = {"list", "show", "release"};
        return cq_opt_bad_command("claimq quarantine", verb, subs, 3);
    }
    int want = op == CQ_QOP_LIST ? 1 : 2;
    if (argc - optind != want)
        return s_usage(op == CQ_QOP_LIST ? "list takes no ID"
                                         : "expected one ID");
    const char *id = op == CQ_QOP_LIST ? "" : argv[optind + 1];
    if (op != CQ_QOP_LIST && !s_id_ok(id))
        return s_usage("an ID looks like claim:123 or doc:45 (see "
                       "`claimq quarantine list`)");

    cq_broker_ep_t ep;
    cq_bclient_t *c;
    int ex = cq_broker_ep_connect("quarantine", broker, &ep, &c);
    if (ex != CQ_EXIT_OK)
        return ex;
    cq_msg_quarantine_reply_t r;
    memset(&r, 0, sizeof r);
    int rc = cq_bclient_quarantine(c, op, id, &r, timeout_s * 1000);
    if (rc != 0) {
        ex = cq_broker_ep_fail("quarantine", &ep, cq_bclient_why(c), rc);
        cq_bclient_destroy(&c);
        return ex;
    }
    cq_bclient_destroy(&c);
    if (json)
        s_print_json(&r);
    if (r.status != 0) {
        fprintf(stderr, "claimq quarantine: %s\n",
                r.message[0] ? r.message : cq_strerror(r.status));
    } else if (!json) {
        //  the broker's words: "released: queued again", "not
        //  quarantined", "the first 1024 of ..."
        if (r.message[0])
            printf("%s\n", r.message);
        if (op == CQ_QOP_LIST)
            s_print_list(&r);
        else if (op == CQ_QOP_SHOW && r.n_items > 0)
            s_print_item(&r.items[0]);
    }
    int exit_code = r.status != 0 ? CQ_EXIT_FAIL : CQ_EXIT_OK;
    cq_proto_quarantine_reply_free(&r);
    return exit_code;
}
