//  The broker against peers that speak the protocol from this test: fake
//  workers (a DEALER on the backend, driven step by step) and a raw client
//  (no retries, no read-back), to reach states the real programs reach
//  only by chance: a shard owner that vanished just before work is sent
//  to it, a replaced session, a document that fails part way, a client
//  that waits in silence for its decisions.
#include "broker.h"
#include "cq_proc.h"
#include "proto.h"
#include "shard.h"
#include "wire.h"

#include "bclient.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_RULES "sha256:it-peers"

//  ---- a broker in a thread of this process ----------------------------------

typedef struct {
    cq_broker_t *b;
    pthread_t thread;
    volatile sig_atomic_t stop;
} s_broker_t;

static void *
s_broker_main(void *arg)
{
    s_broker_t *x = arg;
    cq_broker_run(x->b, &x->stop);
    return NULL;
}

static void
s_broker_start(s_broker_t *x, uint32_t shards)
{
    zsys_handler_set(NULL);
    cq_broker_config_t cfg;
    cq_broker_config_default(&cfg);
    cfg.frontend = "tcp://127.0.0.1:*";
    cfg.backend = "tcp://127.0.0.1:*";
    cfg.shards = shards;
    //  Heartbeats to workers rarely: a worker that vanished is found out by
    //  the next message sent to it, not by a heartbeat first.
    cfg.heartbeat_ms = 20000;
    cq_diag_t diag = {0};
    x->stop = 0;
    x->b = cq_broker_new(&cfg, &diag);
    cr_assert_not_null(x->b, "%s", diag.msg);
    cr_assert_eq(pthread_create(&x->thread, NULL, s_broker_main, x), 0);
}

static void
s_broker_stop(s_broker_t *x)
{
    x->stop = 1;
    //  wake its poll (a frame it drops) rather than wait for its timer
    zsock_t *poke = zsock_new(ZMQ_DEALER);
    zsock_set_linger(poke, 1000);
    zsock_connect(poke, "%s", cq_broker_frontend(x->b));
    zstr_send(poke, "wake up");
    pthread_join(x->thread, NULL);
    zsock_destroy(&poke);
    cq_broker_destroy(&x->b);
}

//  ---- a fake worker
//  -----------------------------------------------------------

typedef struct {
    zsock_t *sock;
    void *raw;
    cq_wire_msg_t in;
    cq_mpw_t w;
} s_peer_t;

static void
s_peer_open(s_peer_t *p, const char *ep)
{
    memset(p, 0, sizeof *p);
    p->sock = zsock_new(ZMQ_DEALER);
    cr_assert_not_null(p->sock);
    zsock_set_linger(p->sock, 0);
    cr_assert_eq(zsock_connect(p->sock, "%s", ep), 0);
    p->raw = zsock_resolve(p->sock);
    cq_wire_msg_init(&p->in);
    cq_mpw_init(&p->w);
}

static void
s_peer_close(s_peer_t *p)
{
    cq_wire_msg_close(&p->in);
    cq_mpw_free(&p->w);
    zsock_destroy(&p->sock);
}

static void
s_peer_send(s_peer_t *p, cq_cmd_t cmd)
{
    cr_assert_eq(
        cq_wire_send(p->raw, NULL, 0, cmd, p->w.data, p->w.len, NULL, 0, 0), 0);
}

//  The next message of command cmd (others are skipped) within timeout_ms:
//  true with p->in parsed.
static bool
s_peer_wait(s_peer_t *p, int cmd, int timeout_ms)
{
    int64_t deadline = cq_wire_now_ms() + timeout_ms;
    zmq_pollitem_t it = {p->raw, 0, ZMQ_POLLIN, 0};
    for (;;) {
        if (cq_wire_recv(p->raw, false, &p->in, ZMQ_DONTWAIT) == 0) {
            cr_assert_eq(cq_wire_parse(&p->in, CQ_PROTO_MAX_FRAME, NULL), 0);
            if (p->in.cmd == cmd)
                return true;
            continue;
        }
        int64_t left = deadline - cq_wire_now_ms();
        if (left <= 0)
            return false;
        zmq_poll(&it, 1, (long)left);
    }
}

//  READY, then WELCOME.
static void
s_peer_ready(s_peer_t *p, const char *node, uint32_t credit,
             uint32_t intake_credit)
{
    cq_msg_ready_t m;
    memset(&m, 0, sizeof m);
    strcpy(m.node_id, node);
    m.credit = credit;
    m.intake_credit = intake_credit;
    strcpy(m.rules_version, S_RULES);
    m.heartbeat_ms = 600000; // never silent long enough to be dead
    cq_proto_ready_encode(&p->w, &m);
    s_peer_send(p, CQ_CMD_READY);
    cr_assert(s_peer_wait(p, CQ_CMD_WELCOME, 5000), "%s: no WELCOME", node);
    cq_msg_welcome_t wm;
    cr_assert_eq(cq_proto_welcome_decode(p->in.body, p->in.body_len, &wm, NULL),
                 0);
    cr_assert(wm.accepted, "%s: %s", node, wm.reason);
}

//  A claim of member M1 (one shard for all when the broker has one) with
//  `lines` service lines: large claims make an ADJUDICATE reach its byte
//  cap before its count cap.
static void
s_claim(cq_claim_t *c, uint32_t i, int lines)
{
    cq_claim_init(c);
    snprintf(c->claim_id, sizeof c->claim_id, "C%06u", i);
    strcpy(c->payer_id, "ACME");
    strcpy(c->member.id, "M1");
    strcpy(c->member.last_name, "TEST");
    strcpy(c->member.first_name, "PEER");
    c->member.birth_date = 3000;
    strcpy(c->billing_npi, "1234567893");
    c->received_date = 20500;
    strcpy(c->billing_name, "PEER TEST CLINIC OF THE NORTHERN DISTRICT");
    c->n_diagnoses = CQ_MAX_DX;
    for (int k = 0; k < CQ_MAX_DX; k++)
        snprintf(c->diagnoses[k], sizeof c->diagnoses[k], "J45.9%02d", k);
    c->total_charge = 100 * lines;
    for (int k = 0; k < lines; k++) {
        cq_line_t *l = &c->lines[k];
        snprintf(l->procedure, sizeof l->procedure, "99%03d", k);
        l->service_date = 20400;
        l->service_date_end = CQ_DATE_NONE;
        strcpy(l->place_of_service, "11");
        l->units_milli = 1000;
        l->charge = 100;
        l->n_pointers = 1;
        l->dx_pointers[0] = 1;
        if (lines > 1) { // the large kind: every field of a line in use
            l->n_modifiers = CQ_MAX_MODIFIERS;
            for (int m = 0; m < CQ_MAX_MODIFIERS; m++)
                snprintf(l->modifiers[m], sizeof l->modifiers[m], "%02d",
                         20 + m);
            strcpy(l->revenue_code, "0450");
            strcpy(l->rendering_npi, "1992999999");
        }
    }
    c->n_lines = (uint8_t)lines;
}

//  ---- a raw client
//  -----------------------------------------------------------

//  SUBMIT of one document; returns its doc id from the RECEIPT.
static uint64_t
s_submit(cq_bclient_t *c, const char *batch, const void *doc, size_t len)
{
    cq_msg_submit_t *m = calloc(1, sizeof *m);
    cr_assert_not_null(m);
    m->req_id = 7;
    strcpy(m->batch_id, batch);
    m->n_docs = 1;
    strcpy(m->docs[0].name, "doc.jsonl");
    m->docs[0].first_record = 1;
    m->docs[0].size = len;
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_submit_encode(&w, m);
    zmq_msg_t part;
    zmq_msg_init_size(&part, len);
    memcpy(zmq_msg_data(&part), doc, len);
    cr_assert_eq(cq_bclient_send(c, CQ_CMD_SUBMIT, &w, &part, 1), 0);
    zmq_msg_close(&part);
    cq_mpw_free(&w);
    free(m);
    cq_wire_msg_t in;
    cq_wire_msg_init(&in);
    cq_msg_receipt_t *r = calloc(1, sizeof *r);
    cr_assert_not_null(r);
    for (;;) {
        cr_assert_eq(cq_bclient_recv(c, &in, 5000), 0, "no RECEIPT");
        if (in.cmd == CQ_CMD_RECEIPT)
            break;
    }
    cr_assert_eq(cq_proto_receipt_decode(in.body, in.body_len, r, NULL), 0);
    cr_assert_eq(r->status, 0, "%s", r->message);
    cr_assert_eq(r->n_docs, 1);
    uint64_t id = r->doc_ids[0];
    free(r);
    cq_wire_msg_close(&in);
    return id;
}

//  The claims of one ADJUDICATE in p->in: calls back with each claim id.
static uint32_t
s_adjudicate_items(s_peer_t *p, uint64_t *cids, uint32_t max)
{
    cq_msg_adjudicate_t m;
    cr_assert_eq(
        cq_proto_adjudicate_decode(p->in.body, p->in.body_len, &m, NULL), 0);
    cq_claim_t *claim = malloc(sizeof *claim);
    cr_assert_not_null(claim);
    char batch[CQ_BATCH_ID_LEN];
    uint32_t n = 0;
    uint64_t cid;
    while (cq_proto_adjudicate_next(&m, &cid, batch, claim, NULL) == 1) {
        cr_assert_lt(n, max);
        cids[n++] = cid;
    }
    free(claim);
    return n;
}

//  ---- tests
//  ------------------------------------------------------------------

//  The owner of a shard vanished (its process died) but the broker has not
//  noticed yet: the first ADJUDICATE to it fails (unreachable) part way
//  through a dispatch. Its shard goes to another worker, which must get
//  the shard's claims in arrival order: none of the later ones before the
//  ones put back. The worker is counted dead once.
Test(peers, vanished_owner_keeps_shard_order, .timeout = 120)
{
    enum { N = 1500, LINES = 50 };
    s_broker_t br;
    s_broker_start(&br, 1); // one shard: every claim in one queue
    char be[256], fe[256];
    snprintf(be, sizeof be, "%s", cq_broker_backend(br.b));
    snprintf(fe, sizeof fe, "%s", cq_broker_frontend(br.b));
    const char *ids[2] = {"node-a", "node-b"};
    int o = cq_shard_owner(0, ids, 2);
    const char *a_id = ids[o], *b_id = ids[1 - o];

    //  The ADJUDICATE to A is sent when its bytes reach the cap (1 MiB,
    //  before its 512 claims), which must fall inside a pass of 64 claims
    //  for this to test anything: check the arithmetic of the claims.
    cq_claim_t *claim = malloc(sizeof *claim);
    cr_assert_not_null(claim);
    s_claim(claim, 0, LINES);
    cq_mpw_t tmp;
    cq_mpw_init(&tmp);
    cq_proto_claim_encode(&tmp, claim);
    size_t body = 7, k = 0; // [lease, items32]
    while (body < (1u << 20)) {
        body += 1 +
                (k < 128   ? 1
                 : k < 256 ? 2
                           : 3) +
                1 + strlen("it-order") + tmp.len;
        k++;
    }
    cr_assert_neq(k % 64, 0, "the byte cap falls at the end of a pass");
    cr_assert_lt(k, 512, "claims of %zu bytes are too small", tmp.len);
    cq_mpw_free(&tmp);

    s_peer_t a, b;
    s_peer_open(&a, be);
    s_peer_ready(&a, a_id, 4096, 1);
    s_peer_open(&b, be);
    s_peer_ready(&b, b_id, 65536, 8); // more intake credit: B gets the INTAKE
    //  A vanishes; the broker still counts it live.
    s_peer_close(&a);
    usleep(300000);

    cq_bclient_t *c = cq_bclient_new(fe);
    cr_assert_not_null(c);
    s_submit(c, "it-order", "{}\n", 3);
    cr_assert(s_peer_wait(&b, CQ_CMD_INTAKE, 5000), "no INTAKE for B");
    cq_msg_intake_t im;
    cr_assert_eq(cq_proto_intake_decode(b.in.body, b.in.body_len, &im, NULL),
                 0);
    cq_msg_intake_done_t dm;
    memset(&dm, 0, sizeof dm);
    dm.lease = im.lease;
    dm.doc_id = im.doc_id;
    dm.last = true;
    size_t at = cq_proto_intake_done_begin(&b.w, &dm);
    for (uint32_t i = 0; i < N; i++) {
        s_claim(claim, i, LINES);
        cq_proto_claim_encode(&b.w, claim);
    }
    cq_proto_intake_done_end(&b.w, at, N, &dm);
    free(claim);
    s_peer_send(&b, CQ_CMD_INTAKE_DONE);

    //  B owns the shard now and gets every claim, in arrival order.
    uint64_t *cids = malloc(N * sizeof *cids);
    cr_assert_not_null(cids);
    uint32_t got = 0;
    while (got < N) {
        cr_assert(s_peer_wait(&b, CQ_CMD_ADJUDICATE, 5000),
                  "B got %u of %d claims", got, N);
        uint32_t n = s_adjudicate_items(&b, cids + got, N - got);
        for (uint32_t i = got; i < got + n; i++)
            cr_assert_eq(cids[i], i,
                         "claim %llu of the shard reached B before claim %u",
                         (unsigned long long)cids[i], i);
        got += n;
    }
    free(cids);
    cr_assert_eq(cq_proc_counter(fe, "workers_dead"), 1);
    cr_assert_eq(cq_proc_counter(fe, "claims"), N);
    cq_bclient_destroy(&c);
    s_peer_close(&b);
    s_broker_stop(&br);
}

//  A node registers again from a new connection while its old one is
//  already gone: the DISCONNECT for the old session cannot be delivered,
//  and that is counted, not silent.
Test(peers, undeliverable_disconnect_is_counted, .timeout = 60)
{
    s_broker_t br;
    s_broker_start(&br, 4);
    char be[256], fe[256];
    snprintf(be, sizeof be, "%s", cq_broker_backend(br.b));
    snprintf(fe, sizeof fe, "%s", cq_broker_frontend(br.b));
    s_peer_t a;
    s_peer_open(&a, be);
    s_peer_ready(&a, "node-x", 10, 1);
    s_peer_close(&a);
    usleep(300000);
    cr_assert_eq(cq_proc_counter(fe, "undeliverable"), 0);
    s_peer_open(&a, be);
    s_peer_ready(&a, "node-x", 10, 1); // replaces the old session
    cr_assert_eq(cq_proc_counter(fe, "workers_dead"), 1);
    cr_assert_eq(cq_proc_counter(fe, "undeliverable"), 1);
    s_peer_close(&a);
    s_broker_stop(&br);
}

//  A document that fails part way (say page 3 of a scan is unreadable):
//  the claims read before the failure still count (proto.md, INTAKE_DONE
//  status), as `claimq adjudicate` decides them; the client is told how
//  many and why the document failed.
Test(peers, failed_document_keeps_claims_read_before, .timeout = 60)
{
    s_broker_t br;
    s_broker_start(&br, 4);
    char be[256], fe[256];
    snprintf(be, sizeof be, "%s", cq_broker_backend(br.b));
    snprintf(fe, sizeof fe, "%s", cq_broker_frontend(br.b));
    s_peer_t w;
    s_peer_open(&w, be);
    s_peer_ready(&w, "node-f", 100, 4);
    cq_bclient_t *c = cq_bclient_new(fe);
    cr_assert_not_null(c);
    uint64_t doc = s_submit(c, "it-partial", "{}\n", 3);
    cr_assert(s_peer_wait(&w, CQ_CMD_INTAKE, 5000), "no INTAKE");
    cq_msg_intake_t im;
    cr_assert_eq(cq_proto_intake_decode(w.in.body, w.in.body_len, &im, NULL),
                 0);
    cq_claim_t *claim = malloc(sizeof *claim);
    cr_assert_not_null(claim);
    cq_msg_intake_done_t dm;
    memset(&dm, 0, sizeof dm);
    dm.lease = im.lease;
    dm.doc_id = im.doc_id;
    size_t at = cq_proto_intake_done_begin(&w.w, &dm); // part 0: 3 claims
    for (uint32_t i = 0; i < 3; i++) {
        s_claim(claim, i, 1);
        cq_proto_claim_encode(&w.w, claim);
    }
    cq_proto_intake_done_end(&w.w, at, 3, &dm);
    s_peer_send(&w, CQ_CMD_INTAKE_DONE);
    free(claim);
    dm.part = 1; // part 1, the last: the document failed
    dm.last = true;
    dm.status = CQ_EPROTO;
    strcpy(dm.message, "page 3: unreadable");
    at = cq_proto_intake_done_begin(&w.w, &dm);
    cq_proto_intake_done_end(&w.w, at, 0, &dm);
    s_peer_send(&w, CQ_CMD_INTAKE_DONE);

    cq_wire_msg_t in;
    cq_wire_msg_init(&in);
    cq_msg_doc_done_t dd;
    for (;;) {
        cr_assert_eq(cq_bclient_recv(c, &in, 5000), 0, "no DOC_DONE");
        if (in.cmd == CQ_CMD_DOC_DONE)
            break;
    }
    cr_assert_eq(cq_proto_doc_done_decode(in.body, in.body_len, &dd, NULL), 0);
    cq_wire_msg_close(&in);
    cr_assert_eq(dd.doc_id, doc);
    cr_assert_eq(dd.status, CQ_EPROTO);
    cr_assert_str_eq(dd.message, "page 3: unreadable");
    cr_assert_eq(dd.n_claims, 3, "%u claims kept of 3", dd.n_claims);
    uint64_t cids[8];
    cr_assert(s_peer_wait(&w, CQ_CMD_ADJUDICATE, 5000), "nothing to decide");
    cr_assert_eq(s_adjudicate_items(&w, cids, 8), 3);
    cq_msg_status_reply_t st;
    cr_assert_eq(cq_bclient_status(c, "it-partial", &st, 5000), 0);
    cr_assert_eq(st.docs_failed, 1);
    cr_assert_eq(st.claims, 3);
    cq_bclient_destroy(&c);
    s_peer_close(&w);
    s_broker_stop(&br);
}

//  A client waiting for its decisions sends nothing. While the work is
//  held up (the only worker paused) it stays silent for longer than the
//  broker's client idle time; the broker must not forget it: once the
//  worker goes on, every decision is pushed to it, unasked.
Test(peers, silent_waiting_client_still_gets_its_decisions, .timeout = 120,
     .fini = cq_proc_cleanup)
{
    enum { N = 300 };
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, N, 50), 0);
    const char *extra[] = {"--client-idle-ms", "200", NULL};
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, extra), 0);
    char path[1100];
    snprintf(path, sizeof path, "%s/claims.jsonl", dir);
    size_t len;
    char *data = cq_test_read(path, &len);
    cr_assert_not_null(data);

    cr_assert_eq(kill(cl.workers[0].pid, SIGSTOP), 0);
    cq_bclient_t *c = cq_bclient_new(cl.frontend);
    cr_assert_not_null(c);
    uint64_t doc = s_submit(c, "it-silent", data, len);
    free(data);
    usleep(1200000); // six idle times; the worker is not yet dead (3 s)
    cr_assert_eq(kill(cl.workers[0].pid, SIGCONT), 0);

    cq_wire_msg_t in;
    cq_wire_msg_init(&in);
    cq_decision_t *d = malloc(sizeof *d);
    cr_assert_not_null(d);
    uint8_t seen[N] = {0};
    uint32_t n_claims = 0, decided = 0;
    bool known = false;
    while (!known || decided < n_claims) {
        if (cq_bclient_recv(c, &in, 5000) != 0)
            break;
        if (in.cmd == CQ_CMD_DOC_DONE) {
            cq_msg_doc_done_t dd;
            cr_assert_eq(
                cq_proto_doc_done_decode(in.body, in.body_len, &dd, NULL), 0);
            cr_assert_eq(dd.doc_id, doc);
            n_claims = dd.n_claims;
            known = true;
        } else if (in.cmd == CQ_CMD_DECISIONS) {
            cq_msg_decisions_t m;
            cr_assert_eq(
                cq_proto_decisions_decode(in.body, in.body_len, &m, NULL), 0);
            uint64_t id;
            uint32_t index;
            bool has;
            while (cq_proto_decisions_next(&m, &id, &index, &has, d, NULL) ==
                   1) {
                cr_assert(has && id == doc && index < N);
                if (!seen[index]++)
                    decided++;
            }
        }
    }
    free(d);
    cq_wire_msg_close(&in);
    cr_assert(known, "no DOC_DONE pushed after the silence");
    cr_assert_eq(n_claims, N);
    cr_assert_eq(decided, N, "%u of %d decisions pushed", decided, N);
    cq_bclient_destroy(&c);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}
