//  test_submit.c: the submit loop (client/submit.h) against a scripted
//  broker in this process (a ROUTER on 127.0.0.1): a broker that restarts
//  (its epoch changes) or falls silent, a journal that is full, pushes
//  that are lost. cq_submit_run runs in a thread; the test plays the
//  broker. Each claim must be counted once, documents must go again only
//  when they may have been lost, and reading back must resume from the
//  cursor rather than from the batch's first entry.
#include "submit.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_DOCS 4   // documents a test may use
#define S_CLAIMS 2 // claims per document

//  ---- the client, in a thread ----------------------------------------------

typedef struct {
    cq_bclient_t *c;
    cq_sdocs_t docs;
    cq_submit_opts_t o;
    cq_submit_result_t res;
    int rc;
    int counts[S_DOCS][S_CLAIMS]; // decisions (or failures) per claim
    pthread_t th;
    atomic_bool done;
} s_job_t;

static void
s_on_decision(void *arg, size_t doc, uint32_t index, const cq_decision_t *d,
              double latency_ms)
{
    (void)d;
    (void)latency_ms;
    s_job_t *j = arg;
    if (doc < S_DOCS && index < S_CLAIMS)
        j->counts[doc][index]++;
}

static void *
s_job_main(void *arg)
{
    s_job_t *j = arg;
    j->rc = cq_submit_run(j->c, &j->docs, &j->o, &j->res);
    atomic_store(&j->done, true);
    return NULL;
}

//  Documents "a", "b", ... of about 100 bytes (the broker here never reads
//  them; a claim index must be below a document's size).
static const char s_text[] = "{\"claim_id\": \"X\"}\n{\"claim_id\": \"Y\"}\n"
                             "                                          "
                             "                  \n";

static bool s_resume; // (issue 9) jobs started ask HAVE first

static void
s_job_start(s_job_t *j, const char *ep, int n_docs, bool wait, int window)
{
    memset(j, 0, sizeof *j);
    static const char *names[S_DOCS] = {"a", "b", "c", "d"};
    cq_sdocs_init(&j->docs);
    for (int i = 0; i < n_docs; i++)
        cq_sdocs_add_mem(&j->docs, names[i], (const uint8_t *)s_text,
                         sizeof s_text - 1, 1);
    j->c = cq_bclient_new(ep);
    cr_assert_not_null(j->c);
    j->o.batch_id = "t-batch";
    j->o.wait = wait;
    j->o.window = (uint32_t)window;
    j->o.timeout_ms = 20000;
    j->o.on_decision = s_on_decision;
    j->o.arg = j;
    j->o.resume = s_resume;
    cr_assert_eq(pthread_create(&j->th, NULL, s_job_main, j), 0);
}

static void
s_job_join(s_job_t *j)
{
    pthread_join(j->th, NULL);
    cq_bclient_destroy(&j->c);
    cq_sdocs_free(&j->docs);
}

//  Every claim of the first n documents counted exactly once.
static void
s_assert_once(const s_job_t *j, int n_docs)
{
    for (int i = 0; i < n_docs; i++)
        for (int k = 0; k < S_CLAIMS; k++)
            cr_assert_eq(j->counts[i][k], 1, "document %d claim %d: %d", i, k,
                         j->counts[i][k]);
}

//  ---- the broker, scripted -----------------------------------------------

typedef struct {
    char name[8];
    uint64_t id;
    bool received;
    bool done;              // through intake (DOC_DONE sent)
    bool decided[S_CLAIMS]; // decisions made
    int submits;            // SUBMITs that carried it
} s_bdoc_t;

typedef struct {
    zsock_t *sock;
    void *raw;
    char ep[256];
    uint8_t rid[256];
    size_t rid_len;
    cq_wire_msg_t in;
    cq_mpw_t w;
    uint64_t epoch;
    bool durable;
    s_bdoc_t docs[S_DOCS]; // in the order received (= entry order)
    int n_docs;
    cq_decision_t d;
    //  what it was asked
    int results;          // RESULTS received
    uint64_t cursor[16];  // their cursors
    bool watch[16];       // their watch flags
    double submit_at[16]; // when SUBMITs came (ms)
    int n_submits;
    int seals; // SEALs received
} s_broker_t;

static double
s_ms(void)
{
    return (double)zclock_usecs() / 1000.0;
}

static void
s_broker_bind(s_broker_t *b, const char *ep, uint64_t epoch)
{
    b->sock = zsock_new(ZMQ_ROUTER);
    cr_assert_not_null(b->sock);
    zsock_set_linger(b->sock, 0);
    b->raw = zsock_resolve(b->sock);
    //  The kernel's pick of a port (zmq_bind; czmq's zsock_bind would take
    //  the lowest free one from 49152, which another program binding
    //  meanwhile takes as soon as a killed broker frees it). Bound again
    //  after a kill: libzmq's I/O thread frees the port a little after.
    const char *at = ep ? ep : "tcp://127.0.0.1:*";
    int rc = -1;
    for (int i = 0; i < 100 && rc != 0; i++)
        if ((rc = zmq_bind(b->raw, at)) != 0)
            usleep(20000);
    cr_assert_eq(rc, 0, "bind %s: %s", at, zmq_strerror(zmq_errno()));
    size_t len = sizeof b->ep;
    cr_assert_eq(zmq_getsockopt(b->raw, ZMQ_LAST_ENDPOINT, b->ep, &len), 0);
    b->epoch = epoch;
    b->durable = true;
    cq_wire_msg_init(&b->in);
    cq_mpw_init(&b->w);
    memset(&b->d, 0, sizeof b->d);
    strcpy(b->d.claim_id, "C1");
    strcpy(b->d.payer_id, "ACME");
    strcpy(b->d.billing_npi, "1234567893");
    strcpy(b->d.batch_id, "t-batch");
    strcpy(b->d.rules_version, "sha256:fake");
    b->d.ocr_confidence = -1;
}

//  A broker killed: its socket goes, its journal (docs) stays.
static void
s_broker_kill(s_broker_t *b)
{
    cq_wire_msg_close(&b->in);
    cq_mpw_free(&b->w);
    zsock_destroy(&b->sock);
}

//  The next message within timeout_ms: its command, or -1.
static int
s_broker_recv(s_broker_t *b, int timeout_ms)
{
    zmq_pollitem_t it = {b->raw, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) != 1)
        return -1;
    cq_wire_msg_close(&b->in);
    cr_assert_eq(cq_wire_recv(b->raw, true, &b->in, 0), 0);
    cr_assert_eq(cq_wire_parse(&b->in, CQ_PROTO_MAX_FRAME, NULL), 0);
    b->rid_len = zmq_msg_size(&b->in.parts[0]);
    memcpy(b->rid, zmq_msg_data(&b->in.parts[0]), b->rid_len);
    return b->in.cmd;
}

static void
s_broker_send(s_broker_t *b, cq_cmd_t cmd)
{
    cr_assert_eq(cq_wire_send(b->raw, b->rid, b->rid_len, cmd, b->w.data,
                              b->w.len, NULL, 0, 0),
                 0);
}

static s_bdoc_t *
s_broker_doc(s_broker_t *b, const char *name)
{
    for (int i = 0; i < b->n_docs; i++)
        if (strcmp(b->docs[i].name, name) == 0)
            return &b->docs[i];
    cr_assert_lt(b->n_docs, S_DOCS);
    s_bdoc_t *d = &b->docs[b->n_docs];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->id = 100 + (uint64_t)b->n_docs++;
    return d;
}

//  DOC_DONE of d, then DECISIONS for its claims [from, to).
static void
s_broker_push(s_broker_t *b, s_bdoc_t *d, uint32_t from, uint32_t to)
{
    if (!d->done) {
        cq_msg_doc_done_t m;
        memset(&m, 0, sizeof m);
        strcpy(m.batch_id, "t-batch");
        m.doc_id = d->id;
        m.n_claims = S_CLAIMS;
        cq_proto_doc_done_encode(&b->w, &m);
        s_broker_send(b, CQ_CMD_DOC_DONE);
        d->done = true;
    }
    cq_mpw_t dw;
    cq_mpw_init(&dw);
    cq_proto_decision_encode(&dw, &b->d);
    size_t at = cq_proto_decisions_begin(&b->w, "t-batch");
    for (uint32_t k = from; k < to; k++) {
        cq_proto_decisions_add(&b->w, d->id, k, dw.data, dw.len);
        d->decided[k] = true;
    }
    cq_proto_decisions_end(&b->w, at, to - from);
    s_broker_send(b, CQ_CMD_DECISIONS);
    cq_mpw_free(&dw);
}

//  Answers the SUBMIT just received: status 0 (the documents received,
//  the same ids for documents it has) or a refusal. Returns its documents
//  (at most S_DOCS) in out.
static int
s_broker_receipt(s_broker_t *b, int status, s_bdoc_t **out)
{
    cr_assert_eq(b->in.cmd, CQ_CMD_SUBMIT);
    cq_msg_submit_t *m = calloc(1, sizeof *m);
    cr_assert_eq(cq_proto_submit_decode(b->in.body, b->in.body_len, m, NULL),
                 0);
    cr_assert_str_eq(m->batch_id, "t-batch");
    cr_assert_leq(m->n_docs, S_DOCS);
    if (b->n_submits < 16)
        b->submit_at[b->n_submits] = s_ms();
    b->n_submits++;
    cq_msg_receipt_t *r = calloc(1, sizeof *r);
    r->req_id = m->req_id;
    strcpy(r->batch_id, "t-batch");
    r->status = status;
    r->durable = b->durable;
    if (status != 0) {
        snprintf(r->message, sizeof r->message,
                 "journal full: no space; nothing was received, send again "
                 "later");
    } else {
        r->n_docs = m->n_docs;
        for (uint32_t i = 0; i < m->n_docs; i++) {
            s_bdoc_t *d = s_broker_doc(b, m->docs[i].name);
            d->received = true;
            d->submits++;
            r->doc_ids[i] = d->id;
            out[i] = d;
        }
    }
    cq_proto_receipt_encode(&b->w, r);
    s_broker_send(b, CQ_CMD_RECEIPT);
    int n = status == 0 ? (int)m->n_docs : 0;
    free(r);
    free(m);
    return n;
}

static void
s_broker_status(s_broker_t *b)
{
    cq_msg_status_t q;
    cr_assert_eq(cq_proto_status_decode(b->in.body, b->in.body_len, &q, NULL),
                 0);
    cq_msg_status_reply_t m;
    memset(&m, 0, sizeof m);
    m.req_id = q.req_id;
    strcpy(m.batch_id, q.batch_id);
    m.durable = b->durable;
    m.epoch = b->epoch;
    for (int i = 0; i < b->n_docs; i++) {
        const s_bdoc_t *d = &b->docs[i];
        m.found = true;
        m.docs++;
        m.docs_done += d->done;
        m.claims += d->done ? S_CLAIMS : 0;
        for (int k = 0; k < S_CLAIMS; k++)
            m.decided += d->decided[k];
    }
    m.accept = m.decided;
    cq_proto_status_reply_encode(&b->w, &m);
    s_broker_send(b, CQ_CMD_STATUS_REPLY);
}

//  Answers RESULTS from the documents' state (entries: documents in the
//  order received, then claims), recording cursor and watch.
static void
s_broker_results(s_broker_t *b)
{
    cq_msg_results_t q;
    cr_assert_eq(cq_proto_results_decode(b->in.body, b->in.body_len, &q, NULL),
                 0);
    if (b->results < 16) {
        b->cursor[b->results] = q.cursor;
        b->watch[b->results] = q.watch;
    }
    b->results++;
    cq_mpw_t dw;
    cq_mpw_init(&dw);
    cq_proto_decision_encode(&dw, &b->d);
    cq_msg_results_reply_t m;
    memset(&m, 0, sizeof m);
    m.req_id = q.req_id;
    strcpy(m.batch_id, q.batch_id);
    m.complete = true;
    for (int i = 0; i < b->n_docs; i++) {
        if (!b->docs[i].done) {
            m.complete = false;
            continue;
        }
        m.total += S_CLAIMS;
        for (int k = 0; k < S_CLAIMS; k++)
            m.complete = m.complete && b->docs[i].decided[k];
    }
    m.next_cursor = m.total;
    size_t at = cq_proto_results_reply_begin(&b->w, &m);
    uint64_t pos = 0;
    uint32_t n = 0;
    for (int i = 0; i < b->n_docs; i++)
        for (uint32_t k = 0; b->docs[i].done && k < S_CLAIMS; k++, pos++)
            if (pos >= q.cursor) {
                bool has = b->docs[i].decided[k];
                cq_proto_results_reply_add(&b->w, b->docs[i].id, k,
                                           has ? dw.data : NULL, dw.len, NULL,
                                           0);
                n++;
            }
    cq_proto_results_reply_end(&b->w, at, n);
    s_broker_send(b, CQ_CMD_RESULTS_REPLY);
    cq_mpw_free(&dw);
}

//  Answers SEAL (the client sent its last document): sealed.
static void
s_broker_seal(s_broker_t *b)
{
    cq_msg_seal_t q;
    cr_assert_eq(cq_proto_seal_decode(b->in.body, b->in.body_len, &q, NULL), 0);
    cr_assert_str_eq(q.batch_id, "t-batch");
    b->seals++;
    cq_msg_seal_reply_t m;
    memset(&m, 0, sizeof m);
    m.req_id = q.req_id;
    strcpy(m.batch_id, q.batch_id);
    if (b->n_docs == 0)
        m.status = CQ_ENOTFOUND; // (a broker that lost everything)
    else
        cr_assert_eq(q.docs, (uint64_t)b->n_docs);
    m.docs = (uint64_t)b->n_docs;
    cq_proto_seal_reply_encode(&b->w, &m);
    s_broker_send(b, CQ_CMD_SEAL_REPLY);
}

//  Waits for a message of type cmd (answering STATUS and RESULTS meanwhile
//  from the documents' state); fails the test after timeout_ms.
static void
s_broker_expect(s_broker_t *b, int cmd, int timeout_ms)
{
    double deadline = s_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - s_ms());
        cr_assert_gt(left, 0, "no %s", cq_cmd_name(cmd));
        int got = s_broker_recv(b, left);
        if (got == cmd)
            return;
        if (got == CQ_CMD_STATUS)
            s_broker_status(b);
        else if (got == CQ_CMD_RESULTS)
            s_broker_results(b);
        else if (got == CQ_CMD_SEAL)
            s_broker_seal(b);
        else
            cr_assert_eq(got, -1, "unexpected %s", cq_cmd_name(got));
    }
}

//  Serves the client until it is done: SUBMITs are received and every
//  document is decided at once; STATUS and RESULTS are answered.
static void
s_broker_serve(s_broker_t *b, s_job_t *j)
{
    double deadline = s_ms() + 25000;
    while (!atomic_load(&j->done)) {
        cr_assert_lt(s_ms(), deadline, "the client did not finish");
        int got = s_broker_recv(b, 50);
        if (got == CQ_CMD_SUBMIT) {
            s_bdoc_t *docs[S_DOCS];
            int n = s_broker_receipt(b, 0, docs);
            for (int i = 0; i < n; i++)
                s_broker_push(b, docs[i], 0, S_CLAIMS);
        } else if (got == CQ_CMD_STATUS) {
            s_broker_status(b);
        } else if (got == CQ_CMD_RESULTS) {
            s_broker_results(b);
        } else if (got == CQ_CMD_SEAL) {
            s_broker_seal(b);
        }
    }
}

//  ---- tests ---------------------------------------------------------------

//  A broker at epoch, a client sending n_docs documents (window, wait),
//  its first SUBMIT received (not answered).
static void
s_open(s_broker_t *b, s_job_t *j, uint64_t epoch, int n_docs, int window,
       bool wait)
{
    memset(b, 0, sizeof *b);
    s_broker_bind(b, NULL, epoch);
    s_job_start(j, b->ep, n_docs, wait, window);
    s_broker_expect(b, CQ_CMD_SUBMIT, 8000);
}

//  s_open with wait, then the first SUBMIT receipted (its documents in
//  docs) and the first STATUS (the client learns the epoch) answered.
static void
s_begin(s_broker_t *b, s_job_t *j, uint64_t epoch, int n_docs, int window,
        s_bdoc_t **docs)
{
    s_open(b, j, epoch, n_docs, window, true);
    cr_assert_eq(s_broker_receipt(b, 0, docs),
                 n_docs < window ? n_docs : window);
    s_broker_expect(b, CQ_CMD_STATUS, 5000);
    s_broker_status(b);
}

//  The broker killed and started again on its endpoint at epoch (forget:
//  without its journal).
static void
s_restart(s_broker_t *b, uint64_t epoch, bool forget)
{
    char ep[256];
    snprintf(ep, sizeof ep, "%s", b->ep);
    bool durable = b->durable;
    s_broker_kill(b);
    if (forget)
        memset(b, 0, sizeof *b);
    b->results = 0;
    s_broker_bind(b, ep, epoch);
    b->durable = durable;
}

//  The broker dies after receipting a and b and deciding a and half of b,
//  with c sent and never receipted; it comes back with a new epoch on the
//  same endpoint. c goes again, b is sent again for its DOC_DONE, the batch
//  is read back from its first entry asking for pushes (watch), and every
//  claim is counted once although b's first decision comes three times.
Test(submit, rides_through_a_broker_restart, .timeout = 40)
{
    static s_broker_t b;
    static s_job_t j;
    s_bdoc_t *docs[S_DOCS];
    s_begin(&b, &j, 1, 3, 2, docs);
    s_broker_push(&b, docs[0], 0, S_CLAIMS); // a complete: the window moves
    s_broker_expect(&b, CQ_CMD_SUBMIT, 5000);
    cq_msg_submit_t *m = calloc(1, sizeof *m);
    cr_assert_eq(cq_proto_submit_decode(b.in.body, b.in.body_len, m, NULL), 0);
    cr_assert_eq(m->n_docs, 1);
    cr_assert_str_eq(m->docs[0].name, "c");
    free(m);
    //  (c is lost with the broker: never receipted, nor journaled)
    s_broker_doc(&b, "b")->decided[0] = true;
    s_restart(&b, 2, false);
    s_broker_serve(&b, &j);
    s_job_join(&j);
    cr_assert_eq(j.rc, 0, "%s", cq_strerror(j.rc));
    s_assert_once(&j, 3);
    cr_assert_eq(j.res.decided, 6);
    cr_assert_eq(j.res.docs, 3);
    cr_assert_eq(j.res.restarts, 1);
    cr_assert_eq(s_broker_doc(&b, "c")->submits, 1);
    cr_assert_eq(s_broker_doc(&b, "b")->submits, 2, "b replayed once");
    cr_assert_geq(b.results, 1, "read back");
    cr_assert_eq(b.cursor[0], 0);
    cr_assert(b.watch[0], "pushes asked for again");
    s_broker_kill(&b);
}

//  Pushes are lost without a restart: the silence is answered with STATUS;
//  the broker has decided more than arrived, so the batch is read back, and
//  the second read-back starts where every entry below is answered.
Test(submit, reads_back_from_the_cursor_after_a_silence, .timeout = 40)
{
    static s_broker_t b;
    static s_job_t j;
    s_bdoc_t *docs[S_DOCS];
    s_begin(&b, &j, 7, 2, 4, docs);
    //  a's decisions arrive; b is decided but only its DOC_DONE arrives
    s_broker_push(&b, docs[0], 0, S_CLAIMS);
    s_broker_push(&b, docs[1], 0, 0);
    docs[1]->decided[1] = true;
    //  silence: STATUS, then RESULTS from 0 (nothing settled yet)
    s_broker_expect(&b, CQ_CMD_RESULTS, 8000);
    cr_assert_eq(b.in.cmd, CQ_CMD_RESULTS);
    s_broker_results(&b);
    cr_assert_eq(b.cursor[0], 0);
    cr_assert(b.watch[0]);
    //  b's claim 0 is decided later, its push lost too: the next read-back
    //  starts at entry 2 (a's two claims are answered)
    docs[1]->decided[0] = true;
    s_broker_expect(&b, CQ_CMD_RESULTS, 8000);
    s_broker_results(&b);
    cr_assert_eq(b.cursor[1], 2, "read back from %llu",
                 (unsigned long long)b.cursor[1]);
    cr_assert(b.watch[1]);
    s_broker_serve(&b, &j);
    s_job_join(&j);
    cr_assert_eq(j.rc, 0, "%s", cq_strerror(j.rc));
    s_assert_once(&j, 2);
    cr_assert_eq(j.res.restarts, 0);
    cr_assert_eq(docs[0]->submits + docs[1]->submits, 2, "nothing sent again");
    s_broker_kill(&b);
}

//  Redirects stderr into a file for a while (the one line a refusal
//  prints).
typedef struct {
    int saved;
    char path[64];
} s_stderr_t;

static void
s_stderr_catch(s_stderr_t *s)
{
    snprintf(s->path, sizeof s->path, "/tmp/test_submit.%d.err", (int)getpid());
    fflush(stderr);
    s->saved = dup(2);
    FILE *f = freopen(s->path, "w", stderr);
    cr_assert_not_null(f);
}

static char *
s_stderr_release(s_stderr_t *s)
{
    fflush(stderr);
    dup2(s->saved, 2);
    close(s->saved);
    FILE *f = fopen(s->path, "r");
    char *text = calloc(1, 4096);
    if (f) {
        size_t n = fread(text, 1, 4095, f);
        text[n] = '\0';
        fclose(f);
    }
    unlink(s->path);
    return text;
}

//  The journal is full: the documents are held, sent again after 1 s, then
//  2 s; one line says so; then they are received.
Test(submit, journal_full_holds_documents_and_sends_them_again, .timeout = 30)
{
    s_stderr_t err;
    s_stderr_catch(&err);
    static s_broker_t b;
    static s_job_t j;
    s_open(&b, &j, 1, 2, 4, false);
    s_bdoc_t *docs[S_DOCS];
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(s_broker_receipt(&b, CQ_ENOSPC, docs), 0);
        s_broker_expect(&b, CQ_CMD_SUBMIT, 8000);
    }
    cr_assert_eq(s_broker_receipt(&b, 0, docs), 2);
    s_broker_serve(&b, &j);
    s_job_join(&j);
    char *text = s_stderr_release(&err);
    cr_assert_eq(j.rc, 0, "%s", cq_strerror(j.rc));
    cr_assert_eq(j.res.docs, 2);
    cr_assert_eq(j.res.holding, 0);
    cr_assert_eq(j.res.resent, 4);
    double gap1 = b.submit_at[1] - b.submit_at[0];
    double gap2 = b.submit_at[2] - b.submit_at[1];
    cr_assert(gap1 >= 950 && gap1 < 1900, "first wait %.0f ms", gap1);
    cr_assert(gap2 >= 1950 && gap2 < 3500, "second wait %.0f ms", gap2);
    const char *line = "broker: journal full — documents are being held and "
                       "sent again";
    const char *at = strstr(text, line);
    cr_assert_not_null(at, "%s", text);
    cr_assert_null(strstr(at + 1, line), "said once: %s", text);
    free(text);
    s_broker_kill(&b);
}

//  A refusal that sending again cannot cure stays fatal.
Test(submit, other_refusals_are_fatal, .timeout = 30)
{
    s_stderr_t err;
    s_stderr_catch(&err);
    static s_broker_t b;
    static s_job_t j;
    s_open(&b, &j, 1, 1, 4, false);
    s_bdoc_t *docs[S_DOCS];
    s_broker_receipt(&b, CQ_ETOOBIG, docs);
    s_job_join(&j);
    free(s_stderr_release(&err));
    cr_assert_eq(j.rc, CQ_EPROTO);
    cr_assert_eq(b.n_submits, 1);
    s_broker_kill(&b);
}

//  A broker without a journal restarted: what it had received is gone,
//  and submit says so rather than waiting for decisions that will not come.
Test(submit, a_restart_without_a_journal_is_a_lost_batch, .timeout = 30)
{
    s_stderr_t err;
    s_stderr_catch(&err);
    static s_broker_t b;
    static s_job_t j;
    s_bdoc_t *docs[S_DOCS];
    s_begin(&b, &j, 1, 1, 4, docs);
    b.durable = false; // (what the restarted broker says in STATUS)
    s_restart(&b, 2, true);
    s_broker_serve(&b, &j);
    s_job_join(&j);
    char *text = s_stderr_release(&err);
    cr_assert_eq(j.rc, CQ_ENOTFOUND, "%s", cq_strerror(j.rc));
    cr_assert_not_null(strstr(text, "without a journal"), "%s", text);
    free(text);
    s_broker_kill(&b);
}

//  ---- issue 9: a resumed run sends only what the broker lacks --------------

//  The broker holds a and b: asked with HAVE (their digests), it answers
//  with their ids and replays their decisions; only c and d are sent, and
//  every claim is counted once.
Test(submit, resume_sends_only_what_the_broker_lacks, .timeout = 30)
{
    static s_broker_t b;
    static s_job_t j;
    memset(&b, 0, sizeof b);
    s_broker_bind(&b, NULL, 1);
    s_bdoc_t *held[2] = {s_broker_doc(&b, "a"), s_broker_doc(&b, "b")};
    held[0]->received = held[1]->received = true;
    s_resume = true;
    s_job_start(&j, b.ep, 4, true, 4);
    cr_assert_eq(s_broker_recv(&b, 5000), CQ_CMD_HAVE);
    cq_msg_have_t q;
    cr_assert_eq(cq_proto_have_decode(b.in.body, b.in.body_len, &q, NULL), 0);
    cr_assert_str_eq(q.batch_id, "t-batch");
    cr_assert_eq(q.n, 4);
    uint64_t ids[4];
    const char *names[4] = {"a", "b", "c", "d"};
    for (uint32_t i = 0; i < 4; i++) {
        uint8_t dg[CQ_DIGEST_LEN];
        cq_proto_doc_digest("t-batch", names[i], 1, (const uint8_t *)s_text,
                            sizeof s_text - 1, dg);
        cr_assert(memcmp(dg, q.digests[i], sizeof dg) == 0, "digest %u", i);
        ids[i] = i < 2 ? held[i]->id : CQ_HAVE_NONE;
    }
    cq_msg_have_reply_t r = {.req_id = q.req_id, .n = 4, .doc_ids = ids};
    strcpy(r.batch_id, "t-batch");
    cq_proto_have_free(&q);
    cq_proto_have_reply_encode(&b.w, &r);
    s_broker_send(&b, CQ_CMD_HAVE_REPLY);
    //  what a broker replays to the watcher of the documents it holds
    s_broker_push(&b, held[0], 0, S_CLAIMS);
    s_broker_push(&b, held[1], 0, S_CLAIMS);
    s_broker_expect(&b, CQ_CMD_SUBMIT, 8000);
    s_bdoc_t *docs[S_DOCS];
    cr_assert_eq(s_broker_receipt(&b, 0, docs), 2);
    cr_assert_str_eq(docs[0]->name, "c");
    cr_assert_str_eq(docs[1]->name, "d");
    for (int i = 0; i < 2; i++)
        s_broker_push(&b, docs[i], 0, S_CLAIMS);
    s_broker_serve(&b, &j);
    s_job_join(&j);
    cr_assert_eq(j.rc, 0, "%s", cq_strerror(j.rc));
    cr_assert_eq(j.res.docs, 4);
    cr_assert_eq(j.res.held, 2);
    cr_assert_eq(j.res.resent, 0);
    cr_assert_eq(held[0]->submits + held[1]->submits, 0, "held ones sent");
    cr_assert_eq(b.n_submits, 1);
    cr_assert_geq(b.seals, 1);
    s_assert_once(&j, 4);
    s_broker_kill(&b);
}

//  A broker that predates HAVE drops it: after a moment every document
//  is sent, as before.
Test(submit, resume_with_an_older_broker_sends_everything, .timeout = 30)
{
    s_stderr_t err;
    s_stderr_catch(&err); // ("no workers": its STATUS_REPLY says none)
    static s_broker_t b;
    static s_job_t j;
    memset(&b, 0, sizeof b);
    s_broker_bind(&b, NULL, 1);
    s_resume = true;
    double t0 = s_ms();
    s_job_start(&j, b.ep, 2, true, 4);
    cr_assert_eq(s_broker_recv(&b, 5000), CQ_CMD_HAVE); // (dropped)
    s_broker_expect(&b, CQ_CMD_SUBMIT, 10000);
    double waited = s_ms() - t0;
    cr_assert(waited >= 2900 && waited < 8000, "waited %.0f ms", waited);
    s_bdoc_t *docs[S_DOCS];
    cr_assert_eq(s_broker_receipt(&b, 0, docs), 2);
    for (int i = 0; i < 2; i++)
        s_broker_push(&b, docs[i], 0, S_CLAIMS);
    s_broker_serve(&b, &j);
    s_job_join(&j);
    cr_assert_eq(j.rc, 0, "%s", cq_strerror(j.rc));
    cr_assert_eq(j.res.docs, 2);
    cr_assert_eq(j.res.held, 0);
    s_assert_once(&j, 2);
    free(s_stderr_release(&err));
    s_broker_kill(&b);
}
