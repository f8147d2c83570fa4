//  claimq ledger verify|query|reconcile|export: reads worker ledgers
//  (docs/operations.md) without writing them (safe while a node appends):
//  checks their hash chains, prints decisions, compares them with the
//  broker's journal (none missing, none twice, orphans marked), and writes
//  a redacted copy for auditors (ledger_export.h).
//
//  Patient data: `query` prints decisions (and member ids, when asked for
//  them) on stdout, for the user who asked; nothing here logs them.
#include "cmds.h"
#include "journal.h"
#include "ledger.h"
#include "ledger_export.h"
#include "money.h"
#include "proto.h"
#include "opts.h"

#include <getopt.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_TEXT_ITEMS 20   // problems listed per kind in the text report
#define S_JSON_ITEMS 1000 // ... and in the JSON report

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: claimq ledger verify FILE...\n"
        "       claimq ledger query FILE [--claim ID] [--member ID] "
        "[--batch ID] [--orphans]\n"
        "       claimq ledger reconcile --journal DIR [--json] LEDGER...\n"
        "       claimq ledger export --redact --key KEYFILE --out OUT "
        "LEDGER\n\n"
        "Reads worker ledgers (SQLite; read-only, safe while a node writes "
        "them).\n\n"
        "verify     checks each FILE: schema version, seq numbers consecutive "
        "from 1,\n"
        "           the hash chain over every row (decisions and orphan "
        "markers), and\n"
        "           that each marker names an earlier decision. Prints one "
        "line per\n"
        "           file: rows, decisions (accept/reject/pend; orphans not "
        "counted),\n"
        "           orphans, markers; or where the chain breaks (seq). A "
        "copy made by\n"
        "           export says so, with the rows and final chain hash of "
        "the ledger\n"
        "           it was made from.\n"
        "query      prints FILE's decisions that match every option given "
        "(all when\n"
        "           none), in seq order, as JSON Lines: each the decision's "
        "JSON as the\n"
        "           node wrote and hashed it. An orphan (a decision written "
        "under a lease\n"
        "           the node lost; it never counts) gets \"orphan\": true "
        "added as its\n"
        "           last field. Marker rows are not printed. Nothing matches: "
        "nothing\n"
        "           printed, exit 0.\n"
        "  -c, --claim ID     the claim id (or a whole claim key "
        "payer|npi|claim_id|freq)\n"
        "  -m, --member ID    the member id\n"
        "  -b, --batch ID     the batch id\n"
        "  -o, --orphans      only orphans\n"
        "reconcile  compares every decision in the broker's journal "
        "(DIR/journal.db,\n"
        "           or DIR itself when it is a file; opened read-only) with "
        "the\n"
        "           LEDGERs, matched by their ledger id, and reports:\n"
        "             missing            a journal decision whose ledger row "
        "is absent,\n"
        "                                orphaned, a marker, or another "
        "claim's\n"
        "             decided twice      a claim key with more than one "
        "journal decision,\n"
        "                                or more than one counted decision "
        "row in the\n"
        "                                LEDGERs\n"
        "             unmarked orphans   a decision row no journal decision "
        "names and\n"
        "                                no marker names (on a busy cluster "
        "also rows\n"
        "                                whose RESULT is still on its way: "
        "run it quiet)\n"
        "             disagreements      the row's outcome or paid amount "
        "differs from\n"
        "                                the journal's\n"
        "             ledgers not given  ledgers the journal names that are "
        "not among\n"
        "                                the LEDGERs\n"
        "           and, as information, orphans marked and claims not "
        "decided yet\n"
        "           (quarantined ones counted apart).\n"
        "  -j, --journal DIR  the broker's journal directory (or file)\n"
        "      --json         one JSON object instead of the text report "
        "(lists\n"
        "                     capped at %d items per kind; counts are "
        "complete)\n"
        "export     writes OUT, a new ledger for auditors (SQLite, mode 0600, "
        "one file):\n"
        "           LEDGER's rows with each member id, and each value a "
        "reviewer's\n"
        "           release changed (member name, id, birth date...: the "
        "decision's\n"
        "           \"review\"), replaced by a token: \"h:\" and the first "
        "16 bytes, in hex,\n"
        "           of BLAKE2b keyed with KEYFILE's key. The same value and "
        "key "
        "give the\n"
        "           same token (one member's claims stay linked); another key, "
        "other\n"
        "           tokens. Decisions carry no other member data. The hash "
        "chain is\n"
        "           made again over the new rows, so verify and query work on "
        "OUT;\n"
        "           OUT's meta table says it is a redacted export (export, "
        "export_of_rows,\n"
        "           export_of_hash: LEDGER's final chain hash, exported_at, "
        "export_key_id).\n"
        "           LEDGER is read in one read transaction, its chain checked, "
        "and never\n"
        "           written. Prints one line: rows, decisions, both final "
        "hashes.\n"
        "  -r, --redact       required: the only export offered (for now) is "
        "redacted\n"
        "  -k, --key KEYFILE  the key: 32 bytes. When KEYFILE does not exist, "
        "a new\n"
        "                     random key is written there (mode 0600; said on "
        "stderr):\n"
        "                     keep it secret, and reuse it for exports that "
        "should share\n"
        "                     tokens (member ids are short: with the key, "
        "guesses can be\n"
        "                     tested)\n"
        "  -o, --out OUT      the file to write; must not exist (never "
        "overwritten)\n"
        "  -h, --help         this help\n\n"
        "exit codes: 0 fine (verify: every chain holds; reconcile: clean),\n"
        "            1 verify: a chain breaks (also when another FILE cannot "
        "be read);\n"
        "              query: the chain breaks; reconcile: any problem "
        "above, or a\n"
        "              ledger's chain breaks; export: OUT exists, LEDGER's "
        "chain\n"
        "              breaks, or OUT cannot be written (nothing left "
        "behind)\n"
        "            2 usage (export: also without --redact)\n"
        "            3 a file cannot be read or is not a ledger / journal; "
        "export: also\n"
        "              KEYFILE is not a key (not 32 bytes) or cannot be read "
        "or made\n",
        S_JSON_ITEMS);
}

//  A usage error: "claimq ledger SUB: WHAT 'ARG'" and the hint; exit 2.
static int
s_usage_error(const char *sub, const char *what, const char *arg)
{
    fprintf(stderr,
            "claimq ledger%s%s: %s%s%s%s\nTry 'claimq ledger --help'.\n",
            sub ? " " : "", sub ? sub : "", what, arg ? " '" : "",
            arg ? arg : "", arg ? "'" : "");
    return CQ_EXIT_USAGE;
}

//  A walk's error as an exit code: a broken chain 1, unreadable 3.
static int
s_walk_exit(int rc)
{
    return rc == CQ_EPROTO ? CQ_EXIT_FAIL : CQ_EXIT_SETUP;
}

//  diag's message without the "path: " it starts with.
static const char *
s_msg(const cq_diag_t *diag, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(diag->msg, path, n) == 0 &&
        strncmp(diag->msg + n, ": ", 2) == 0)
        return diag->msg + n + 2;
    return diag->msg;
}

//  The claim key's claim id is usable (the engine's rule, engine.c): a
//  claim without one is named by its record and may share its key.
static bool
s_keyed(const char *key)
{
    const char *a = strchr(key, '|');
    const char *b = a ? strchr(a + 1, '|') : NULL;
    const char *end = strrchr(key, '|');
    if (b == NULL || end <= b)
        return false;
    const char *id = b + 1;
    size_t n = (size_t)(end - id);
    return n > 0 && (id[0] != '#' || memchr(id, ':', n) != NULL);
}

//  ---- verify ---------------------------------------------------------------

typedef struct {
    int64_t outcomes[3]; // counted decisions by outcome
    int64_t orphans;
    int64_t markers;
} s_counts_t;

static int
s_count_row(void *arg, const cq_ledger_row_t *row)
{
    s_counts_t *c = arg;
    if (row->kind != 0)
        c->markers++;
    else if (row->orphaned)
        c->orphans++;
    else if ((unsigned)row->d->decision < 3)
        c->outcomes[row->d->decision]++;
    return 0;
}

static int
s_verify(int argc, char **argv)
{
    int worst = CQ_EXIT_OK;
    for (int i = 0; i < argc; i++) {
        const char *path = argv[i];
        s_counts_t c = {{0, 0, 0}, 0, 0};
        cq_ledger_meta_t meta;
        cq_diag_t diag = {0};
        int64_t rows = 0;
        int rc = cq_ledger_walk(path, s_count_row, &c, &meta, &rows, &diag);
        if (rc == CQ_EPROTO) {
            printf("%s: BROKEN at seq %zu (after %lld good rows): %s\n", path,
                   diag.offset, (long long)rows, s_msg(&diag, path));
            fprintf(stderr, "claimq ledger verify: %s\n", diag.msg);
            worst = CQ_EXIT_FAIL;
            continue;
        }
        if (rc != 0) {
            printf("%s: not readable: %s\n", path, s_msg(&diag, path));
            fprintf(stderr, "claimq ledger verify: %s\n", diag.msg);
            if (worst == CQ_EXIT_OK)
                worst = CQ_EXIT_SETUP;
            continue;
        }
        printf("%s: ok: schema %d, node %s, ledger %s, %lld rows: %lld "
               "decisions (%lld accept, %lld reject, %lld pend), %lld "
               "orphans, %lld markers; resolved through seq %lld",
               path, meta.schema, meta.node_id[0] ? meta.node_id : "-",
               meta.ledger_id[0] ? meta.ledger_id : "-", (long long)rows,
               (long long)(c.outcomes[0] + c.outcomes[1] + c.outcomes[2]),
               (long long)c.outcomes[0], (long long)c.outcomes[1],
               (long long)c.outcomes[2], (long long)c.orphans,
               (long long)c.markers, (long long)meta.resolved);
        if (meta.export_kind[0])
            printf("; a %s export, not the node's ledger: made from %lld "
                   "rows whose chain ends with hash %s",
                   meta.export_kind, (long long)meta.export_of_rows,
                   meta.export_of_hash[0] ? meta.export_of_hash : "-");
        printf("\n");
    }
    return worst;
}

//  ---- query ----------------------------------------------------------------

typedef struct {
    const char *claim;  // claim id or key, or NULL
    const char *member; // or NULL
    const char *batch;  // or NULL
    bool orphans;       // only orphans
} s_query_t;

static int
s_query_row(void *arg, const cq_ledger_row_t *row)
{
    const s_query_t *q = arg;
    if (row->kind != 0 || (q->orphans && !row->orphaned))
        return 0;
    if (q->claim && strcmp(q->claim, row->d->claim_id) != 0 &&
        strcmp(q->claim, row->claim_key) != 0)
        return 0;
    if (q->member && strcmp(q->member, row->member_id) != 0)
        return 0;
    if (q->batch && strcmp(q->batch, row->d->batch_id) != 0)
        return 0;
    if (row->orphaned && row->json_len > 0 &&
        row->json[row->json_len - 1] == '}') {
        fwrite(row->json, 1, row->json_len - 1, stdout);
        fputs(", \"orphan\": true}\n", stdout);
    } else {
        fwrite(row->json, 1, row->json_len, stdout);
        fputc('\n', stdout);
    }
    return 0;
}

static int
s_query(int argc, char **argv)
{
    static const struct option opts[] = {{"claim", required_argument, 0, 'c'},
                                         {"member", required_argument, 0, 'm'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"orphans", no_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    s_query_t q = {NULL, NULL, NULL, false};
    int c;
    while ((c = cq_getopt(argc, argv, "c:m:b:oh", opts,
                          "claimq ledger query")) != -1) {
        switch (c) {
        case 'c':
            q.claim = optarg;
            break;
        case 'm':
            q.member = optarg;
            break;
        case 'b':
            q.batch = optarg;
            break;
        case 'o':
            q.orphans = true;
            break;
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (argc - optind != 1)
        return s_usage_error("query", "give exactly one FILE", NULL);
    const char *path = argv[optind];
    cq_diag_t diag = {0};
    int64_t rows = 0;
    int rc = cq_ledger_walk(path, s_query_row, &q, NULL, &rows, &diag);
    fflush(stdout);
    if (rc != 0) {
        fprintf(stderr, "claimq ledger query: %s\n", diag.msg);
        return s_walk_exit(rc);
    }
    return CQ_EXIT_OK;
}

//  ---- reconcile ------------------------------------------------------------

//  One ledger row as reconcile keeps it.
typedef struct {
    char *key;       // claim key
    int64_t paid;    // decision: paid, cents
    uint8_t kind;    // 0 decision, 1 marker
    uint8_t outcome; // decision: cq_outcome_t
    bool orphaned;   // a marker names it
    bool named;      // a journal decision names it
    bool superseded; // a later decision (a reviewer's release) names it
    //  decision: the pend row it supersedes (claimq review), or 0
    int64_t supersedes_seq;
    char supersedes_node[CQ_ID_LEN];
} s_lrow_t;

typedef struct {
    const char *path;
    cq_ledger_meta_t meta;
    s_lrow_t *rows; // [seq - 1]
    size_t n_rows, cap_rows;
    int64_t decisions, orphans, markers, named;
} s_ledger_t;

//  A ledger the journal names that was not given.
typedef struct {
    char ledger_id[CQ_LEDGER_ID_LEN];
    char node[CQ_ID_LEN];
    int64_t decisions;
} s_other_t;

//  The problem kinds, in report order.
enum { K_MISSING, K_TWICE, K_UNMARKED, K_DISAGREE, K_NOT_GIVEN, K_KINDS };

static const struct {
    const char *key;  // JSON key
    const char *text; // text report heading
} s_kinds[K_KINDS] = {
    [K_MISSING] = {"missing", "missing"},
    [K_TWICE] = {"decided_twice", "decided twice"},
    [K_UNMARKED] = {"unmarked_orphans", "unmarked orphans"},
    [K_DISAGREE] = {"disagreements", "disagreements"},
    [K_NOT_GIVEN] = {"ledgers_not_given", "ledgers not given"},
};

typedef struct {
    s_ledger_t *ledgers;
    int n_ledgers;
    s_other_t *others;
    size_t n_others;
    json_t *items[K_KINDS]; // arrays, capped
    int64_t counts[K_KINDS];
    cq_decision_t *d; // scratch
} s_rec_t;

static void
s_problem(s_rec_t *r, int kind, json_t *item)
{
    r->counts[kind]++;
    if (json_array_size(r->items[kind]) < S_JSON_ITEMS)
        json_array_append_new(r->items[kind], item);
    else
        json_decref(item);
}

static int
s_keep_row(void *arg, const cq_ledger_row_t *row)
{
    s_ledger_t *l = arg;
    if (l->n_rows == l->cap_rows) {
        l->cap_rows = l->cap_rows ? l->cap_rows * 2 : 1024;
        l->rows = cq_xrealloc(l->rows, l->cap_rows * sizeof *l->rows);
    }
    s_lrow_t *x = &l->rows[l->n_rows++];
    memset(x, 0, sizeof *x);
    x->key = cq_xstrdup(row->claim_key);
    x->kind = (uint8_t)row->kind;
    x->orphaned = row->orphaned;
    if (row->kind == 0) {
        x->outcome = (uint8_t)row->d->decision;
        x->paid = row->d->paid;
        x->supersedes_seq = row->d->supersedes_seq;
        cq_strlcpy(x->supersedes_node, row->d->supersedes_node,
                   sizeof x->supersedes_node);
        if (row->orphaned)
            l->orphans++;
        else
            l->decisions++;
    } else {
        l->markers++;
    }
    return 0;
}

static s_ledger_t *
s_ledger_find(s_rec_t *r, const char *id)
{
    for (int i = 0; i < r->n_ledgers; i++)
        if (strcmp(r->ledgers[i].meta.ledger_id, id) == 0)
            return &r->ledgers[i];
    return NULL;
}

static void
s_not_given(s_rec_t *r, const char *id, const char *node)
{
    for (size_t i = 0; i < r->n_others; i++)
        if (strcmp(r->others[i].ledger_id, id) == 0) {
            r->others[i].decisions++;
            return;
        }
    r->others = cq_xrealloc(r->others, (r->n_others + 1) * sizeof *r->others);
    s_other_t *o = &r->others[r->n_others++];
    cq_strlcpy(o->ledger_id, id, sizeof o->ledger_id);
    cq_strlcpy(o->node, node, sizeof o->node);
    o->decisions = 1;
}

static json_t *
s_side(cq_outcome_t outcome, int64_t paid)
{
    char money[CQ_MONEY_STRLEN];
    return json_pack("{s:s, s:s}", "outcome", cq_outcome_name(outcome), "paid",
                     cq_money_format(paid, money));
}

//  One journal decision: key, the ledger and row it names, its body.
static void
s_journal_decision(s_rec_t *r, const char *key, const char *node,
                   const char *lid, int64_t seq, const void *body, size_t len)
{
    s_ledger_t *l = s_ledger_find(r, lid);
    if (l == NULL) {
        s_not_given(r, lid, node);
        return;
    }
    const char *why = NULL;
    s_lrow_t *x =
        seq >= 1 && (size_t)seq <= l->n_rows ? &l->rows[seq - 1] : NULL;
    if (x == NULL)
        why = "no such row";
    else if (x->kind != 0)
        why = "the row is an orphan marker";
    else if (x->orphaned)
        why = "the row is marked orphan";
    else if (strcmp(x->key, key) != 0)
        why = "the row is another claim's";
    if (why) {
        s_problem(r, K_MISSING,
                  json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "claim_key", key,
                            "ledger", l->path, "ledger_id", lid, "node", node,
                            "seq", (json_int_t)seq, "why", why));
        return;
    }
    x->named = true;
    l->named++;
    cq_cur_t cur;
    cq_cur_init(&cur, body, len);
    bool readable = cq_proto_decision_decode(&cur, r->d) == 0;
    if (readable && r->d->decision == x->outcome && r->d->paid == x->paid)
        return;
    json_t *item = json_pack("{s:s, s:s, s:I, s:o}", "claim_key", key, "ledger",
                             l->path, "seq", (json_int_t)seq, "ledger_row",
                             s_side((cq_outcome_t)x->outcome, x->paid));
    json_object_set_new(item, "journal",
                        readable ? s_side(r->d->decision, r->d->paid)
                                 : json_string("its decision does not decode"));
    s_problem(r, K_DISAGREE, item);
}

static int
s_strp_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

//  The journal, read through the broker's own loader (the one a restart
//  uses): claim keys by id, every decision, quarantine events.
typedef struct {
    s_rec_t *r;
    char **keys; // by claim id ("" for ids compaction left out)
    uint8_t *decided, *quarantined;
    uint8_t *pended; // its last decision is a pend
    size_t n, cap;
    int64_t n_dec;
} s_jread_t;

static void
s_jgrow(s_jread_t *x, uint32_t id)
{
    if (id < x->n)
        return;
    if (id >= x->cap) {
        size_t c = x->cap ? x->cap : 1024;
        while (c <= id)
            c *= 2;
        x->keys = cq_xrealloc(x->keys, c * sizeof *x->keys);
        x->decided = cq_xrealloc(x->decided, c);
        x->quarantined = cq_xrealloc(x->quarantined, c);
        x->pended = cq_xrealloc(x->pended, c);
        x->cap = c;
    }
    for (size_t i = x->n; i <= id; i++) {
        x->keys[i] = NULL;
        x->decided[i] = x->quarantined[i] = x->pended[i] = 0;
    }
    x->n = (size_t)id + 1;
}

static int
s_jclaim(void *arg, uint32_t id, const char *key, uint32_t shard,
         uint32_t batch, uint32_t doc, uint32_t idx, const void *body,
         size_t len, const char *archived)
{
    (void)shard, (void)batch, (void)doc, (void)idx, (void)body, (void)len,
        (void)archived;
    s_jread_t *x = arg;
    s_jgrow(x, id);
    free(x->keys[id]);
    x->keys[id] = cq_xstrdup(key);
    return 0;
}

static int
s_jdecision(void *arg, uint32_t claim, uint64_t seq, uint32_t result,
            const char *node, const char *ledger_id, uint64_t ledger_seq,
            int outcome, const void *body, size_t len)
{
    (void)seq, (void)result;
    s_jread_t *x = arg;
    s_jgrow(x, claim);
    const char *key = x->keys[claim] ? x->keys[claim] : "";
    //  the key as decided (a reviewer's correction may have changed it)
    char dkey[CQ_KEY_LEN];
    cq_cur_t cur;
    cq_cur_init(&cur, body, len);
    bool sup = false;
    if (cq_proto_decision_decode(&cur, x->r->d) == 0) {
        snprintf(dkey, sizeof dkey, "%s|%s|%s|%c", x->r->d->payer_id,
                 x->r->d->billing_npi, x->r->d->claim_id,
                 x->r->d->frequency ? x->r->d->frequency : '1');
        key = dkey;
        //  a release's decision after the claim's pend: not a second one
        sup = x->r->d->supersedes_seq > 0 && x->decided[claim] == 1 &&
              x->pended[claim];
    }
    x->n_dec++;
    x->pended[claim] = outcome == CQ_DECISION_PEND;
    if (sup) {
        free(x->keys[claim]);
        x->keys[claim] = cq_xstrdup(key);
        key = x->keys[claim];
    }
    if (!sup && x->decided[claim] < 255 && ++x->decided[claim] == 2 &&
        s_keyed(key))
        s_problem(x->r, K_TWICE,
                  json_pack("{s:s, s:s, s:I}", "claim_key", key, "where",
                            "journal", "decisions", (json_int_t)2));
    s_journal_decision(x->r, key, node, ledger_id, (int64_t)ledger_seq, body,
                       len);
    return 0;
}

static int
s_jevent(void *arg, const char *kind, uint32_t target, const char *node,
         uint32_t attempts, const char *detail, int64_t at_ms)
{
    (void)node, (void)attempts, (void)detail, (void)at_ms;
    s_jread_t *x = arg;
    bool q = strcmp(kind, "claim_quarantined") == 0;
    if (!q && strcmp(kind, "claim_released") != 0)
        return 0;
    s_jgrow(x, target);
    x->quarantined[target] = q;
    return 0;
}

//  Reads the journal at path (a directory or its journal.db). Returns 0 and
//  fills the counts, or CQ_EXIT_SETUP after saying why.
static int
s_journal_read(s_rec_t *r, const char *path, char *jpath, size_t jsize,
               int64_t *n_dec, int64_t *n_claims, int64_t *undecided,
               int64_t *quarantined)
{
    cq_diag_t diag = {0};
    cq_journal_t *j = cq_journal_open_readonly(path, &diag);
    if (j == NULL) {
        fprintf(stderr, "claimq ledger reconcile: %s\n", diag.msg);
        return CQ_EXIT_SETUP;
    }
    snprintf(jpath, jsize, "%s", cq_journal_path(j));
    s_jread_t x;
    memset(&x, 0, sizeof x);
    x.r = r;
    cq_journal_loader_t l = {0};
    l.claim = s_jclaim;
    l.decision = s_jdecision;
    l.event = s_jevent;
    int rc = cq_journal_load(j, &l, &x, &diag);
    cq_journal_close(&j);
    if (rc != 0)
        fprintf(stderr, "claimq ledger reconcile: %s\n", diag.msg);
    *n_dec = x.n_dec;
    *n_claims = *undecided = *quarantined = 0;
    //  a key decided under two claim ids is decided twice too
    const char **dk = cq_xmalloc((x.n ? x.n : 1) * sizeof *dk);
    size_t n_dk = 0;
    for (size_t i = 0; i < x.n; i++) {
        if (x.keys[i] == NULL)
            continue;
        (*n_claims)++;
        if (x.decided[i] == 0) {
            (*undecided)++;
            if (x.quarantined[i])
                (*quarantined)++;
        } else if (s_keyed(x.keys[i])) {
            dk[n_dk++] = x.keys[i];
        }
    }
    qsort(dk, n_dk, sizeof *dk, s_strp_cmp);
    for (size_t i = 0, e; i < n_dk; i = e) {
        for (e = i + 1; e < n_dk && strcmp(dk[i], dk[e]) == 0; e++)
            ;
        if (e - i > 1)
            s_problem(r, K_TWICE,
                      json_pack("{s:s, s:s, s:I}", "claim_key", dk[i], "where",
                                "journal", "decisions", (json_int_t)(e - i)));
    }
    free(dk);
    for (size_t i = 0; i < x.n; i++)
        free(x.keys[i]);
    free(x.keys);
    free(x.decided);
    free(x.quarantined);
    free(x.pended);
    return rc == 0 ? 0 : CQ_EXIT_SETUP;
}

//  A counted decision row of a given ledger, for the twice check.
typedef struct {
    const char *key;
    const char *path;
    int64_t seq;
} s_keyrow_t;

static int
s_keyrow_cmp(const void *a, const void *b)
{
    const s_keyrow_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

//  Rows a later decision supersedes (a pend a reviewer released): they
//  are the claim's history, not a second decision.
static void
s_mark_superseded(s_rec_t *r)
{
    for (int i = 0; i < r->n_ledgers; i++) {
        s_ledger_t *l = &r->ledgers[i];
        for (size_t s = 0; s < l->n_rows; s++) {
            const s_lrow_t *x = &l->rows[s];
            if (x->kind != 0 || x->orphaned || x->supersedes_seq <= 0)
                continue;
            for (int j = 0; j < r->n_ledgers; j++) {
                s_ledger_t *o = &r->ledgers[j];
                if (strcmp(o->meta.node_id, x->supersedes_node) != 0 ||
                    (size_t)x->supersedes_seq > o->n_rows)
                    continue;
                s_lrow_t *p = &o->rows[x->supersedes_seq - 1];
                if (p->kind == 0 && p->outcome == CQ_DECISION_PEND)
                    p->superseded = true;
            }
        }
    }
}

//  What the journal never named, and keys with two counted rows.
static void
s_ledgers_check(s_rec_t *r, int64_t *marked)
{
    s_mark_superseded(r);
    size_t n = 0;
    for (int i = 0; i < r->n_ledgers; i++)
        n += r->ledgers[i].n_rows;
    s_keyrow_t *k = cq_xmalloc((n ? n : 1) * sizeof *k);
    n = 0;
    *marked = 0;
    for (int i = 0; i < r->n_ledgers; i++) {
        s_ledger_t *l = &r->ledgers[i];
        for (size_t s = 0; s < l->n_rows; s++) {
            s_lrow_t *x = &l->rows[s];
            if (x->kind != 0)
                continue;
            if (x->orphaned) {
                (*marked)++;
                continue;
            }
            if (!x->named)
                s_problem(r, K_UNMARKED,
                          json_pack("{s:s, s:s, s:I, s:s}", "ledger", l->path,
                                    "ledger_id", l->meta.ledger_id, "seq",
                                    (json_int_t)(s + 1), "claim_key", x->key));
            if (s_keyed(x->key) && !x->superseded)
                k[n++] = (s_keyrow_t){x->key, l->path, (int64_t)s + 1};
        }
    }
    qsort(k, n, sizeof *k, s_keyrow_cmp);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(k[i].key, k[j].key) == 0; j++)
            ;
        if (j - i < 2)
            continue;
        json_t *rows = json_array();
        for (size_t m = i; m < j; m++)
            json_array_append_new(rows,
                                  json_pack("{s:s, s:I}", "ledger", k[m].path,
                                            "seq", (json_int_t)k[m].seq));
        s_problem(r, K_TWICE,
                  json_pack("{s:s, s:s, s:I, s:o}", "claim_key", k[i].key,
                            "where", "ledgers", "decisions",
                            (json_int_t)(j - i), "rows", rows));
    }
    free(k);
    for (size_t i = 0; i < r->n_others; i++)
        s_problem(r, K_NOT_GIVEN,
                  json_pack("{s:s, s:s, s:I}", "ledger_id",
                            r->others[i].ledger_id, "node", r->others[i].node,
                            "decisions", (json_int_t)r->others[i].decisions));
}

//  One problem as a line of the text report.
static void
s_text_item(int kind, const json_t *it)
{
    const char *key = json_string_value(json_object_get(it, "claim_key"));
    const char *ledger = json_string_value(json_object_get(it, "ledger"));
    long long seq = (long long)json_integer_value(json_object_get(it, "seq"));
    switch (kind) {
    case K_MISSING:
        printf("  %s: the journal names %s (node %s) seq %lld: %s\n", key,
               ledger, json_string_value(json_object_get(it, "node")), seq,
               json_string_value(json_object_get(it, "why")));
        break;
    case K_TWICE: {
        printf("  %s: %lld decisions in the %s", key,
               (long long)json_integer_value(json_object_get(it, "decisions")),
               json_string_value(json_object_get(it, "where")));
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(it, "rows"), i, v)
        {
            printf("%s%s seq %lld", i ? ", " : ": ",
                   json_string_value(json_object_get(v, "ledger")),
                   (long long)json_integer_value(json_object_get(v, "seq")));
        }
        printf("\n");
        break;
    }
    case K_UNMARKED:
        printf("  %s seq %lld: %s\n", ledger, seq, key);
        break;
    case K_DISAGREE: {
        const json_t *j = json_object_get(it, "journal");
        const json_t *l = json_object_get(it, "ledger_row");
        char jt[96];
        if (json_is_string(j))
            snprintf(jt, sizeof jt, "%s", json_string_value(j));
        else
            snprintf(jt, sizeof jt, "%s, paid %s",
                     json_string_value(json_object_get(j, "outcome")),
                     json_string_value(json_object_get(j, "paid")));
        printf("  %s: journal %s; %s seq %lld: %s, paid %s\n", key, jt, ledger,
               seq, json_string_value(json_object_get(l, "outcome")),
               json_string_value(json_object_get(l, "paid")));
        break;
    }
    default: {
        const char *id = json_string_value(json_object_get(it, "ledger_id"));
        printf("  ledger %s (node %s): %lld decisions\n",
               id[0] ? id : "(none: not from a ledger)",
               json_string_value(json_object_get(it, "node")),
               (long long)json_integer_value(json_object_get(it, "decisions")));
        break;
    }
    }
}

static void
s_text_report(const json_t *rep)
{
    printf("journal %s: %lld decisions, %lld claims\n",
           json_string_value(json_object_get(rep, "journal")),
           (long long)json_integer_value(
               json_object_get(rep, "journal_decisions")),
           (long long)json_integer_value(json_object_get(rep, "claims")));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rep, "ledgers"), i, l)
    {
        printf("ledger %s: node %s, id %s, %lld rows: %lld decisions "
               "(%lld named by the journal), %lld orphans, %lld markers\n",
               json_string_value(json_object_get(l, "path")),
               json_string_value(json_object_get(l, "node")),
               json_string_value(json_object_get(l, "ledger_id")),
               (long long)json_integer_value(json_object_get(l, "rows")),
               (long long)json_integer_value(json_object_get(l, "decisions")),
               (long long)json_integer_value(json_object_get(l, "named")),
               (long long)json_integer_value(json_object_get(l, "orphans")),
               (long long)json_integer_value(json_object_get(l, "markers")));
    }
    const json_t *counts = json_object_get(rep, "counts");
    int64_t problems = 0;
    for (int k = 0; k < K_KINDS; k++) {
        int64_t n = json_integer_value(json_object_get(counts, s_kinds[k].key));
        problems += n;
        printf("%s: %lld\n", s_kinds[k].text, (long long)n);
        json_t *it;
        json_array_foreach(json_object_get(rep, s_kinds[k].key), i, it)
        {
            if (i == S_TEXT_ITEMS)
                break;
            s_text_item(k, it);
        }
        if (n > S_TEXT_ITEMS)
            printf("  ... and %lld more\n", (long long)(n - S_TEXT_ITEMS));
    }
    printf(
        "info: %lld orphans marked, %lld claims not decided yet (%lld of "
        "them quarantined)\n",
        (long long)json_integer_value(json_object_get(rep, "marked_orphans")),
        (long long)json_integer_value(json_object_get(rep, "undecided")),
        (long long)json_integer_value(json_object_get(rep, "quarantined")));
    if (problems)
        printf("reconcile: %lld problems\n", (long long)problems);
    else
        printf("reconcile: clean\n");
}

static void
s_rec_free(s_rec_t *r)
{
    for (int i = 0; i < r->n_ledgers; i++) {
        for (size_t s = 0; s < r->ledgers[i].n_rows; s++)
            free(r->ledgers[i].rows[s].key);
        free(r->ledgers[i].rows);
    }
    free(r->ledgers);
    free(r->others);
    for (int k = 0; k < K_KINDS; k++)
        json_decref(r->items[k]);
    free(r->d);
}

//  Loads the ledgers into r. Returns 0 or an exit code (message printed).
static int
s_ledgers_load(s_rec_t *r, int n, char **paths)
{
    r->ledgers = cq_xcalloc((size_t)n, sizeof *r->ledgers);
    for (int i = 0; i < n; i++) {
        s_ledger_t *l = &r->ledgers[i];
        l->path = paths[i];
        cq_diag_t diag = {0};
        int64_t rows = 0;
        r->n_ledgers = i + 1;
        int rc = cq_ledger_walk(l->path, s_keep_row, l, &l->meta, &rows, &diag);
        if (rc != 0) {
            fprintf(stderr, "claimq ledger reconcile: %s%s\n", diag.msg,
                    rc == CQ_EPROTO ? " (claimq ledger verify names the row)"
                                    : "");
            return s_walk_exit(rc);
        }
        for (int k = 0; k < i; k++)
            if (strcmp(r->ledgers[k].meta.ledger_id, l->meta.ledger_id) == 0) {
                fprintf(stderr,
                        "claimq ledger reconcile: %s and %s are the same "
                        "ledger (id %s)\nTry 'claimq ledger --help'.\n",
                        r->ledgers[k].path, l->path, l->meta.ledger_id);
                return CQ_EXIT_USAGE;
            }
    }
    return 0;
}

static int
s_reconcile(int argc, char **argv)
{
    static const struct option opts[] = {{"journal", required_argument, 0, 'j'},
                                         {"json", no_argument, 0, 'J'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *dir = NULL;
    bool as_json = false;
    int c;
    while ((c = cq_getopt(argc, argv, "j:h", opts,
                          "claimq ledger reconcile")) != -1) {
        switch (c) {
        case 'j':
            dir = optarg;
            break;
        case 'J':
            as_json = true;
            break;
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (dir == NULL)
        return s_usage_error("reconcile", "--journal DIR is required", NULL);
    if (optind >= argc)
        return s_usage_error("reconcile", "no LEDGER given", NULL);

    s_rec_t r;
    memset(&r, 0, sizeof r);
    for (int k = 0; k < K_KINDS; k++)
        r.items[k] = json_array();
    r.d = cq_xmalloc(sizeof *r.d);
    int rc = s_ledgers_load(&r, argc - optind, argv + optind);
    char jpath[4200] = "";
    int64_t n_dec = -1, n_claims = -1, undecided = -1, quarantined = 0;
    if (rc == 0)
        rc = s_journal_read(&r, dir, jpath, sizeof jpath, &n_dec, &n_claims,
                            &undecided, &quarantined);
    if (rc != 0) {
        s_rec_free(&r);
        return rc;
    }
    int64_t marked = 0;
    s_ledgers_check(&r, &marked);

    json_t *rep = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I}", "journal", jpath, "journal_decisions",
        (json_int_t)n_dec, "claims", (json_int_t)n_claims, "marked_orphans",
        (json_int_t)marked, "undecided", (json_int_t)undecided, "quarantined",
        (json_int_t)(quarantined > 0 ? quarantined : 0));
    json_t *ledgers = json_array();
    for (int i = 0; i < r.n_ledgers; i++) {
        const s_ledger_t *l = &r.ledgers[i];
        json_array_append_new(
            ledgers,
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path",
                      l->path, "node", l->meta.node_id, "ledger_id",
                      l->meta.ledger_id, "rows", (json_int_t)l->n_rows,
                      "decisions", (json_int_t)l->decisions, "named",
                      (json_int_t)l->named, "orphans", (json_int_t)l->orphans,
                      "markers", (json_int_t)l->markers));
    }
    json_object_set_new(rep, "ledgers", ledgers);
    json_t *counts = json_object();
    int64_t problems = 0;
    for (int k = 0; k < K_KINDS; k++) {
        json_object_set_new(counts, s_kinds[k].key,
                            json_integer((json_int_t)r.counts[k]));
        json_object_set(rep, s_kinds[k].key, r.items[k]);
        problems += r.counts[k];
    }
    json_object_set_new(rep, "counts", counts);
    json_object_set_new(rep, "clean", json_boolean(problems == 0));
    if (as_json) {
        char *s = json_dumps(rep, JSON_COMPACT);
        if (s)
            puts(s);
        free(s);
    } else {
        s_text_report(rep);
    }
    json_decref(rep);
    s_rec_free(&r);
    return problems ? CQ_EXIT_FAIL : CQ_EXIT_OK;
}

//  ---- export ---------------------------------------------------------------

static int
s_export(int argc, char **argv)
{
    static const struct option opts[] = {{"redact", no_argument, 0, 'r'},
                                         {"key", required_argument, 0, 'k'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *key_path = NULL, *out = NULL;
    bool redact = false;
    int c;
    while ((c = cq_getopt(argc, argv, "rk:o:h", opts,
                          "claimq ledger export")) != -1) {
        switch (c) {
        case 'r':
            redact = true;
            break;
        case 'k':
            key_path = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (!redact)
        return s_usage_error("export",
                             "only a redacted export is offered: add --redact "
                             "(member ids and reviewed values become keyed "
                             "hashes)",
                             NULL);
    if (key_path == NULL)
        return s_usage_error("export", "--key KEYFILE is required", NULL);
    if (out == NULL)
        return s_usage_error("export", "--out OUT is required", NULL);
    if (argc - optind != 1)
        return s_usage_error("export", "give exactly one LEDGER", NULL);
    const char *src = argv[optind];
    struct stat sb;
    if (lstat(out, &sb) == 0) {
        fprintf(stderr,
                "claimq ledger export: %s already exists: an export never "
                "overwrites a file; name a new one\n",
                out);
        return CQ_EXIT_FAIL;
    }
    uint8_t key[CQ_REDACT_KEY_LEN];
    bool created = false;
    unsigned mode = 0;
    cq_diag_t diag = {0};
    if (cq_redact_key(key_path, key, &created, &mode, &diag) != 0) {
        fprintf(stderr, "claimq ledger export: %s\n", diag.msg);
        return CQ_EXIT_SETUP;
    }
    if (created)
        fprintf(stderr,
                "claimq ledger export: %s did not exist: wrote a new random "
                "key there (mode 0600); keep it secret, and give it again for "
                "exports whose tokens should match\n",
                key_path);
    else if (mode & 077)
        fprintf(stderr,
                "claimq ledger export: warning: %s can be read by other users "
                "(mode %04o); the tokens are only as private as the key\n",
                key_path, mode);
    cq_ledger_copy_info_t info;
    int rc = cq_ledger_export_redacted(src, out, key, &info, &diag);
    memset(key, 0, sizeof key);
    if (rc != 0) {
        fprintf(stderr, "claimq ledger export: %s%s\n", diag.msg,
                rc == CQ_EPROTO ? " (not exported; claimq ledger verify names "
                                  "the row)"
                                : "");
        //  the source unreadable or not a ledger: setup, as for verify
        return rc == CQ_EPROTO || info.dst_error ? CQ_EXIT_FAIL : CQ_EXIT_SETUP;
    }
    printf("%s: redacted export of %s: %lld rows (%lld decisions); %s's chain "
           "ends with %s, the copy's with %s\n",
           out, src, (long long)info.rows, (long long)info.decisions, src,
           info.source_hash, info.hash);
    return CQ_EXIT_OK;
}

//  ---- the verb -------------------------------------------------------------

int
cq_cmd_ledger(int argc, char **argv)
{
    if (argc < 2)
        return s_usage_error(NULL, "verify, query, reconcile or export?", NULL);
    const char *sub = argv[1];
    static const struct option help_only[] = {{"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    if (strcmp(sub, "help") == 0) {
        s_usage(stdout);
        return CQ_EXIT_OK;
    }
    if (sub[0] == '-') {
        //  an option before the sub-verb: only --help
        optind = 1;
        switch (cq_getopt(2, argv, "+h", help_only, "claimq ledger")) {
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        case '?':
            return CQ_EXIT_USAGE;
        default: // "-" or "--": not a sub-verb
            break;
        }
    }
    //  the sub-verb's arguments: argv[0] is the sub-verb
    argc--;
    argv++;
    optind = 1;
    if (strcmp(sub, "verify") == 0) {
        int c;
        while ((c = cq_getopt(argc, argv, "h", help_only,
                              "claimq ledger verify")) != -1) {
            if (c != 'h')
                return CQ_EXIT_USAGE; // cq_getopt said why
            s_usage(stdout);
            return CQ_EXIT_OK;
        }
        if (optind >= argc)
            return s_usage_error("verify", "no FILE given", NULL);
        return s_verify(argc - optind, argv + optind);
    }
    if (strcmp(sub, "query") == 0)
        return s_query(argc, argv);
    if (strcmp(sub, "reconcile") == 0)
        return s_reconcile(argc, argv);
    if (strcmp(sub, "export") == 0)
        return s_export(argc, argv);
    static const char *const subs[] = {"verify", "query", "reconcile",
                                       "export"};
    return cq_opt_bad_command("claimq ledger", sub, subs, 4);
}
