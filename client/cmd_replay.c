//  claimq replay: a capture (claimq-broker --record) sent again into a
//  cluster, open loop, at its recorded pacing (x --speed) or at a fixed
//  --rate; latencies from each document's scheduled time; every decision
//  compared with the recorded run's; optionally the same traffic into a
//  second cluster (--shadow) compared the same way.
//
//  Open loop: a document goes at its time whatever the cluster is doing;
//  its latencies are counted from that time, so a cluster that cannot
//  keep up shows as latency (and as "behind"), not as a slower sender
//  (coordinated omission). Each recorded batch is replayed as a new batch
//  (PREFIX-ORIGINAL), in its own session, the batches side by side.
#include "bclient.h"
#include "broker_ep.h"
#include "capset.h"
#include "cmds.h"
#include "date.h"
#include "decision.h"
#include "hash.h"
#include "hist.h"
#include "mem.h"
#include "opts.h"
#include "submit.h"

#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_PROG "claimq replay"
#define S_MAX_CONC 256
#define S_KEEP_DIFFS 20 // differences listed on the terminal

static void
s_help(void)
{
    printf(
        "usage: claimq replay FILE... [--broker URL] [--speed X | --rate N]\n"
        "                     [--duration S] [--shadow URL|DIR] [--json]\n\n"
        "Sends the documents of a capture (`claimq-broker --record FILE`;\n"
        "give its rotated parts too, in any order) to a broker, open loop:\n"
        "each document at its recorded time from the start (divided by\n"
        "--speed) or at a fixed --rate, whatever the cluster is doing.\n"
        "Each recorded batch becomes a new batch PREFIX-ORIGINAL. Claims\n"
        "keep their recorded received dates (timely filing decides as it\n"
        "did) unless --today. Waits for every decision, then prints the\n"
        "throughput achieved, submit -> receipt and submit -> decision\n"
        "latency percentiles (p50 p90 p99 p99.9 max, measured from each\n"
        "document's scheduled time, so a cluster that falls behind shows\n"
        "it), how far the sending fell behind its schedule, errors by kind,\n"
        "and every decision compared with the recorded run's.\n\n"
        "A claim key the target cluster has decided before is not decided\n"
        "again (docs/formats.md): replay into a cluster that has not seen\n"
        "these claims (a fresh `claimq up --dir`), not into the one that\n"
        "recorded them.\n\n"
        "options:\n"
        "  --broker URL     target broker frontend (default $CLAIMQ_BROKER,\n"
        "                   else a local `claimq up`'s, else %s)\n"
        "  --speed X        recorded pacing times X (default 1; 4: four\n"
        "                   times as fast), 0.01..10000\n"
        "  --rate N         instead: N documents a second, evenly spaced\n"
        "  --duration S     send only the first S seconds of the schedule\n"
        "  --today          let the broker stamp today's received date\n"
        "  --batch-prefix P new batch ids are P-ORIGINAL (default r + the\n"
        "                   time of the run, e.g. r1a2b3c)\n"
        "  --shadow URL|DIR also replay into a second cluster (a broker URL,\n"
        "                   or a `claimq up --dir` directory) and compare\n"
        "                   its decisions with the recorded run's\n"
        "  --diff FILE      write every differing decision as JSON Lines\n"
        "  --strict         a difference counts even where the two\n"
        "                   decisions name different rules versions\n"
        "  --concurrency N  batches replayed at once (default 64, max %d)\n"
        "  --timeout S      give a batch up after S seconds without progress\n"
        "                   (default 120)\n"
        "  --json           one JSON object on stdout (see docs/loadtest.md)\n"
        "  -h, --help       this help\n\n"
        "A difference between a decision and the recorded one is explained\n"
        "when they were made under different rules versions (a rules change\n"
        "being tried); any other is not.\n\n"
        "exit codes: 0 every claim decided, no unexplained difference;\n"
        "1 an unexplained difference, a claim or document failed; 2 usage;\n"
        "3 a capture unreadable, or the address is a worker endpoint;\n"
        "4 broker unreachable or a batch timed out; 130 interrupted\n",
        CQ_BROKER_DEFAULT, S_MAX_CONC);
}

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

//  ---- one target cluster
//  ------------------------------------------------------

typedef struct {
    const char *label; // "target", "shadow"
    cq_broker_ep_t ep;
    pthread_mutex_t mu;
    cq_hist_t receipt, decision;
    uint64_t docs, claims, decided, failed, docs_failed, refused_sets;
    uint64_t same, differ, explained, unrecorded;
    uint64_t batches_failed, timeouts, unreachable;
    int worst_rc;         // a batch's cq_submit_run error (0: none)
    int exit_setup;       // the broker said this is not its client endpoint
    double max_lag_ms;    // sending behind its schedule, worst
    double last_lag_ms;   // ... at the last document sent
    atomic_ulong sent;    // documents receipted (progress)
    atomic_ulong answers; // decisions received (progress)
    double last_answer;   // cq_submit_clock() of the last decision
    //  differences: counted by change, the first few kept
    json_t *changes; // {"accept CO-45 -> reject CO-97": n}
    json_t *kept;    // the first S_KEEP_DIFFS
    FILE *diff;      // --diff, or NULL
} s_target_t;

typedef struct {
    cq_capset_t *set;
    double *send_at; // per capture document (ms from the start), or
                     // < 0: not sent (past --duration)
    int32_t *dates;  // per capture document
    const char *prefix;
    bool today, strict;
    int timeout_ms;
    s_target_t *targets;
    int n_targets;
    double t0; // cq_submit_clock() at the start
    atomic_uint next_job;
    atomic_uint threads_done;
    uint32_t n_jobs; // batches x targets
} s_run_t;

//  One batch into one target.
typedef struct {
    s_run_t *run;
    s_target_t *t;
    const cq_capbatch_t *b;
    uint32_t *cap; // local document -> capture document
    cq_hist_t receipt, decision;
    cq_decision_t rec; // scratch: the recorded decision
    uint64_t same, differ, explained, unrecorded, failed, docs_failed;
    double last_answer;
    char batch_id[CQ_BATCH_ID_LEN];
} s_job_t;

//  The distinct GROUP-CODE pairs of a decision's reasons and adjustments,
//  joined by ',' ("CO-45,PR-2").
static void
s_carcs(const cq_decision_t *d, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    uint16_t total = (uint16_t)(d->n_reasons + d->n_adj);
    for (uint16_t i = 0; i < total && at + 12 < n; i++) {
        const char *g = i < d->n_reasons ? d->reasons[i].group
                                         : d->adj[i - d->n_reasons].group;
        const char *c = i < d->n_reasons ? d->reasons[i].carc
                                         : d->adj[i - d->n_reasons].code;
        char item[16];
        snprintf(item, sizeof item, "%s-%s", g, c);
        size_t il = strlen(item);
        bool seen = false;
        for (const char *p = out; (p = strstr(p, item)) != NULL; p += il)
            if ((p == out || p[-1] == ',') && (p[il] == ',' || p[il] == '\0'))
                seen = true;
        if (!seen)
            at +=
                (size_t)snprintf(out + at, n - at, "%s%s", at ? "," : "", item);
    }
}

//  True when a and b decide the same way: outcome, amounts, reasons
//  (the node, ledger seq and batch differ by nature).
static bool
s_same(const cq_decision_t *a, const cq_decision_t *b)
{
    if (a->decision != b->decision || a->billed != b->billed ||
        a->allowed != b->allowed || a->paid != b->paid ||
        a->patient_resp != b->patient_resp || a->n_reasons != b->n_reasons ||
        a->n_adj != b->n_adj)
        return false;
    for (uint16_t i = 0; i < a->n_reasons; i++)
        if (a->reasons[i].line != b->reasons[i].line ||
            strcmp(a->reasons[i].group, b->reasons[i].group) != 0 ||
            strcmp(a->reasons[i].carc, b->reasons[i].carc) != 0)
            return false;
    for (uint16_t i = 0; i < a->n_adj; i++)
        if (a->adj[i].line != b->adj[i].line ||
            a->adj[i].amount != b->adj[i].amount ||
            strcmp(a->adj[i].code, b->adj[i].code) != 0)
            return false;
    return true;
}

static json_t *
s_dec_json(const cq_decision_t *d)
{
    char carcs[256];
    s_carcs(d, carcs, sizeof carcs);
    return json_pack("{s:s, s:I, s:s, s:s}", "decision",
                     cq_outcome_name(d->decision), "paid", (json_int_t)d->paid,
                     "carcs", carcs, "rules_version", d->rules_version);
}

static void
s_differs(s_job_t *j, const cq_decision_t *rec, const cq_decision_t *got,
          bool explained)
{
    s_target_t *t = j->t;
    char a[256], b[256], key[600];
    s_carcs(rec, a, sizeof a);
    s_carcs(got, b, sizeof b);
    bool amounts = rec->decision == got->decision && strcmp(a, b) == 0;
    snprintf(key, sizeof key, "%s %s -> %s %s%s%s",
             cq_outcome_name(rec->decision), a[0] ? a : "-",
             cq_outcome_name(got->decision), b[0] ? b : "-",
             amounts ? " (amounts)" : "", explained ? " (rules change)" : "");
    json_t *x = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "claim_id",
                          rec->claim_id, "payer_id", rec->payer_id, "batch_id",
                          j->b->id, "recorded", s_dec_json(rec), "replayed",
                          s_dec_json(got), "explained", explained);
    pthread_mutex_lock(&t->mu);
    json_t *n = json_object_get(t->changes, key);
    json_object_set_new(t->changes, key,
                        json_integer(n ? json_integer_value(n) + 1 : 1));
    if (t->diff) {
        json_dumpf(x, t->diff, JSON_COMPACT);
        fputc('\n', t->diff);
    }
    if (json_array_size(t->kept) < S_KEEP_DIFFS)
        json_array_append(t->kept, x);
    pthread_mutex_unlock(&t->mu);
    json_decref(x);
}

static void
s_on_decision(void *arg, size_t doc, uint32_t index, const cq_decision_t *d,
              double latency_ms)
{
    s_job_t *j = arg;
    cq_hist_add_ms(&j->decision, latency_ms);
    atomic_fetch_add(&j->t->answers, 1);
    j->last_answer = cq_submit_clock();
    if (d == NULL) {
        j->failed++;
        return;
    }
    const cq_capdoc_t *cd = &j->run->set->docs[j->cap[doc]];
    const cq_cap_rec_t *r =
        index < cd->dec_cap && cd->dec ? cd->dec[index] : NULL;
    if (r == NULL || r->len == 0) {
        j->unrecorded++; // (not recorded, or it failed then)
        return;
    }
    cq_cur_t c;
    cq_cur_init(&c, r->data, r->len);
    if (cq_proto_decision_decode(&c, &j->rec) != 0) {
        j->unrecorded++;
        return;
    }
    if (s_same(&j->rec, d)) {
        j->same++;
        return;
    }
    bool explained =
        !j->run->strict && strcmp(j->rec.rules_version, d->rules_version) != 0;
    if (explained)
        j->explained++;
    else
        j->differ++;
    s_differs(j, &j->rec, d, explained);
}

static void
s_on_receipt(void *arg, size_t doc, double latency_ms)
{
    (void)doc;
    s_job_t *j = arg;
    cq_hist_add_ms(&j->receipt, latency_ms);
    atomic_fetch_add(&j->t->sent, 1);
}

static void
s_on_doc(void *arg, size_t doc, uint32_t n_claims, int status,
         const char *message)
{
    (void)doc;
    (void)n_claims;
    (void)message;
    s_job_t *j = arg;
    if (status < 0)
        j->docs_failed++;
}

//  PREFIX-ORIGINAL; when that is too long, PREFIX-HASH-START (the hash of
//  the whole original keeps two long ids apart).
static void
s_batch_id(char out[CQ_BATCH_ID_LEN], const char *prefix, const char *orig)
{
    size_t lp = strlen(prefix), lo = strlen(orig);
    if (lp + 1 + lo < CQ_BATCH_ID_LEN) {
        memcpy(out, prefix, lp);
        out[lp] = '-';
        memcpy(out + lp + 1, orig, lo + 1);
        return;
    }
    char h[20];
    snprintf(h, sizeof h, "%016llx",
             (unsigned long long)cq_hash64(orig, lo, 0x7265706c));
    size_t at = lp + 1 + 16 + 1;
    memcpy(out, prefix, lp);
    out[lp] = '-';
    memcpy(out + lp + 1, h, 16);
    out[lp + 17] = '-';
    size_t room = CQ_BATCH_ID_LEN - 1 - at;
    memcpy(out + at, orig, room);
    out[at + room] = '\0';
}

static void
s_job_run(s_run_t *run, s_target_t *t, const cq_capbatch_t *b)
{
    s_job_t *j = cq_xcalloc(1, sizeof *j);
    j->run = run;
    j->t = t;
    j->b = b;
    cq_hist_init(&j->receipt);
    cq_hist_init(&j->decision);
    s_batch_id(j->batch_id, run->prefix, b->id);
    cq_sdocs_t docs;
    cq_sdocs_init(&docs);
    j->cap = cq_xcalloc(b->n_docs + 1, sizeof *j->cap);
    double *at = cq_xcalloc(b->n_docs + 1, sizeof *at);
    int32_t *dates = cq_xcalloc(b->n_docs + 1, sizeof *dates);
    for (uint32_t k = 0; k < b->n_docs; k++) {
        uint32_t ci = b->docs[k];
        if (run->send_at[ci] < 0)
            continue;
        const cq_cap_rec_t *r = &run->set->docs[ci].rec;
        j->cap[docs.n] = ci;
        at[docs.n] = run->send_at[ci];
        dates[docs.n] = run->dates[ci];
        cq_sdocs_add_mem(&docs, r->name, r->data, r->len, r->first_record);
    }
    cq_submit_result_t res;
    memset(&res, 0, sizeof res);
    int rc = 0;
    if (docs.n > 0) {
        cq_bclient_t *c = cq_bclient_new(t->ep.ep);
        cq_submit_opts_t o;
        memset(&o, 0, sizeof o);
        o.batch_id = j->batch_id;
        o.wait = true;
        o.window = (uint32_t)(docs.n < UINT32_MAX ? docs.n : UINT32_MAX);
        o.timeout_ms = run->timeout_ms;
        o.send_at = at;
        o.sched_t0 = run->t0;
        o.received_dates = run->today ? NULL : dates;
        o.on_decision = s_on_decision;
        o.on_receipt = s_on_receipt;
        o.on_doc = s_on_doc;
        o.arg = j;
        o.stop = &s_stop;
        rc = cq_submit_run(c, &docs, &o, &res);
        pthread_mutex_lock(&t->mu);
        if (rc == CQ_EUNSUPPORTED && !t->exit_setup) {
            t->exit_setup = 1;
            fprintf(stderr, "%s: %s: %s\n", S_PROG, t->label,
                    cq_bclient_why(c));
        }
        pthread_mutex_unlock(&t->mu);
        cq_bclient_destroy(&c);
    }
    pthread_mutex_lock(&t->mu);
    cq_hist_merge(&t->receipt, &j->receipt);
    cq_hist_merge(&t->decision, &j->decision);
    t->docs += res.docs;
    t->claims += res.claims;
    t->decided += res.decided;
    t->failed += res.failed;
    t->docs_failed += j->docs_failed;
    t->refused_sets += res.refused_sets;
    t->same += j->same;
    t->differ += j->differ;
    t->explained += j->explained;
    t->unrecorded += j->unrecorded;
    if (j->last_answer > t->last_answer)
        t->last_answer = j->last_answer;
    if (res.max_lag_ms > t->max_lag_ms)
        t->max_lag_ms = res.max_lag_ms;
    if (res.last_lag_ms > t->last_lag_ms)
        t->last_lag_ms = res.last_lag_ms;
    if (rc != 0) {
        t->batches_failed++;
        if (rc == CQ_ETIMEDOUT) {
            if (res.reachable)
                t->timeouts++;
            else
                t->unreachable++;
        }
        if (t->worst_rc == 0)
            t->worst_rc = rc;
        fprintf(stderr, "%s: %s: batch %s: %s\n", S_PROG, t->label, j->batch_id,
                rc == CQ_ETIMEDOUT
                    ? (res.reachable ? "no progress within --timeout"
                                     : "broker unreachable")
                    : cq_strerror(rc));
    }
    pthread_mutex_unlock(&t->mu);
    cq_sdocs_free(&docs);
    free(at);
    free(dates);
    free(j->cap);
    free(j);
}

static void *
s_thread(void *arg)
{
    s_run_t *run = arg;
    for (;;) {
        unsigned k = atomic_fetch_add(&run->next_job, 1);
        if (k >= run->n_jobs || s_stop)
            break;
        uint32_t bi = k / (uint32_t)run->n_targets;
        s_job_run(run, &run->targets[k % (unsigned)run->n_targets],
                  &run->set->batches[bi]);
    }
    atomic_fetch_add(&run->threads_done, 1);
    return NULL;
}

//  ---- reporting -------------------------------------------------------------

static json_t *
s_lat_json(const cq_hist_t *h)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}", "n", (json_int_t)h->n,
                     "p50_ms", cq_hist_ms(h, 0.50), "p90_ms",
                     cq_hist_ms(h, 0.90), "p99_ms", cq_hist_ms(h, 0.99),
                     "p999_ms", cq_hist_ms(h, 0.999), "max_ms",
                     cq_hist_ms(h, 1.0));
}

//  How long after the last document was due its last decision came: the
//  cluster's backlog at the end of the schedule.
static double
s_drain_s(const s_target_t *t, double end_at)
{
    return t->last_answer > end_at ? (t->last_answer - end_at) / 1000.0 : 0;
}

static json_t *
s_target_json(const s_target_t *t, double elapsed_s, double offered,
              double end_at)
{
    json_t *o = json_object();
    json_object_set_new(o, "target", json_string(t->label));
    json_object_set_new(o, "broker", json_string(t->ep.ep));
    json_object_set_new(o, "documents", json_integer((json_int_t)t->docs));
    json_object_set_new(o, "claims", json_integer((json_int_t)t->claims));
    json_object_set_new(o, "decided", json_integer((json_int_t)t->decided));
    json_object_set_new(o, "elapsed_s", json_real(elapsed_s));
    json_object_set_new(
        o, "claims_per_s",
        json_real(elapsed_s > 0 ? (double)t->decided / elapsed_s : 0));
    json_object_set_new(o, "offered_docs_per_s", json_real(offered));
    json_object_set_new(o, "behind_max_s", json_real(t->max_lag_ms / 1000.0));
    json_object_set_new(o, "behind_last_s", json_real(t->last_lag_ms / 1000.0));
    json_object_set_new(o, "drain_s", json_real(s_drain_s(t, end_at)));
    json_object_set_new(o, "receipt", s_lat_json(&t->receipt));
    json_object_set_new(o, "decision", s_lat_json(&t->decision));
    json_object_set_new(o, "errors",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
                                  "claims_failed", (json_int_t)t->failed,
                                  "documents_failed",
                                  (json_int_t)t->docs_failed, "refused_sets",
                                  (json_int_t)t->refused_sets, "batches_failed",
                                  (json_int_t)t->batches_failed, "timeouts",
                                  (json_int_t)t->timeouts, "unreachable",
                                  (json_int_t)t->unreachable));
    json_object_set_new(o, "compare",
                        json_pack("{s:I, s:I, s:I, s:I, s:O, s:O}", "same",
                                  (json_int_t)t->same, "differ",
                                  (json_int_t)t->differ, "explained",
                                  (json_int_t)t->explained, "not_recorded",
                                  (json_int_t)t->unrecorded, "changes",
                                  t->changes, "first", t->kept));
    return o;
}

typedef struct {
    const char *key;
    long long n;
} s_change_t;

static int
s_cmp_change(const void *a, const void *b)
{
    const s_change_t *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void
s_target_text(const s_target_t *t, double elapsed_s, double offered,
              double end_at)
{
    printf("%s %s:\n", t->label, t->ep.ep);
    printf("  decided     %llu of %llu claims (%llu documents) in %.1f s: "
           "%.0f claims/s; offered %.1f documents/s\n",
           (unsigned long long)t->decided, (unsigned long long)t->claims,
           (unsigned long long)t->docs, elapsed_s,
           elapsed_s > 0 ? (double)t->decided / elapsed_s : 0, offered);
    if (t->max_lag_ms < 100)
        printf("  schedule    kept (documents went at most %.0f ms late)\n",
               t->max_lag_ms);
    else
        printf("  schedule    fell behind: up to %.1f s late (the last "
               "document %.1f s); the latencies below include it\n",
               t->max_lag_ms / 1000.0, t->last_lag_ms / 1000.0);
    double drain = s_drain_s(t, end_at);
    if (drain >= 1.0)
        printf("  backlog     the cluster fell behind: its last decision came "
               "%.1f s after the last document was due\n",
               drain);
    printf("  latency ms  %8s %8s %8s %8s %8s\n", "p50", "p90", "p99", "p99.9",
           "max");
    const cq_hist_t *h[2] = {&t->receipt, &t->decision};
    const char *nm[2] = {"receipt", "decision"};
    for (int i = 0; i < 2; i++)
        printf("  %-10s  %8.1f %8.1f %8.1f %8.1f %8.1f\n", nm[i],
               cq_hist_ms(h[i], 0.5), cq_hist_ms(h[i], 0.9),
               cq_hist_ms(h[i], 0.99), cq_hist_ms(h[i], 0.999),
               cq_hist_ms(h[i], 1.0));
    if (t->failed || t->docs_failed || t->refused_sets || t->batches_failed)
        printf("  errors      %llu claims failed, %llu documents failed, "
               "%llu X12 sets refused, %llu batches not finished\n",
               (unsigned long long)t->failed,
               (unsigned long long)t->docs_failed,
               (unsigned long long)t->refused_sets,
               (unsigned long long)t->batches_failed);
    else
        printf("  errors      none\n");
    printf("  compare     %llu same as recorded, %llu differ, %llu differ "
           "under other rules, %llu not recorded\n",
           (unsigned long long)t->same, (unsigned long long)t->differ,
           (unsigned long long)t->explained, (unsigned long long)t->unrecorded);
    //  the most frequent changes first
    size_t nk = json_object_size(t->changes), shown = 0;
    s_change_t *ch = cq_xcalloc(nk + 1, sizeof *ch);
    const char *key;
    json_t *v;
    json_object_foreach(t->changes, key, v)
    {
        ch[shown].key = key;
        ch[shown++].n = json_integer_value(v);
    }
    qsort(ch, nk, sizeof *ch, s_cmp_change);
    for (size_t k = 0; k < nk && k < 10; k++)
        printf("    %6lld x  %s\n", ch[k].n, ch[k].key);
    if (nk > 10)
        printf("    (%zu other kinds of change; --diff FILE lists every "
               "claim)\n",
               nk - 10);
    free(ch);
    size_t i;
    json_array_foreach(t->kept, i, v)
    {
        if (i >= 5)
            break;
        printf("    e.g. claim %s (batch %s)\n",
               json_string_value(json_object_get(v, "claim_id")),
               json_string_value(json_object_get(v, "batch_id")));
    }
}

//  ---- the command
//  -------------------------------------------------------------

static bool
s_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool
s_target_init(s_target_t *t, const char *label, const char *arg, bool dir)
{
    memset(t, 0, sizeof *t);
    t->label = label;
    pthread_mutex_init(&t->mu, NULL);
    cq_hist_init(&t->receipt);
    cq_hist_init(&t->decision);
    t->changes = json_object();
    t->kept = json_array();
    cq_diag_t diag = {0};
    char file[4300];
    const char *use = arg;
    char ep[400];
    if (dir) {
        //  a `claimq up --dir` directory: its endpoints file
        snprintf(file, sizeof file, "%s/endpoints", arg);
        FILE *f = fopen(file, "r");
        char line[300];
        ep[0] = '\0';
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "frontend=", 9) == 0) {
                snprintf(ep, sizeof ep, "%s", line + 9);
                ep[strcspn(ep, "\r\n")] = '\0';
            }
        if (f)
            fclose(f);
        if (ep[0] == '\0') {
            fprintf(stderr,
                    "%s: --shadow %s: no running `claimq up` there (%s has "
                    "no frontend=)\n",
                    S_PROG, arg, file);
            return false;
        }
        use = ep;
    }
    if (cq_broker_ep_resolve(use, &t->ep, &diag) != 0) {
        fprintf(stderr, "%s: %s\nTry 'claimq replay --help'.\n", S_PROG,
                diag.msg);
        return false;
    }
    return true;
}

static void
s_target_free(s_target_t *t)
{
    json_decref(t->changes);
    json_decref(t->kept);
    if (t->diff)
        fclose(t->diff);
    pthread_mutex_destroy(&t->mu);
}

int
cq_cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"speed", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"today", no_argument, NULL, 'T'},
        {"batch-prefix", required_argument, NULL, 'p'},
        {"shadow", required_argument, NULL, 'S'},
        {"diff", required_argument, NULL, 'D'},
        {"strict", no_argument, NULL, 'x'},
        {"concurrency", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *broker = NULL, *shadow = NULL, *diff = NULL;
    double speed = 1, rate = 0, duration = 0, v;
    bool json = false, today = false, strict = false;
    char prefix[40];
    snprintf(prefix, sizeof prefix, "r%lx",
             (unsigned long)(time(NULL) & 0xffffff));
    unsigned conc = 64;
    int timeout_s = 120;
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, S_PROG)) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 's':
            if (!s_double(optarg, 0.01, 10000, &speed))
                return cq_opt_bad_value(S_PROG, "--speed", optarg,
                                        "0.01..10000");
            break;
        case 'r':
            if (!s_double(optarg, 0.001, 1e7, &rate))
                return cq_opt_bad_value(S_PROG, "--rate", optarg,
                                        "documents a second, 0.001..10000000");
            break;
        case 'd':
            if (!s_double(optarg, 0.001, 1e7, &duration))
                return cq_opt_bad_value(S_PROG, "--duration", optarg,
                                        "seconds, 0.001..10000000");
            break;
        case 'T':
            today = true;
            break;
        case 'p':
            if (strlen(optarg) > 24 || !cq_proto_batch_id_ok(optarg))
                return cq_opt_bad_value(S_PROG, "--batch-prefix", optarg,
                                        "1..24 of A-Z a-z 0-9 . _ : -");
            snprintf(prefix, sizeof prefix, "%s", optarg);
            break;
        case 'S':
            shadow = optarg;
            break;
        case 'D':
            diff = optarg;
            break;
        case 'x':
            strict = true;
            break;
        case 'c':
            if (!s_double(optarg, 1, S_MAX_CONC, &v) || v != floor(v))
                return cq_opt_bad_value(S_PROG, "--concurrency", optarg,
                                        "1..256");
            conc = (unsigned)v;
            break;
        case 't':
            if (!cq_bclient_timeout_arg(optarg, &timeout_s))
                return cq_opt_bad_value(S_PROG, "--timeout", optarg,
                                        "whole seconds, 1..86400");
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default:
            return CQ_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr,
                "%s: no capture file given\nTry 'claimq replay "
                "--help'.\n",
                S_PROG);
        return CQ_EXIT_USAGE;
    }
    s_target_t targets[2];
    int n_targets = 1;
    if (!s_target_init(&targets[0], "target", cq_bclient_endpoint(broker),
                       false))
        return CQ_EXIT_USAGE;
    if (shadow) {
        bool is_url = strstr(shadow, "://") != NULL;
        if (!s_target_init(&targets[1], "shadow", shadow, !is_url)) {
            s_target_free(&targets[0]);
            return CQ_EXIT_USAGE;
        }
        n_targets = 2;
    }
    int ex = CQ_EXIT_OK;
    cq_capset_t set;
    cq_diag_t diag = {0};
    if (cq_capset_load(&set, argv + optind, argc - optind, stderr, &diag) !=
        0) {
        fprintf(stderr, "%s: %s\n", S_PROG, diag.msg);
        ex = CQ_EXIT_SETUP;
        goto out_set;
    }
    if (diff) {
        targets[n_targets - 1].diff = fopen(diff, "w");
        if (targets[n_targets - 1].diff == NULL) {
            fprintf(stderr, "%s: --diff %s: %s\n", S_PROG, diff,
                    strerror(errno));
            ex = CQ_EXIT_SETUP;
            goto out_set;
        }
    }
    //  the schedule
    s_run_t run;
    memset(&run, 0, sizeof run);
    run.set = &set;
    run.send_at = cq_xcalloc(set.n_docs + 1, sizeof *run.send_at);
    run.dates = cq_xcalloc(set.n_docs + 1, sizeof *run.dates);
    run.prefix = prefix;
    run.today = today;
    run.strict = strict;
    run.timeout_ms = timeout_s * 1000;
    run.targets = targets;
    run.n_targets = n_targets;
    int64_t first = set.n_docs ? set.docs[0].rec.t_ms : 0;
    for (size_t i = 0; i < set.n_docs; i++)
        if (set.docs[i].rec.t_ms < first)
            first = set.docs[i].rec.t_ms;
    size_t n_send = 0;
    double span_ms = 0;
    for (size_t i = 0; i < set.n_docs; i++) {
        const cq_cap_rec_t *r = &set.docs[i].rec;
        double at = rate > 0 ? (double)i * 1000.0 / rate
                             : (double)(r->t_ms - first) / speed;
        if (duration > 0 && at > duration * 1000.0) {
            run.send_at[i] = -1;
            continue;
        }
        run.send_at[i] = at;
        run.dates[i] = r->received_date;
        n_send++;
        if (at > span_ms)
            span_ms = at;
    }
    double offered = span_ms > 0 ? (double)n_send / (span_ms / 1000.0) : 0;
    if (!json)
        fprintf(stderr,
                "%s: %zu documents of %u batches over %.1f s (%s); batches "
                "%s-...\n",
                S_PROG, n_send, set.n_batches, span_ms / 1000.0,
                rate > 0 ? "fixed rate" : "recorded pacing", prefix);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    //  czmq's first use initialises it, which is not safe from several
    //  threads at once: done here, before them
    zsys_handler_set(NULL);
    zsys_set_logstream(stderr);
    zsys_init();
    run.n_jobs = set.n_batches * (uint32_t)n_targets;
    unsigned n_threads = run.n_jobs < conc * (unsigned)n_targets
                             ? run.n_jobs
                             : conc * (unsigned)n_targets;
    pthread_t *th = cq_xcalloc(n_threads + 1, sizeof *th);
    run.t0 = cq_submit_clock() + 50; // (threads ready before the first)
    unsigned started = 0;
    for (unsigned i = 0; i < n_threads; i++)
        if (pthread_create(&th[i], NULL, s_thread, &run) == 0)
            started++;
    bool tty = isatty(2) && !json;
    while (tty) {
        //  a progress line while the threads work
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
        unsigned long sent = 0, ans = 0;
        for (int k = 0; k < n_targets; k++) {
            sent += atomic_load(&targets[k].sent);
            ans += atomic_load(&targets[k].answers);
        }
        double el = (cq_submit_clock() - run.t0) / 1000.0;
        fprintf(stderr,
                "\r\033[Kreplay %5.1f s: %lu documents received, "
                "%lu decisions",
                el < 0 ? 0 : el, sent, ans);
        if (atomic_load(&run.threads_done) >= started)
            break;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    if (tty)
        fprintf(stderr, "\r\033[K");
    double elapsed = (cq_submit_clock() - run.t0) / 1000.0;
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "documents", json_integer((json_int_t)n_send));
        json_object_set_new(o, "batches", json_integer(set.n_batches));
        json_object_set_new(o, "span_s", json_real(span_ms / 1000.0));
        json_object_set_new(o, "speed",
                            rate > 0 ? json_null() : json_real(speed));
        json_object_set_new(o, "rate",
                            rate > 0 ? json_real(rate) : json_null());
        json_object_set_new(o, "batch_prefix", json_string(prefix));
        json_object_set_new(o, "recorded_decisions",
                            json_integer((json_int_t)set.decisions));
        json_object_set_new(o, "capture_damaged",
                            json_integer((json_int_t)set.corrupt));
        json_object_set_new(o, "capture_truncated",
                            json_integer(set.truncated));
        json_t *a = json_array();
        for (int k = 0; k < n_targets; k++)
            json_array_append_new(a, s_target_json(&targets[k], elapsed,
                                                   offered, run.t0 + span_ms));
        json_object_set_new(o, "targets", a);
        json_dumpf(o, stdout, JSON_COMPACT);
        printf("\n");
        json_decref(o);
    } else {
        for (int k = 0; k < n_targets; k++)
            s_target_text(&targets[k], elapsed, offered, run.t0 + span_ms);
        if (set.corrupt)
            printf("note: %llu damaged records of the capture were skipped; "
                   "claims after a lost document may decide otherwise than "
                   "recorded (their members' accumulators differ)\n",
                   (unsigned long long)set.corrupt);
    }
    for (int k = 0; k < n_targets && ex == CQ_EXIT_OK; k++) {
        const s_target_t *t = &targets[k];
        if (t->exit_setup)
            ex = CQ_EXIT_SETUP;
        else if (t->unreachable || t->timeouts)
            ex = CQ_EXIT_TIMEOUT;
        else if (t->differ || t->failed || t->docs_failed || t->batches_failed)
            ex = CQ_EXIT_FAIL;
    }
    if (s_stop)
        ex = CQ_EXIT_INTERRUPTED;
    free(run.send_at);
    free(run.dates);
out_set:
    cq_capset_free(&set);
    for (int k = 0; k < n_targets; k++)
        s_target_free(&targets[k]);
    return ex;
}
