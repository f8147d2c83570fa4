//  backend.c: worker sessions on the backend ROUTER (schemas/proto.md §6).
//
//  A worker registers with READY (node id, credit, rules, and where its
//  ledger stands); the broker answers WELCOME and, after the turn's
//  commit, ORPHANS for the ledger rows the journal never took. It then
//  gets INTAKE and ADJUDICATE under leases (leases.c), HISTORY before the
//  first claims of a shard it did not own (shards.c), and answers with
//  INTAKE_DONE and RESULT; EXTEND keeps long intake leases alive; PAUSE
//  says its ledger cannot be written (its work goes to others until it
//  registers again); GOODBYE starts a clean stop. Every message is
//  decoded by proto.c's bounded decoders before anything is used, and
//  every drop is counted (guarantees 4 and 5).
#include "broker_int.h"
#include "log.h"
#include "mem.h"
#include "shard.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
cqb_count_drop(cq_broker_t *self, int rc, const cq_diag_t *diag,
               const char *side)
{
    switch (rc) {
    case CQ_ETOOBIG:
        self->k[K_OVERSIZED]++;
        break;
    case CQ_EUNSUPPORTED:
        self->k[K_BAD_VERSION]++;
        break;
    case CQ_ENOTFOUND:
        self->k[K_UNKNOWN_COMMAND]++;
        break;
    default:
        self->k[K_MALFORMED]++;
        break;
    }
    //  rate-limited: protocol noise must not flood the log
    static int64_t last;
    static uint64_t quiet;
    if (self->now - last >= 1000) {
        cq_log_warn(NULL, "%s: message dropped: %s%s", side, diag->msg,
                    quiet ? " (and others)" : "");
        last = self->now;
        quiet = 0;
    } else {
        quiet++;
    }
}

int
cqb_parse(cq_broker_t *self, cq_wire_msg_t *in, const char *side)
{
    self->k[K_MSGS_IN]++;
    if (in->n < 1 || zmq_msg_size(&in->parts[0]) == 0 ||
        zmq_msg_size(&in->parts[0]) > 255) {
        self->k[K_MALFORMED]++;
        return CQ_EPROTO;
    }
    cq_diag_t diag = {0};
    int rc = cq_wire_parse(in, self->cfg.max_frame, &diag);
    if (rc != 0)
        cqb_count_drop(self, rc, &diag, side);
    return rc;
}

static void
s_send_to(cq_broker_t *self, const uint8_t *rid, size_t len, cq_cmd_t cmd)
{
    int rc = cq_wire_send(self->back, rid, len, cmd, self->w.data, self->w.len,
                          NULL, 0, ZMQ_DONTWAIT);
    if (rc == 0)
        self->k[K_MSGS_OUT]++;
    else if (rc == CQ_EBUSY)
        self->k[K_PEER_BUSY]++;
    else
        self->k[K_UNDELIVERABLE]++;
}

static void
s_disconnect(cq_broker_t *self, const uint8_t *rid, size_t len, const char *why)
{
    cq_proto_disconnect_encode(&self->w, why, CQ_DISCONNECT_AGAIN);
    s_send_to(self, rid, len, CQ_CMD_DISCONNECT);
}

//  True when the registration of worker o is alive: heard from within two
//  heartbeats, and its connection is there (the ROUTER refuses a message
//  to a connection that is gone).
static bool
s_session_alive(cq_broker_t *self, cqb_worker_t *o)
{
    uint32_t hb = o->hb_ms ? o->hb_ms : self->cfg.heartbeat_ms;
    if (self->now - o->last_recv > 2 * (int64_t)hb)
        return false;
    cq_proto_empty_encode(&self->w);
    int rc = cq_wire_send(self->back, o->rid, o->rid_len, CQ_CMD_HEARTBEAT,
                          self->w.data, self->w.len, NULL, 0, ZMQ_DONTWAIT);
    if (rc == 0) {
        self->k[K_MSGS_OUT]++;
        o->last_send = self->now;
    }
    return rc == 0 || rc == CQ_EBUSY;
}

//  The worker's previous process died while working on an item and says
//  which: a strike against it (when it was delivered by this broker run
//  and is still waiting).
static void
s_crash_report(cq_broker_t *self, const cq_msg_ready_t *m)
{
    if (m->crash_kind == 0 || (m->crash_lease >> S_TOKEN_SHIFT) != self->epoch)
        return;
    bool doc = m->crash_kind == 2;
    if (m->crash_id >= (doc ? self->n_docs : self->n_claims))
        return;
    cqb_strike(self, doc, (uint32_t)m->crash_id, m->node_id,
               "the worker died while working on it");
    uint8_t strikes = doc ? self->docs[m->crash_id]->strikes
                          : self->claims[m->crash_id].strikes;
    if (strikes < self->cfg.max_attempts)
        return;
    char why[96];
    snprintf(why, sizeof why, "workers died %u times while working on it",
             strikes);
    if (doc) {
        cqb_doc_t *d = self->docs[m->crash_id];
        if (d->state == D_QUEUED) {
            //  out of the intake queue first
            cq_deque_t keep;
            cq_deque_init(&keep);
            while (self->intake_q.n > 0) {
                uint32_t x = cq_deque_pop_front(&self->intake_q);
                if (x != m->crash_id)
                    cq_deque_push_back(&keep, x);
            }
            cq_deque_free(&self->intake_q);
            self->intake_q = keep;
            self->intake_q_bytes -= d->size;
            cqb_quarantine(self, true, (uint32_t)m->crash_id, why);
        }
    } else {
        cqb_claim_t *c = &self->claims[m->crash_id];
        if (c->state == C_QUEUED) {
            cq_deque_t *q = &self->shards[c->shard].q, keep;
            cq_deque_init(&keep);
            while (q->n > 0) {
                uint32_t x = cq_deque_pop_front(q);
                if (x != m->crash_id)
                    cq_deque_push_back(&keep, x);
                else
                    self->adj_queued--;
            }
            cq_deque_free(q);
            *q = keep;
            cqb_quarantine(self, false, (uint32_t)m->crash_id, why);
        }
    }
}

static void
s_on_ready(cq_broker_t *self, cq_wire_msg_t *in, uint32_t wi)
{
    const uint8_t *rid = zmq_msg_data(&in->parts[0]);
    size_t rid_len = zmq_msg_size(&in->parts[0]);
    cq_msg_ready_t m;
    cq_diag_t diag = {0};
    if (cq_proto_ready_decode(in->body, in->body_len, &m, &diag) != 0) {
        self->k[K_MALFORMED]++;
        cq_log_warn(NULL, "READY dropped: %s", diag.msg);
        return;
    }
    if (wi != S_NONE) // the same connection registers again: start over
        cqb_worker_gone(self, wi, W_LEFT, "registered again");
    //  The same node id on another connection: the node restarted or
    //  reconnected (the old registration is dead), unless the old session
    //  is alive: then two workers were given one id, and the new one is
    //  refused (it stops and says why) rather than taking turns with the
    //  other.
    uint32_t slot = S_NONE;
    for (uint32_t i = 0; i < self->n_workers; i++) {
        cqb_worker_t *o = &self->workers[i];
        if (strcmp(o->node_id, m.node_id) != 0)
            continue;
        if (o->state != W_DEAD && o->state != W_LEFT &&
            s_session_alive(self, o)) {
            self->k[K_NODE_ID_REFUSED]++;
            cq_msg_welcome_t wm;
            memset(&wm, 0, sizeof wm);
            wm.accepted = false;
            wm.code = CQ_WELCOME_NODE_ID;
            snprintf(wm.reason, sizeof wm.reason,
                     "node id %s is live on another connection "
                     "(registered %" PRId64 " s ago)",
                     m.node_id, (self->wall - o->since_ms) / 1000);
            cq_strlcpy(wm.rules_version, self->rules_version,
                       sizeof wm.rules_version);
            wm.heartbeat_ms = self->cfg.heartbeat_ms;
            wm.shards = self->n_shards;
            wm.epoch = self->epoch;
            cq_proto_welcome_encode(&self->w, &wm);
            s_send_to(self, rid, rid_len, CQ_CMD_WELCOME);
            static int64_t last_log;
            if (self->now - last_log >= 1000) {
                last_log = self->now;
                cq_log_warn(NULL,
                            "worker %s refused: its node id is live "
                            "on another connection",
                            m.node_id);
            }
            return;
        }
        if (o->state != W_DEAD && o->state != W_LEFT) {
            s_disconnect(self, o->rid, o->rid_len, "replaced by a new session");
            cqb_worker_gone(self, i, W_DEAD, "replaced by a new session");
        }
        slot = i;
    }
    if (slot == S_NONE) {
        S_GROW(self->workers, self->n_workers, self->cap_workers);
        slot = self->n_workers++;
        memset(&self->workers[slot], 0, sizeof self->workers[slot]);
        cq_mpw_init(&self->workers[slot].out);
    }
    cqb_worker_t *w = &self->workers[slot];
    memcpy(w->rid, rid, rid_len);
    w->rid_len = rid_len;
    cq_strlcpy(w->node_id, m.node_id, sizeof w->node_id);
    cq_strlcpy(w->rules_version, m.rules_version, sizeof w->rules_version);
    cq_strlcpy(w->host, m.host, sizeof w->host);
    w->rate_base = w->decided;
    w->rate_at = self->now;
    w->rate = 0;
    w->gen++;
    w->credit = m.credit;
    w->intake_credit = m.intake_credit;
    w->hb_ms = m.heartbeat_ms;
    w->inflight = w->intake_inflight = w->shards = 0;
    w->last_recv = w->last_send = self->now;
    w->since_ms = self->wall;
    w->out_lease = S_NONE;
    w->why[0] = '\0';
    w->ledger = S_NONE;
    w->orphan_check = false;
    w->goodbye_held = false;
    if (m.ledger_id[0] != '\0') {
        w->ledger = cqb_ledger_find(self, m.ledger_id, true);
        w->orphan_check = true; // once the journal holds what it has now
        w->orphan_gen = cqb_recorded(self);
        w->ready_seq = m.ledger_seq;
        w->ready_resolved = m.resolved_seq;
    }
    s_crash_report(self, &m);
    cq_msg_welcome_t wm;
    memset(&wm, 0, sizeof wm);
    if (self->rules_version[0] == '\0' && m.rules_version[0] != '\0')
        cq_strlcpy(self->rules_version, m.rules_version,
                   sizeof self->rules_version);
    if (strcmp(self->rules_version, m.rules_version) == 0) {
        w->state = W_LIVE;
        wm.accepted = true;
        self->rebalance = true;
        cq_log_notice(NULL, "worker %s ready: credit %u, intake %u", w->node_id,
                      w->credit, w->intake_credit);
    } else {
        w->state = W_MISMATCH;
        wm.accepted = false;
        wm.code = CQ_WELCOME_RULES;
        snprintf(wm.reason, sizeof wm.reason,
                 "rules version differs from the cluster's (%.72s)",
                 self->rules_version);
        cq_strlcpy(w->why, wm.reason, sizeof w->why);
        cq_log_warn(NULL, "worker %s refused: rules %s, cluster %s", w->node_id,
                    m.rules_version, self->rules_version);
    }
    cq_strlcpy(wm.rules_version, self->rules_version, sizeof wm.rules_version);
    wm.heartbeat_ms = self->cfg.heartbeat_ms;
    wm.shards = self->n_shards;
    wm.epoch = self->epoch;
    cq_proto_welcome_encode(&self->w, &wm);
    cqb_send_worker(self, w, CQ_CMD_WELCOME, &self->w, NULL, 0);
}

//  A lease that the holder broke (a malformed reply): take the work back.
static void
s_lease_broken(cq_broker_t *self, uint32_t li, const char *what,
               const cq_diag_t *diag)
{
    self->k[K_MALFORMED]++;
    cq_log_warn(NULL, "%s from %s dropped: %s; its work is requeued", what,
                self->workers[self->leases[li].worker].node_id,
                diag ? diag->msg : "");
    cqb_lease_requeue(self, li, true, UINT32_MAX,
                      "its worker sent a malformed reply");
}

//  Finds the lease of token held by worker wi of kind, or S_NONE (and
//  counts a stale reply).
static uint32_t
s_lease_of(cq_broker_t *self, uint64_t token, uint32_t wi, int kind)
{
    uint32_t li;
    if (!cq_u64map_get(&self->lease_map, token, &li) ||
        self->leases[li].worker != wi || self->leases[li].kind != kind) {
        self->k[K_STALE_RESULTS]++;
        return S_NONE;
    }
    return li;
}

static void
s_on_intake_done(cq_broker_t *self, cq_wire_msg_t *in, uint32_t wi)
{
    cq_msg_intake_done_t m;
    cq_diag_t diag = {0};
    if (cq_proto_intake_done_decode(in->body, in->body_len, &m, &diag) != 0) {
        self->k[K_MALFORMED]++;
        cq_log_warn(NULL, "INTAKE_DONE dropped: %s", diag.msg);
        return;
    }
    uint32_t li = s_lease_of(self, m.lease, wi, L_INTAKE);
    if (li == S_NONE)
        return;
    uint32_t di = self->leases[li].doc;
    cqb_doc_t *d = self->docs[di];
    if (m.doc_id != di || m.part != d->next_part) {
        cq_diag_set(&diag, CQ_EPROTO, 0,
                    "part %u of document %" PRIu64 ", expected %u of %u",
                    m.part, m.doc_id, d->next_part, di);
        s_lease_broken(self, li, "INTAKE_DONE", &diag);
        return;
    }
    //  Validate every claim of the part before keeping any.
    uint32_t pn0 = d->pn;
    size_t pbuf0 = d->pbuf.len, pkeys0 = d->pkeys.len;
    const uint8_t *raw;
    size_t raw_len;
    int rc;
    while ((rc = cq_proto_intake_done_next(&m, &self->claim, &raw, &raw_len,
                                           &diag)) == 1) {
        if (d->pn >= UINT32_MAX / 2) {
            rc = cq_diag_set(&diag, CQ_ETOOBIG, 0, "too many claims");
            break;
        }
        char key[CQ_KEY_LEN];
        cq_claim_key(&self->claim, key);
        size_t klen = strlen(key);
        if (d->pn == d->pcap) {
            d->pcap = d->pcap ? d->pcap * 2 : 64;
            d->pv = cq_xrealloc(d->pv, d->pcap * sizeof *d->pv);
        }
        cqb_pclaim_t *p = &d->pv[d->pn++];
        p->off = (uint32_t)d->pbuf.len;
        p->len = (uint32_t)raw_len;
        p->key_off = (uint32_t)d->pkeys.len;
        p->key_len = (uint32_t)klen;
        p->key_hash = cqb_str_hash(key);
        p->shard =
            cq_shard_of(cq_claim_member_hash(&self->claim), self->n_shards);
        cq_mpw_raw(&d->pbuf, raw, raw_len);
        cq_mpw_raw(&d->pkeys, key, klen + 1);
    }
    if (rc != 0) {
        d->pn = pn0;
        d->pbuf.len = pbuf0;
        d->pkeys.len = pkeys0;
        s_lease_broken(self, li, "INTAKE_DONE", &diag);
        return;
    }
    d->next_part++;
    if (!m.last)
        return;
    cqb_worker_t *w = &self->workers[wi];
    if (w->intake_inflight > 0)
        w->intake_inflight--;
    w->intake_done++;
    d->status = m.status;
    free(d->message);
    d->message = NULL;
    if (m.status < 0 || m.message[0] != '\0') {
        //  The document failed part way: the claims read before the
        //  failure still count (proto.md), as in `claimq adjudicate`.
        //  (A message with status 0: what was refused in it.)
        d->message = cq_xstrdup(m.message);
    }
    d->refused_sets = m.refused_sets;
    d->refused_claims = m.refused_claims;
    free(d->ack);
    d->ack = NULL;
    d->ack_len = 0;
    if (m.ack_len > 0) {
        d->ack = cq_xmalloc(m.ack_len);
        memcpy(d->ack, m.ack, m.ack_len);
        d->ack_len = (uint32_t)m.ack_len;
    }
    d->state = D_PARKED;
    d->lease = 0;
    if (d->has_data) { // decoded: the bytes are no longer needed
        zmq_msg_close(&d->data);
        d->has_data = false;
    }
    cqb_lease_free(self, li);
    cqb_doc_parked(self, di);
}

//  The claim of a RESULT item, taken off its lease (its credit returned),
//  or NULL when it is not leased under l any more (counted stale).
static cqb_claim_t *
s_item_take(cq_broker_t *self, cqb_worker_t *w, cqb_lease_t *l, uint64_t cid)
{
    cqb_claim_t *c = &self->claims[cid];
    if (c->state != C_LEASED || c->lease != l->token) {
        self->k[K_STALE_RESULTS]++;
        return NULL;
    }
    if (w->inflight > 0)
        w->inflight--;
    if (l->remaining > 0)
        l->remaining--;
    cqb_shard_t *sh = &self->shards[c->shard];
    if (sh->inflight > 0)
        sh->inflight--;
    return c;
}

static void
s_on_result(cq_broker_t *self, cq_wire_msg_t *in, uint32_t wi)
{
    cq_msg_result_t m;
    cq_diag_t diag = {0};
    if (cq_proto_result_decode(in->body, in->body_len, &m, &diag) != 0) {
        self->k[K_MALFORMED]++;
        cq_log_warn(NULL, "RESULT dropped: %s", diag.msg);
        return;
    }
    uint32_t li = s_lease_of(self, m.lease, wi, L_ADJ);
    if (li == S_NONE)
        return;
    cqb_worker_t *w = &self->workers[wi];
    uint64_t token = self->leases[li].token;
    //  First pass: validate every item (the lease is broken otherwise).
    cq_msg_result_t m2 = m;
    uint64_t cid;
    int32_t status;
    const uint8_t *raw;
    size_t raw_len;
    int rc;
    while ((rc = cq_proto_result_next(&m2, &cid, &status, &self->decision, &raw,
                                      &raw_len, &diag)) == 1) {
        if (cid >= self->n_claims) {
            rc =
                cq_diag_set(&diag, CQ_EPROTO, 0, "unknown claim %" PRIu64, cid);
            break;
        }
        if (status == 0) {
            char key[CQ_KEY_LEN];
            snprintf(key, sizeof key, "%s|%s|%s|%c", self->decision.payer_id,
                     self->decision.billing_npi, self->decision.claim_id,
                     self->decision.frequency ? self->decision.frequency : '1');
            if (strcmp(key, self->claims[cid].key) != 0) {
                rc = cq_diag_set(
                    &diag, CQ_EPROTO, 0,
                    "decision for claim %" PRIu64 " names another claim", cid);
                break;
            }
        }
    }
    if (rc != 0) {
        s_lease_broken(self, li, "RESULT", &diag);
        return;
    }
    cqb_lease_t *l = &self->leases[li];
    const char *ledger_id =
        w->ledger != S_NONE ? self->ledgers[w->ledger].id : "";
    //  Decisions first, as one journal row (a claim the worker could not
    //  decide is handled after: it may write events of its own).
    cq_msg_result_t m3 = m;
    uint32_t result = self->next_result;
    if (self->journal)
        cq_journal_result_begin(self->journal, result, w->node_id, ledger_id,
                                token, self->wall);
    while (cq_proto_result_next(&m, &cid, &status, &self->decision, &raw,
                                &raw_len, &diag) == 1) {
        if (status < 0)
            continue;
        cqb_claim_t *c = s_item_take(self, w, l, cid);
        if (c == NULL)
            continue;
        c->dec_seq = ++self->dec_seq;
        c->result = result;
        c->ledger = w->ledger;
        if (self->journal)
            cq_journal_result_item(self->journal, (uint32_t)cid, c->dec_seq,
                                   (uint64_t)self->decision.ledger_seq,
                                   (int)self->decision.decision, raw, raw_len);
        if (w->ledger != S_NONE && self->decision.ledger_seq > 0)
            cqb_ledger_set(self, w->ledger,
                           (uint64_t)self->decision.ledger_seq);
        cqb_claim_decided(self, (uint32_t)cid, raw, raw_len,
                          (uint8_t)self->decision.decision);
        w->decided++;
        self->k[K_DECIDED]++;
        cqb_claim_final(self, (uint32_t)cid);
        if (c->outcome == CQ_DECISION_PEND)
            cqb_review_pended(self, (uint32_t)cid, self->wall);
    }
    if (self->journal)
        cq_journal_result_end(self->journal);
    self->next_result++;
    while (cq_proto_result_next(&m3, &cid, &status, &self->decision, &raw,
                                &raw_len, &diag) == 1) {
        if (status >= 0)
            continue;
        cqb_claim_t *c = s_item_take(self, w, l, cid);
        if (c == NULL)
            continue;
        cqb_shard_t *sh = &self->shards[c->shard];
        c->lease = 0;
        //  The worker could not decide it. Retryable errors (its store
        //  was busy) are no fault of the claim's; others are.
        c->state = C_QUEUED;
        char why[96];
        snprintf(why, sizeof why, "%s could not decide it: %s", w->node_id,
                 cq_strerror(status));
        if (!CQ_ERR_RETRYABLE(status))
            cqb_strike(self, false, (uint32_t)cid, w->node_id, why);
        if (c->strikes >= self->cfg.max_attempts) {
            cqb_quarantine(self, false, (uint32_t)cid, why);
        } else {
            cq_deque_push_front(&sh->q, (uint32_t)cid);
            self->adj_queued++;
            self->k[K_REQUEUED_CLAIMS]++;
        }
    }
    if (l->remaining == 0)
        cqb_lease_free(self, li);
}

static void
s_on_goodbye(cq_broker_t *self, uint32_t wi)
{
    cqb_worker_t *w = &self->workers[wi];
    if (w->state == W_LIVE || w->state == W_MISMATCH || w->state == W_PAUSED) {
        w->state = W_STOPPING;
        self->rebalance = true; // its shards move away (when quiet)
        cq_log_notice(NULL,
                      "worker %s stopping: %u claims, %u documents in "
                      "flight",
                      w->node_id, w->inflight, w->intake_inflight);
    }
    //  (after the orphan check of its registration: a node that stops
    //  right after registering still learns which of its rows are orphans)
    if (w->orphan_check) {
        w->goodbye_held = true;
        return;
    }
    cq_proto_empty_encode(&self->w);
    cqb_send_worker(self, w, CQ_CMD_GOODBYE_OK, &self->w, NULL, 0);
}

static void
s_on_extend(cq_broker_t *self, cq_wire_msg_t *in, uint32_t wi)
{
    cq_msg_extend_t *m = cq_xmalloc(sizeof *m);
    cq_diag_t diag = {0};
    if (cq_proto_extend_decode(in->body, in->body_len, m, &diag) != 0) {
        self->k[K_MALFORMED]++;
        free(m);
        return;
    }
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t li;
        if (!cq_u64map_get(&self->lease_map, m->leases[i], &li) ||
            self->leases[li].worker != wi || self->leases[li].kind != L_INTAKE)
            continue; // (a lease it lost meanwhile: nothing to extend)
        cqb_lease_t *l = &self->leases[li];
        int64_t cap = l->started + (int64_t)self->cfg.max_intake_ms;
        int64_t want = self->now + (int64_t)self->cfg.intake_lease_ms;
        l->deadline = want < cap ? want : cap;
    }
    free(m);
}

static void
s_on_pause(cq_broker_t *self, cq_wire_msg_t *in, uint32_t wi)
{
    char reason[CQ_PROTO_MSG_LEN] = "";
    if (cq_proto_reason_decode(in->body, in->body_len, reason, NULL) != 0) {
        self->k[K_MALFORMED]++;
        return;
    }
    cqb_worker_t *w = &self->workers[wi];
    if (w->state == W_PAUSED)
        return;
    char why[CQ_PROTO_MSG_LEN];
    snprintf(why, sizeof why, "paused: %.200s", reason[0] ? reason : "?");
    cqb_worker_gone(self, wi, W_PAUSED, why);
}

void
cqb_on_backend(cq_broker_t *self, cq_wire_msg_t *in)
{
    if (cqb_parse(self, in, "backend") != 0)
        return;
    const uint8_t *rid = zmq_msg_data(&in->parts[0]);
    size_t rid_len = zmq_msg_size(&in->parts[0]);
    uint32_t wi = cqb_worker_by_rid(self, rid, rid_len);
    if (!cqb_auth_who(self, in)) {
        //  (its leases run out; it is declared dead when silent)
        cq_log_warn(NULL, "backend: a worker's key was revoked; told to stop");
        cq_proto_disconnect_encode(&self->w,
                                   "this worker's key is no longer in the "
                                   "broker's allow-list (revoked)",
                                   CQ_DISCONNECT_REFUSED);
        s_send_to(self, rid, rid_len, CQ_CMD_DISCONNECT);
        return;
    }
    if (in->cmd == CQ_CMD_READY) {
        s_on_ready(self, in, wi);
        return;
    }
    if (in->cmd >= CQ_CMD_SUBMIT) {
        //  A client on the workers' endpoint: told so, not left waiting.
        self->k[K_WRONG_ENDPOINT]++;
        cq_proto_disconnect_encode(
            &self->w,
            "this is the broker's worker endpoint (backend); clients "
            "connect to its client endpoint (frontend, `claimq-broker "
            "--frontend`)",
            CQ_DISCONNECT_WRONG_EP);
        s_send_to(self, rid, rid_len, CQ_CMD_DISCONNECT);
        return;
    }
    if (wi == S_NONE) {
        //  Not registered (or declared dead): it must READY again. A reply
        //  of work it held is a stale result too (its leases are gone).
        self->k[K_UNKNOWN_PEER]++;
        if (in->cmd == CQ_CMD_RESULT || in->cmd == CQ_CMD_INTAKE_DONE)
            self->k[K_STALE_RESULTS]++;
        s_disconnect(self, rid, rid_len, "not registered: send READY");
        return;
    }
    self->workers[wi].last_recv = self->now;
    switch (in->cmd) {
    case CQ_CMD_HEARTBEAT:
        break;
    case CQ_CMD_INTAKE_DONE:
        s_on_intake_done(self, in, wi);
        break;
    case CQ_CMD_RESULT:
        s_on_result(self, in, wi);
        break;
    case CQ_CMD_GOODBYE:
        s_on_goodbye(self, wi);
        break;
    case CQ_CMD_EXTEND:
        s_on_extend(self, in, wi);
        break;
    case CQ_CMD_PAUSE:
        s_on_pause(self, in, wi);
        break;
    default:
        self->k[K_UNEXPECTED]++;
        break;
    }
    cqb_worker_t *w = &self->workers[wi];
    if (w->state == W_STOPPING && w->inflight == 0 && w->intake_inflight == 0)
        cqb_worker_gone(self, wi, W_LEFT, "stopped");
}

uint32_t
cqb_workers_live(const cq_broker_t *self)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < self->n_workers; i++)
        if (cqb_eligible(&self->workers[i]))
            n++;
    return n;
}

void
cqb_workers_tick(cq_broker_t *self)
{
    for (uint32_t i = 0; i < self->n_workers; i++) {
        cqb_worker_t *w = &self->workers[i];
        if (w->state == W_DEAD || w->state == W_LEFT)
            continue;
        if (self->now - w->rate_at >= 1000) {
            //  claims/s over the last second or so, smoothed
            uint64_t d = w->decided - w->rate_base;
            double r = (double)d * 1000.0 / (double)(self->now - w->rate_at);
            w->rate = (uint32_t)(w->rate ? 0.5 * w->rate + 0.5 * r : r);
            w->rate_base = w->decided;
            w->rate_at = self->now;
        }
        uint32_t hb = w->hb_ms ? w->hb_ms : self->cfg.heartbeat_ms;
        if (self->now - w->last_recv > 3 * (int64_t)hb) {
            cqb_worker_gone(self, i, W_DEAD, "silent for 3 heartbeats");
            continue;
        }
        if (self->now - w->last_send >= (int64_t)self->cfg.heartbeat_ms) {
            cq_proto_empty_encode(&self->w);
            if (cqb_send_worker(self, w, CQ_CMD_HEARTBEAT, &self->w, NULL, 0) ==
                CQ_EUNREACH)
                cqb_worker_gone(self, i, W_DEAD, "unreachable");
        }
    }
    cqb_leases_expire(self);
}
