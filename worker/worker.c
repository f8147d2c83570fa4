//  worker.c: see worker.h.
//
//  Member state. The worker keeps the state the engine reads (accumulators,
//  duplicate and frequency history, decisions by key) in memory, one state
//  per session with the broker. A session starts at READY, empty; before
//  the first claims of a shard the broker sends the shard's history
//  (HISTORY: its decided claims, in the journal's order), which the worker
//  decides again into the state without writing them anywhere. So the
//  state is always the journal's, whichever node decided what before, and
//  rows of this node's ledger that the journal never took (orphans) never
//  count. The ledger is this node's append-only, hash-chained record of
//  the decisions it made; a decision leaves the node (RESULT) only after
//  its ledger commit.
//
//  When the ledger cannot be written (disk full, read-only), the worker
//  sends PAUSE (the broker gives its work to others), drops the session's
//  state (it may hold decisions the ledger lost), and tries the ledger
//  again every second; once it can write, it registers again (READY).
#include "worker.h"
#include "curve.h"
#include "metrics.h"
#include "engine.h"
#include "fault.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "mem.h"
#include "proto.h"
#include "tally.h"
#include "wire.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_MAX_PENDING 256 // ADJUDICATE messages decided per commit
#define S_TURN_MSGS 128   // messages read from the broker per turn
#define S_HWM 100000
#define S_FIFO 64 // intake leases a thread may hold (> its credit share)

//  The leases an intake thread holds, in the order it works on them.
typedef struct {
    uint64_t tokens[S_FIFO];
    uint32_t head, n;
} s_fifo_t;

struct cq_worker {
    cq_worker_config_t cfg;
    char *node_id;
    char *broker;
    char *eps[8]; // broker endpoints (a pair: EP1,EP2)
    int n_eps, cur_ep;
    bool rotate; // the next connection tries the next endpoint
    //  a pair's passive broker said "not me": the next connection waits
    //  until connect_at (growing while no broker welcomes this node)
    int64_t connect_at;
    int passive_tries;
    bool reconnect_pending; // waiting for connect_at
    cq_engine_t *engine;
    cq_ledger_t *ledger;
    cq_state_t *state; // this session's member state
    char rules_version[CQ_RULES_VERSION_LEN];
    cq_marker_slot_t *marker; // crash marker (slots), or NULL
    cq_marker_slot_t crashed; // what the previous process died on
    bool crash_told;          // crashed was sent in a READY

    zsock_t *dealer;
    void *sock;
    cq_curve_client_t curve; // keys (curve.cert NULL: plain)
    cq_metrics_t *metrics;   // --metrics, or NULL
    cq_tally_t *tally;       // decisions on disk, by payer (metrics)
    cq_tally_t *round_tally; // this round's, until its commit
    cq_hist_t ledger_hist;   // ledger commit latency (metrics)
    cq_curve_watch_t *watch; // this connection's handshakes
    zactor_t **intake;       // intake threads
    s_fifo_t *intake_fifo;   // leases each holds
    uint32_t n_intake;
    uint32_t intake_inflight; // documents handed to threads, not finished

    zmq_msg_t pending[S_MAX_PENDING]; // ADJUDICATE bodies waiting
    uint32_t n_pending;
    uint32_t pending_skip;           // items of pending[0] decided and reported
    cq_mpw_t results[S_MAX_PENDING]; // their RESULT bodies

    int64_t now;
    int64_t last_recv;
    int64_t last_send;
    int64_t last_extend;
    uint32_t broker_hb; // from WELCOME
    uint32_t shards;    // S, from WELCOME
    bool welcomed;      // WELCOME received on this connection
    bool accepted;      // and it accepted us
    bool announced;     // ready callback called
    bool stopping;
    bool drain; // the broker asked it to stop (`claimq drain`)
    bool goodbye_ok;
    int refused;         // why the broker refused it for good (CQ_E*)
    int64_t id_refused;  // node id refused since (0: not refused)
    int64_t id_retry;    // next READY while refused
    bool paused;         // the ledger failed: no work until it recovers
    int64_t pause_retry; // next recovery attempt
    int64_t stop_deadline;

    uint64_t decided;
    uint64_t history_claims;     // claims replayed from HISTORY
    uint64_t history_mismatches; // replays that decided otherwise
    cq_wire_msg_t *in;
    cq_mpw_t w;
    cq_claim_t claim;
    cq_decision_t decision;
    cq_decision_t journal_decision;
};

void
cq_worker_config_default(cq_worker_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->broker = "tcp://127.0.0.1:5556";
    cfg->credit = 1024;
    cfg->intake_threads = 1;
    cfg->heartbeat_ms = 1000;
}

cq_worker_t *
cq_worker_new(const cq_worker_config_t *cfg, cq_diag_t *diag)
{
    if (cfg->node_id == NULL || !cq_proto_node_id_ok(cfg->node_id)) {
        cq_diag_set(diag, CQ_EINVAL, 0,
                    "node id: expected [A-Za-z0-9._-], 1 to 39 characters");
        return NULL;
    }
    cq_worker_t *self = cq_xcalloc(1, sizeof *self);
    self->cfg = *cfg;
    self->tally = cq_xcalloc(1, sizeof *self->tally);
    self->round_tally = cq_xcalloc(1, sizeof *self->round_tally);
    if (self->cfg.credit == 0 || self->cfg.credit > CQ_PROTO_MAX_CREDIT)
        self->cfg.credit = 1024;
    if (self->cfg.intake_threads == 0)
        self->cfg.intake_threads = 1;
    if (self->cfg.intake_threads > CQ_MARKER_SLOTS - 1)
        self->cfg.intake_threads = CQ_MARKER_SLOTS - 1;
    if (self->cfg.intake_credit == 0)
        self->cfg.intake_credit = 2 * self->cfg.intake_threads;
    if (self->cfg.intake_credit > CQ_PROTO_MAX_INTAKE_CREDIT)
        self->cfg.intake_credit = CQ_PROTO_MAX_INTAKE_CREDIT;
    if (self->cfg.heartbeat_ms < 10)
        self->cfg.heartbeat_ms = 1000;
    self->node_id = cq_xstrdup(cfg->node_id);
    self->broker = cq_xstrdup(cfg->broker);
    {
        char *list = cq_xstrdup(cfg->broker), *save = NULL;
        for (char *t = strtok_r(list, ",", &save); t && self->n_eps < 8;
             t = strtok_r(NULL, ",", &save))
            if (*t)
                self->eps[self->n_eps++] = cq_xstrdup(t);
        free(list);
        if (self->n_eps == 0)
            self->eps[self->n_eps++] = cq_xstrdup(cfg->broker);
    }
    self->cfg.node_id = self->node_id;
    self->cfg.broker = self->broker;
    if (cq_curve_client_init(&self->curve, cfg->curve_key, cfg->broker_key,
                             diag) < 0) {
        cq_worker_destroy(&self);
        return NULL;
    }
    if (cfg->metrics) {
        self->metrics = cq_metrics_start(cfg->metrics, diag);
        if (self->metrics == NULL) {
            cq_worker_destroy(&self);
            return NULL;
        }
    }
    self->engine = cq_engine_new(cfg->plan, cfg->members, diag);
    if (self->engine == NULL) {
        cq_worker_destroy(&self);
        return NULL;
    }
    cq_engine_set_node(self->engine, self->node_id);
    cq_strlcpy(self->rules_version, cq_engine_rules_version(self->engine),
               sizeof self->rules_version);
    self->ledger = cq_ledger_open_log(cfg->ledger, self->node_id, diag);
    if (self->ledger == NULL) {
        cq_worker_destroy(&self);
        return NULL;
    }
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s.inflight", cfg->ledger);
    self->marker = cq_marker_open(mpath, &self->crashed);
    if (self->crashed.kind != 0)
        cq_log_warn(NULL,
                    "the previous process died while working on %s %" PRIu64
                    "; the broker is told",
                    self->crashed.kind == 1 ? "claim" : "document",
                    (uint64_t)self->crashed.id);
    for (uint32_t i = 0; i < S_MAX_PENDING; i++)
        cq_mpw_init(&self->results[i]);
    cq_mpw_init(&self->w);
    self->in = cq_xmalloc(sizeof *self->in);
    cq_wire_msg_init(self->in);
    return self;
}

const char *
cq_worker_rules_version(const cq_worker_t *self)
{
    return self->rules_version;
}

//  ---- the connection --------------------------------------------------------

static int
s_send(cq_worker_t *self, cq_cmd_t cmd, const cq_mpw_t *body)
{
    int rc = cq_wire_send(self->sock, NULL, 0, cmd, body->data, body->len, NULL,
                          0, ZMQ_DONTWAIT);
    if (rc == 0)
        self->last_send = self->now;
    else
        cq_log_warn(NULL, "%s not sent: %s", cq_cmd_name(cmd), cq_strerror(rc));
    return rc;
}

static void
s_drop_pending(cq_worker_t *self)
{
    for (uint32_t i = 0; i < self->n_pending; i++)
        zmq_msg_close(&self->pending[i]);
    self->n_pending = 0;
    self->pending_skip = 0;
}

static void s_ready(cq_worker_t *self);

//  The Prometheus metrics (metrics.h), once a second.
static void
s_metrics(cq_worker_t *self)
{
    if (self->metrics == NULL || !cq_metrics_due(self->metrics))
        return;
    cq_buf_t b;
    cq_buf_init(&b, (size_t)1 << 20);
    cq_prom_one(&b, "claimq_worker_decided_total", "counter",
                "Claims this node decided and committed to its ledger.",
                (double)self->decided);
    cq_prom_one(&b, "claimq_worker_history_claims_total", "counter",
                "Claims replayed from shard HISTORY.",
                (double)self->history_claims);
    cq_prom_one(&b, "claimq_worker_history_mismatches_total", "counter",
                "History claims decided otherwise than the journal.",
                (double)self->history_mismatches);
    cq_prom_one(&b, "claimq_worker_claims_in_hand", "gauge",
                "ADJUDICATE messages received and not yet answered.",
                (double)self->n_pending);
    cq_prom_one(&b, "claimq_worker_intake_inflight", "gauge",
                "Documents being decoded (intake threads).",
                (double)self->intake_inflight);
    cq_prom_one(&b, "claimq_worker_intake_threads", "gauge", "Intake threads.",
                (double)self->n_intake);
    cq_prom_one(&b, "claimq_worker_credit", "gauge",
                "Claims this node takes at once.", (double)self->cfg.credit);
    cq_prom_one(&b, "claimq_worker_registered", "gauge",
                "1 while the broker has accepted this node.",
                (double)(self->welcomed && self->accepted));
    cq_prom_one(&b, "claimq_worker_paused", "gauge",
                "1 while the ledger cannot be written (no work taken).",
                (double)self->paused);
    cq_prom_one(&b, "claimq_worker_ledger_seq", "gauge",
                "The ledger's last row.",
                (double)cq_ledger_last_seq(self->ledger));
    cq_tally_prom(self->tally, &b, "claimq_worker");
    cq_prom_hist(&b, "claimq_worker_ledger_commit_seconds",
                 "Ledger commits (one a round of decisions, fsynced).",
                 &self->ledger_hist);
    cq_prom_one(&b, "claimq_worker_ocr_pages_total", "counter",
                "Scanned pages read (one claim each).",
                (double)cq_intake_ocr_pages());
    cq_prom_hist(&b, "claimq_worker_ocr_page_seconds",
                 "Time to read one scanned page (decode, register, OCR).",
                 cq_intake_ocr_hist());
    cq_prom_limits(&b, "claimq_worker");
    cq_prom_process(&b);
    cq_metrics_publish(self->metrics, b.data, b.len);
    cq_buf_free(&b);
}

//  A new session: a new socket, an empty member state, READY. At start,
//  after DISCONNECT, when the broker went silent, and after a pause. Work
//  received on the old connection is dropped: the broker has given it,
//  under new leases, to someone else.
static void
s_connect(cq_worker_t *self)
{
    cq_curve_watch_destroy(&self->watch);
    //  (what the old session held is dropped: nothing to linger for, and a
    //  lingering socket per reconnection piles up when brokers come and go)
    if (self->dealer)
        zsock_set_linger(self->dealer, 0);
    zsock_destroy(&self->dealer);
    s_drop_pending(self);
    cq_state_destroy(&self->state);
    self->state = cq_ledger_session_state(self->ledger);
    self->dealer = zsock_new(ZMQ_DEALER);
    assert(self->dealer);
    zsock_set_sndhwm(self->dealer, S_HWM);
    zsock_set_rcvhwm(self->dealer, S_HWM);
    zsock_set_linger(self->dealer, 2000); // results get out at exit
    zsock_set_maxmsgsize(self->dealer, (int)CQ_PROTO_MAX_FRAME + 4096);
    if (self->curve.cert)
        cq_curve_client_apply(&self->curve, self->dealer);
    self->watch = cq_curve_watch_new(self->dealer);
    if (self->rotate && self->n_eps > 1) {
        self->cur_ep = (self->cur_ep + 1) % self->n_eps;
        cq_log_notice(NULL, "broker: trying %s", self->eps[self->cur_ep]);
    }
    self->rotate = false;
    if (zsock_connect(self->dealer, "%s", self->eps[self->cur_ep]) < 0)
        cq_log_error(NULL, "cannot connect to %s", self->eps[self->cur_ep]);
    self->sock = zsock_resolve(self->dealer);
    self->welcomed = self->accepted = self->goodbye_ok = false;
    self->paused = false;
    self->broker_hb = self->cfg.heartbeat_ms;
    self->last_recv = self->now;
    s_ready(self);
}

static void
s_ready(cq_worker_t *self)
{
    cq_msg_ready_t m;
    memset(&m, 0, sizeof m);
    cq_strlcpy(m.node_id, self->node_id, sizeof m.node_id);
    m.credit = self->cfg.credit;
    m.intake_credit = self->cfg.intake_credit;
    cq_strlcpy(m.rules_version, self->rules_version, sizeof m.rules_version);
    m.heartbeat_ms = self->cfg.heartbeat_ms;
    cq_strlcpy(m.ledger_id, cq_ledger_id(self->ledger), sizeof m.ledger_id);
    m.ledger_seq = (uint64_t)cq_ledger_last_seq(self->ledger);
    m.resolved_seq = (uint64_t)cq_ledger_resolved(self->ledger);
    if (m.resolved_seq > m.ledger_seq)
        m.resolved_seq = m.ledger_seq;
    if (gethostname(m.host, sizeof m.host) != 0)
        m.host[0] = '\0';
    m.host[sizeof m.host - 1] = '\0';
    if (self->crashed.kind != 0 && !self->crash_told) {
        m.crash_kind = (uint32_t)self->crashed.kind;
        m.crash_id = self->crashed.id;
        m.crash_lease = self->crashed.lease;
    }
    cq_proto_ready_encode(&self->w, &m);
    if (s_send(self, CQ_CMD_READY, &self->w) == 0 && m.crash_kind)
        self->crash_told = true;
}

//  The ledger cannot be written: no more work until it can (the broker
//  takes back what this node holds). The session's state may hold
//  decisions the ledger lost: it goes.
static void
s_pause(cq_worker_t *self, int rc)
{
    if (self->paused)
        return;
    s_drop_pending(self);
    cq_state_destroy(&self->state);
    self->paused = true;
    self->pause_retry = self->now + 1000;
    char why[CQ_PROTO_MSG_LEN];
    snprintf(why, sizeof why, "%s: its ledger cannot be written (%s)",
             self->node_id, cq_strerror(rc));
    cq_log_error(NULL,
                 "ledger write failed (%s): taking no work until it can be "
                 "written again; retrying every second",
                 cq_strerror(rc));
    cq_proto_reason_encode(&self->w, why);
    s_send(self, CQ_CMD_PAUSE, &self->w);
}

static void
s_try_resume(cq_worker_t *self)
{
    if (!self->paused || self->now < self->pause_retry)
        return;
    self->pause_retry = self->now + 1000;
    if (cq_ledger_recover(self->ledger) != 0)
        return;
    cq_log_notice(NULL, "ledger writable again: registering again");
    s_connect(self);
}

//  ---- adjudication ----------------------------------------------------------

//  Decides the ADJUDICATEs waiting, commits the ledger once, then sends
//  the RESULTs: a decision leaves the node only after it is in the ledger.
//  A round takes at most S_ROUND_CLAIMS claims: every claim of a round
//  waits for the round's commit, so a round as large as the credit (1024)
//  made a claim wait for up to a thousand others at moderate load (p99
//  submit -> decision 88 ms at half of peak, against 38 ms with rounds of
//  256; the credit stays large, so the broker keeps the node fed).
#define S_ROUND_CLAIMS CQ_PROTO_ROUND_CLAIMS
static int
s_adjudicate(cq_worker_t *self)
{
    if (self->n_pending == 0 || self->paused)
        return 0;
    int32_t today = cq_date_today();
    uint32_t n_claims = 0;
    int failed = 0;
    //  A round ends after a quarter of a heartbeat interval (and at least
    //  one claim), even in the middle of a message: a slow round must not
    //  silence the node's heartbeats (the broker would take it for dead).
    //  What was decided is reported (a message may be answered by several
    //  RESULTs), which also returns credit early: the broker refills
    //  while the rest of the message is decided in the next round.
    int64_t t0 = cq_wire_now_ms();
    int64_t budget = (int64_t)self->cfg.heartbeat_ms / 4;
    uint32_t done = 0;   // messages answered in full
    bool cut = false;    // message `done` answered in part
    uint32_t cut_at = 0; // its items decided so far
    for (uint32_t i = 0; i < self->n_pending && failed == 0; i++) {
        if (n_claims > 0 &&
            (n_claims >= S_ROUND_CLAIMS || cq_wire_now_ms() - t0 >= budget))
            break;
        cq_mpw_t *out = &self->results[i];
        cq_mpw_reset(out);
        cq_msg_adjudicate_t m;
        cq_diag_t diag = {0};
        if (cq_proto_adjudicate_decode(zmq_msg_data(&self->pending[i]),
                                       zmq_msg_size(&self->pending[i]), &m,
                                       &diag) != 0) {
            cq_log_warn(NULL, "ADJUDICATE dropped: %s", diag.msg);
            done = i + 1;
            continue;
        }
        uint32_t skip = i == 0 ? self->pending_skip : 0;
        uint64_t cid;
        char batch_id[CQ_BATCH_ID_LEN];
        int rc = 1;
        for (uint32_t k = 0; k < skip && rc == 1; k++)
            rc = cq_proto_adjudicate_next(&m, &cid, batch_id, &self->claim,
                                          &diag);
        size_t at = cq_proto_result_begin(out, m.lease);
        uint32_t n = 0;
        while (rc == 1 && (rc = cq_proto_adjudicate_next(
                               &m, &cid, batch_id, &self->claim, &diag)) == 1) {
            cq_decide_opts_t o = {batch_id, self->node_id};
            bool replayed = false;
            cq_marker_set(self->marker, 1, cid, m.lease);
            cq_fault_claim(self->claim.claim_id);
            cq_fault_delay();
            int drc =
                cq_engine_decide_with(self->engine, self->state, &self->claim,
                                      today, &o, &self->decision, &replayed);
            if (drc != 0) {
                //  the state store (the ledger) failed: nothing of this
                //  round leaves the node
                failed = drc;
                break;
            }
            if (self->decision.node[0] == '\0')
                cq_strlcpy(self->decision.node, self->node_id,
                           sizeof self->decision.node);
            cq_tally_add(self->round_tally, &self->decision);
            cq_proto_result_add(out, cid, 0, &self->decision);
            n++;
            n_claims++;
            if (m.items.next < m.items.n && (n_claims >= S_ROUND_CLAIMS ||
                                             cq_wire_now_ms() - t0 >= budget)) {
                cut = true;
                break;
            }
        }
        if (rc < 0) //  the rest of this message cannot be read
            cq_log_warn(NULL, "ADJUDICATE item %u dropped: %s", skip + n,
                        diag.msg);
        cq_proto_result_end(out, at, n);
        if (cut) {
            cut_at = skip + n;
            break;
        }
        done = i + 1;
    }
    cq_marker_set(self->marker, 0, 0, 0);
    int rc = failed;
    if (rc == 0) {
        int64_t c0 = zclock_usecs();
        rc = cq_ledger_commit(self->ledger);
        cq_hist_observe_us(&self->ledger_hist, (uint64_t)(zclock_usecs() - c0));
    }
    if (rc != 0) {
        self->round_tally->n_decisions = self->round_tally->n_carcs = 0;
        s_pause(self, rc);
        return 0;
    }
    cq_tally_merge(self->tally, self->round_tally);
    for (uint32_t i = 0; i < done + (cut ? 1 : 0); i++)
        if (self->results[i].len > 0)
            s_send(self, CQ_CMD_RESULT, &self->results[i]);
    for (uint32_t i = 0; i < done; i++)
        zmq_msg_close(&self->pending[i]);
    for (uint32_t i = done; done > 0 && i < self->n_pending; i++) {
        zmq_msg_init(&self->pending[i - done]);
        zmq_msg_move(&self->pending[i - done], &self->pending[i]);
        zmq_msg_close(&self->pending[i]);
    }
    self->n_pending -= done;
    self->pending_skip = cut ? cut_at : 0;
    self->decided += n_claims;
    return 0;
}

//  A shard's history: its decided claims, decided again into the state
//  without writing them (they are the journal's, not this node's).
static void
s_on_history(cq_worker_t *self, cq_wire_msg_t *in)
{
    cq_msg_history_t m;
    cq_diag_t diag = {0};
    if (self->paused || self->state == NULL)
        return;
    if (cq_proto_history_decode(in->body, in->body_len, &m, &diag) != 0) {
        cq_log_warn(NULL, "HISTORY dropped: %s", diag.msg);
        return;
    }
    int32_t today = cq_date_today();
    uint64_t cid;
    char batch_id[CQ_BATCH_ID_LEN];
    int rc;
    cq_state_set_persist(self->state, false);
    while ((rc = cq_proto_history_next(&m, &cid, batch_id, &self->claim,
                                       &self->journal_decision, &diag)) == 1) {
        cq_decide_opts_t o = {batch_id, self->journal_decision.node};
        bool replayed = false;
        int drc = cq_engine_decide_with(self->engine, self->state, &self->claim,
                                        today, &o, &self->decision, &replayed);
        self->history_claims++;
        if (drc == 0 && !replayed &&
            (self->decision.decision != self->journal_decision.decision ||
             self->decision.paid != self->journal_decision.paid ||
             self->decision.allowed != self->journal_decision.allowed)) {
            //  not the journal's decision: other rules, or a fault; the
            //  state follows what this node computes
            if (self->history_mismatches++ < 10)
                cq_log_warn(self->claim.claim_id,
                            "history of shard %u: decided differently than "
                            "the journal says",
                            m.shard);
        }
    }
    cq_state_set_persist(self->state, true);
    if (rc < 0)
        cq_log_warn(NULL, "HISTORY item dropped: %s", diag.msg);
}

static void
s_on_orphans(cq_worker_t *self, cq_wire_msg_t *in)
{
    cq_msg_orphans_t *m = cq_xmalloc(sizeof *m);
    cq_diag_t diag = {0};
    if (cq_proto_orphans_decode(in->body, in->body_len, m, &diag) != 0) {
        cq_log_warn(NULL, "ORPHANS dropped: %s", diag.msg);
        free(m);
        return;
    }
    size_t marked = 0;
    int rc =
        cq_ledger_mark_orphans(self->ledger, (const uint64_t(*)[2])m->ranges,
                               m->n_ranges, (int64_t)m->upto, &marked);
    if (rc != 0) {
        //  they stay unmarked: the broker says it again at the next READY
        cq_log_error(NULL, "cannot mark orphans in the ledger: %s",
                     cq_strerror(rc));
        s_pause(self, rc);
    } else if (marked > 0) {
        cq_log_notice(NULL,
                      "%zu ledger rows marked orphan (decided under a lease "
                      "that was lost; they never count)",
                      marked);
    }
    free(m);
}

//  ---- messages from the broker ------------------------------------------

static void
s_to_intake(cq_worker_t *self, cq_wire_msg_t *in)
{
    cq_msg_intake_t m;
    if (in->n != 3 ||
        cq_proto_intake_decode(in->body, in->body_len, &m, NULL) != 0) {
        cq_log_warn(NULL, "INTAKE dropped: malformed (%d parts)", in->n);
        return;
    }
    uint32_t best = 0;
    for (uint32_t i = 1; i < self->n_intake; i++)
        if (self->intake_fifo[i].n < self->intake_fifo[best].n)
            best = i;
    s_fifo_t *f = &self->intake_fifo[best];
    if (f->n == S_FIFO) {
        cq_log_warn(NULL, "INTAKE dropped: %u documents in hand already", f->n);
        return;
    }
    void *pipe = zsock_resolve(zactor_sock(self->intake[best]));
    for (int i = 0; i < 3; i++)
        zmq_msg_send(&in->parts[i], pipe, i < 2 ? ZMQ_SNDMORE : 0);
    f->tokens[(f->head + f->n) % S_FIFO] = m.lease;
    f->n++;
    self->intake_inflight++;
}

static bool
s_on_broker(cq_worker_t *self, cq_wire_msg_t *in)
{
    cq_diag_t diag = {0};
    if (cq_wire_parse(in, CQ_PROTO_MAX_FRAME, &diag) != 0) {
        cq_log_warn(NULL, "message from the broker dropped: %s", diag.msg);
        return true;
    }
    self->last_recv = self->now;
    switch (in->cmd) {
    case CQ_CMD_WELCOME: {
        cq_msg_welcome_t m;
        if (cq_proto_welcome_decode(in->body, in->body_len, &m, &diag) != 0) {
            cq_log_warn(NULL, "WELCOME dropped: %s", diag.msg);
            break;
        }
        self->broker_hb = m.heartbeat_ms;
        self->shards = m.shards;
        if (m.accepted) {
            self->welcomed = self->accepted = true;
            self->id_refused = 0;
            cq_log_notice(NULL, "registered with %s (epoch %" PRIu64 ")",
                          self->broker, m.epoch);
        } else if (m.code == CQ_WELCOME_NODE_ID) {
            //  The node id is live on another connection. A restarted
            //  node's old connection may still be closing: READY again for
            //  two heartbeats, then give up (two nodes with one id would
            //  take each other's place forever).
            if (self->id_refused == 0) {
                self->id_refused = self->now;
                cq_log_warn(NULL, "the broker refused node id %s: %s",
                            self->node_id, m.reason);
            }
            if (self->now - self->id_refused >
                2 * (int64_t)self->broker_hb + 1000) {
                cq_log_error(NULL,
                             "node id %s is in use by another worker of this "
                             "broker; give each worker its own --node-id",
                             self->node_id);
                self->refused = CQ_EEXIST;
            }
            self->id_retry = self->now + 250;
        } else {
            self->welcomed = true;
            self->accepted = false;
            self->passive_tries = 0;
            self->connect_at = 0;
            if (m.code == CQ_WELCOME_RULES && !self->cfg.wait_for_rules) {
                cq_log_error(NULL,
                             "the broker refused this worker: %s; start it "
                             "with the cluster's plan, or with "
                             "--wait-for-rules to wait until the cluster "
                             "changes",
                             m.reason);
                self->refused = CQ_EUNSUPPORTED;
            } else {
                cq_log_error(NULL, "the broker gives this node no work: %s",
                             m.reason);
            }
        }
        break;
    }
    case CQ_CMD_HEARTBEAT:
        break;
    case CQ_CMD_DISCONNECT: {
        char reason[CQ_PROTO_MSG_LEN] = "";
        uint32_t code = 0;
        cq_proto_disconnect_decode(in->body, in->body_len, reason, &code, NULL);
        if (code == CQ_DISCONNECT_WRONG_EP || code == CQ_DISCONNECT_REFUSED) {
            cq_log_error(NULL, "%s: %s", self->broker, reason);
            self->refused = CQ_EINVAL;
            return true;
        }
        if (code == CQ_DISCONNECT_PASSIVE) {
            //  the pair's other broker is the active one (or will be); when
            //  every endpoint says so (a takeover under way), wait a little
            //  longer each time, up to a second
            self->rotate = true;
            if (!self->reconnect_pending &&
                ++self->passive_tries >= self->n_eps) {
                int shift = self->passive_tries - self->n_eps;
                self->connect_at =
                    self->now + (shift > 3 ? 1000 : 125 << shift);
            }
            cq_log_info(NULL, "%s: %s", self->eps[self->cur_ep], reason);
            return false;
        }
        cq_log_notice(NULL, "broker: %s; registering again", reason);
        return false;
    }
    case CQ_CMD_INTAKE:
        if (!self->paused)
            s_to_intake(self, in);
        break;
    case CQ_CMD_ADJUDICATE:
        if (self->paused)
            break;
        zmq_msg_init(&self->pending[self->n_pending]);
        zmq_msg_move(&self->pending[self->n_pending], &in->parts[1]);
        self->n_pending++;
        cq_fault_adjudicate();
        break;
    case CQ_CMD_HISTORY:
        s_on_history(self, in);
        break;
    case CQ_CMD_ORPHANS:
        s_on_orphans(self, in);
        break;
    case CQ_CMD_GOODBYE_OK:
        self->goodbye_ok = true;
        break;
    case CQ_CMD_DRAIN:
        if (!self->drain)
            cq_log_notice(NULL, "draining (asked by the broker): finishing "
                                "what it holds, then stopping");
        self->drain = true;
        break;
    default:
        cq_log_warn(NULL, "unexpected %s from the broker",
                    cq_cmd_name(in->cmd));
        break;
    }
    return true;
}

//  Forwards what the intake threads produced.
static void
s_from_intake(cq_worker_t *self, uint32_t t)
{
    void *pipe = zsock_resolve(zactor_sock(self->intake[t]));
    for (;;) {
        int rc = cq_wire_recv(pipe, false, self->in, ZMQ_DONTWAIT);
        if (rc != 0)
            return;
        cq_wire_msg_t *m = self->in;
        char tag = m->n > 0 && zmq_msg_size(&m->parts[0]) == 1
                       ? *(char *)zmq_msg_data(&m->parts[0])
                       : 'X';
        if (tag == 'L' || tag == 'X') {
            s_fifo_t *f = &self->intake_fifo[t];
            if (f->n > 0) {
                f->head = (f->head + 1) % S_FIFO;
                f->n--;
            }
            if (self->intake_inflight > 0)
                self->intake_inflight--;
        }
        if ((tag == 'L' || tag == 'P') && m->n == 3) {
            int src = zmq_msg_send(&m->parts[1], self->sock,
                                   ZMQ_SNDMORE | ZMQ_DONTWAIT);
            if (src >= 0)
                src = zmq_msg_send(&m->parts[2], self->sock, ZMQ_DONTWAIT);
            if (src < 0)
                cq_log_warn(NULL, "INTAKE_DONE not sent: %s",
                            zmq_strerror(errno));
            else
                self->last_send = self->now;
        }
        cq_wire_msg_close(m);
    }
}

//  Intake leases still being worked on: their deadlines move (a long OCR
//  document is not taken back while this node works on it).
static void
s_extend(cq_worker_t *self)
{
    if (self->intake_inflight == 0 ||
        self->now - self->last_extend < (int64_t)self->cfg.heartbeat_ms)
        return;
    self->last_extend = self->now;
    cq_msg_extend_t *m = cq_xmalloc(sizeof *m);
    m->n = 0;
    for (uint32_t t = 0; t < self->n_intake; t++) {
        s_fifo_t *f = &self->intake_fifo[t];
        for (uint32_t i = 0; i < f->n && m->n < CQ_PROTO_MAX_EXTEND; i++)
            m->leases[m->n++] = f->tokens[(f->head + i) % S_FIFO];
    }
    if (m->n > 0) {
        cq_proto_extend_encode(&self->w, m);
        s_send(self, CQ_CMD_EXTEND, &self->w);
    }
    free(m);
}

int
cq_worker_run(cq_worker_t *self, volatile sig_atomic_t *stop,
              cq_worker_ready_fn *ready, void *arg)
{
    self->now = cq_wire_now_ms();
    self->n_intake = self->cfg.intake_threads;
    self->intake = cq_xcalloc(self->n_intake, sizeof *self->intake);
    self->intake_fifo = cq_xcalloc(self->n_intake, sizeof *self->intake_fifo);
    for (uint32_t i = 0; i < self->n_intake; i++) {
        cq_intake_opts_t o = {CQ_INTAKE_PART_CLAIMS,
                              self->marker ? &self->marker[i + 1] : NULL};
        self->intake[i] = cq_intake_new(&o);
    }
    zmq_pollitem_t *items = cq_xcalloc(self->n_intake + 1, sizeof *items);
    s_connect(self);
    int result = 0;
    for (;;) {
        self->now = cq_wire_now_ms();
        if ((*stop || self->drain) && !self->stopping) {
            self->stopping = true;
            self->stop_deadline = self->now + 3 * (int64_t)self->broker_hb;
            cq_log_notice(NULL, "stopping: %u documents, %u messages in hand",
                          self->intake_inflight, self->n_pending);
            if (self->welcomed) {
                cq_proto_empty_encode(&self->w);
                s_send(self, CQ_CMD_GOODBYE, &self->w);
            }
        }
        if (self->stopping && self->n_pending == 0 &&
            self->intake_inflight == 0 &&
            (self->goodbye_ok || !self->welcomed || self->paused ||
             self->now >= self->stop_deadline))
            break;
        items[0].socket = self->sock;
        items[0].events = ZMQ_POLLIN;
        for (uint32_t i = 0; i < self->n_intake; i++) {
            items[i + 1].socket = zsock_resolve(zactor_sock(self->intake[i]));
            items[i + 1].events = ZMQ_POLLIN;
        }
        long wait = (long)(self->cfg.heartbeat_ms / 4);
        if (self->stopping)
            wait = 50;
        //  claims in hand (a round was cut short): take what has arrived
        //  and go on deciding, without waiting
        if (self->n_pending > 0 && !self->paused)
            wait = 0;
        int n = zmq_poll(items, (int)self->n_intake + 1, wait);
        if (n < 0 && errno != EINTR) {
            cq_log_error(NULL, "poll: %s", zmq_strerror(errno));
            result = CQ_EIO;
            break;
        }
        self->now = cq_wire_now_ms();
        bool reconnect = false;
        for (int i = 0; i < S_TURN_MSGS && self->n_pending < S_MAX_PENDING;
             i++) {
            if (cq_wire_recv(self->sock, false, self->in, ZMQ_DONTWAIT) != 0)
                break;
            if (!s_on_broker(self, self->in)) {
                reconnect = true;
                break;
            }
        }
        cq_wire_msg_close(self->in);
        char why[256];
        if (self->watch && !self->welcomed &&
            cq_curve_watch_wait(self->watch, 0, why, sizeof why) ==
                CQ_EUNSUPPORTED) {
            cq_log_error(NULL, "%s: %s", self->broker, why);
            self->refused = CQ_EUNSUPPORTED;
        }
        if (self->refused != 0) {
            result = self->refused;
            break;
        }
        if (self->id_refused != 0 && self->now >= self->id_retry &&
            !self->stopping) {
            //  (READY again on this connection; silence meanwhile is not
            //  the broker's)
            self->id_retry = self->now + 250;
            self->last_recv = self->now;
            s_ready(self);
        }
        if (self->welcomed && self->accepted && !self->announced) {
            self->announced = true;
            if (ready)
                ready(arg, self->node_id, self->broker);
        }
        for (uint32_t t = 0; t < self->n_intake; t++)
            s_from_intake(self, t);
        s_adjudicate(self);
        s_metrics(self);
        s_extend(self);
        s_try_resume(self);
        //  heartbeats and the broker's liveness (a worker whose queue of
        //  work is full reads nothing more until it has room: what waits
        //  unread is not the broker's silence)
        if (self->n_pending >= S_MAX_PENDING)
            self->last_recv = self->now;
        int64_t silence = self->now - self->last_recv;
        int64_t limit = 3 * (int64_t)self->broker_hb;
        if ((reconnect || self->reconnect_pending) && !self->stopping &&
            self->now < self->connect_at) {
            //  (a pair's brokers both said "not me": wait, then try again)
            self->reconnect_pending = true;
            self->last_recv = self->now;
        } else if (reconnect || self->reconnect_pending || silence > limit) {
            reconnect = reconnect || self->reconnect_pending;
            self->reconnect_pending = false;
            if (self->stopping) {
                if (self->n_pending == 0 && self->intake_inflight == 0)
                    break; // no broker to say goodbye to
            } else if (!self->paused || reconnect) {
                if (!reconnect) {
                    cq_log_warn(NULL,
                                "broker silent for %" PRId64
                                " ms: connecting again",
                                silence);
                    self->rotate = true;
                }
                if (self->paused) // (registers when the ledger is back)
                    self->last_recv = self->now;
                else
                    s_connect(self);
                continue;
            }
        }
        //  (nothing for a passive broker while waiting to leave it: a
        //  worker that talks to it would count as one that came to it)
        if (!self->reconnect_pending &&
            self->now - self->last_send >= (int64_t)self->cfg.heartbeat_ms) {
            cq_proto_empty_encode(&self->w);
            s_send(self, CQ_CMD_HEARTBEAT, &self->w);
        }
    }
    free(items);
    if (self->history_mismatches)
        cq_log_warn(NULL,
                    "%" PRIu64 " of %" PRIu64 " history claims decided "
                    "otherwise than the journal",
                    self->history_mismatches, self->history_claims);
    cq_log_notice(NULL, "stopped: %" PRIu64 " claims decided", self->decided);
    return result;
}

const char *
cq_worker_metrics_url(const cq_worker_t *self)
{
    return self->metrics ? cq_metrics_url(self->metrics) : NULL;
}

void
cq_worker_destroy(cq_worker_t **self_p)
{
    assert(self_p);
    cq_worker_t *self = *self_p;
    if (self == NULL)
        return;
    for (uint32_t i = 0; i < self->n_intake; i++)
        zactor_destroy(&self->intake[i]);
    free(self->intake);
    free(self->intake_fifo);
    free(self->tally);
    free(self->round_tally);
    s_drop_pending(self);
    cq_curve_watch_destroy(&self->watch);
    zsock_destroy(&self->dealer);
    cq_curve_client_fini(&self->curve);
    cq_metrics_stop(&self->metrics);
    for (uint32_t i = 0; i < S_MAX_PENDING; i++)
        cq_mpw_free(&self->results[i]);
    cq_mpw_free(&self->w);
    if (self->in) {
        cq_wire_msg_close(self->in);
        free(self->in);
    }
    cq_marker_close(self->marker);
    cq_state_destroy(&self->state);
    cq_ledger_destroy(&self->ledger);
    cq_engine_destroy(&self->engine);
    free(self->node_id);
    free(self->broker);
    for (int i = 0; i < self->n_eps; i++)
        free(self->eps[i]);
    free(self);
    *self_p = NULL;
}
