//  leases.c: workers, leases, dispatch by credit, poison.
//
//  Guarantee 2 (decided once): every delivery (INTAKE, ADJUDICATE) is a
//  lease with a fencing token that is never reused, even across restarts
//  (epoch << 40 | counter), and a deadline. A reply is taken only under a
//  live lease held by its sender; when a worker dies, pauses, or holds a
//  lease past its deadline, the work goes back to the heads of its queues
//  in its original order and is delivered again under a new token, and a
//  late reply under the old one is refused (stale_results). Rows a worker
//  wrote under a lease it lost are orphans: the broker tells it which
//  (cqb_orphan_checks), so they never count.
//
//  Guarantee 6 (poison is contained): a claim or document gets a strike
//  when a delivery certainly failed because of it (its lease expired; the
//  worker died while working on it and said so when it came back); at
//  --max-attempts strikes it is quarantined with its history, and the
//  rest goes on. A delivery lost for no known reason (a worker killed
//  while holding a whole ADJUDICATE) is not held against each of its
//  claims; only a claim delivered S_DELIVERIES_CAP_MUL times as often
//  without an answer is quarantined for that.
#include "broker_int.h"
#include "log.h"
#include "mem.h"
#include "shard.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool
cqb_eligible(const cqb_worker_t *w)
{
    return w->state == W_LIVE;
}

uint32_t
cqb_worker_by_rid(cq_broker_t *self, const uint8_t *rid, size_t len)
{
    for (uint32_t i = 0; i < self->n_workers; i++) {
        cqb_worker_t *w = &self->workers[i];
        if (w->state != W_DEAD && w->state != W_LEFT && w->rid_len == len &&
            memcmp(w->rid, rid, len) == 0)
            return i;
    }
    return S_NONE;
}

int
cqb_send_worker(cq_broker_t *self, cqb_worker_t *w, cq_cmd_t cmd,
                const cq_mpw_t *body, zmq_msg_t *extra, int n_extra)
{
    int rc = cq_wire_send(self->back, w->rid, w->rid_len, cmd, body->data,
                          body->len, extra, n_extra, ZMQ_DONTWAIT);
    if (rc == 0) {
        self->k[K_MSGS_OUT]++;
        w->last_send = self->now;
    } else if (rc == CQ_EBUSY) {
        self->k[K_PEER_BUSY]++;
    } else {
        self->k[K_UNDELIVERABLE]++;
    }
    return rc;
}

//  ---- leases ----------------------------------------------------------------

uint32_t
cqb_lease_new(cq_broker_t *self, int kind, uint32_t worker)
{
    uint32_t li;
    if (self->free_lease != S_NONE) {
        li = self->free_lease;
        self->free_lease = self->leases[li].next_free;
    } else {
        S_GROW(self->leases, self->n_leases, self->cap_leases);
        li = self->n_leases++;
        memset(&self->leases[li], 0, sizeof self->leases[li]);
    }
    cqb_lease_t *l = &self->leases[li];
    l->token = (self->epoch << S_TOKEN_SHIFT) | ++self->next_token;
    l->kind = kind;
    l->worker = worker;
    l->doc = S_NONE;
    l->n = l->remaining = 0;
    l->started = self->now;
    l->deadline =
        self->now + (int64_t)(kind == L_INTAKE ? self->cfg.intake_lease_ms
                                               : self->cfg.lease_ms);
    cq_u64map_put(&self->lease_map, l->token, li);
    return li;
}

void
cqb_lease_free(cq_broker_t *self, uint32_t li)
{
    cqb_lease_t *l = &self->leases[li];
    cq_u64map_del(&self->lease_map, l->token);
    l->kind = L_FREE;
    l->token = 0;
    l->n = l->remaining = 0;
    l->next_free = self->free_lease;
    self->free_lease = li;
}

//  ---- poison ------------------------------------------------------------

void
cqb_fail_note(cq_broker_t *self, bool doc, uint32_t id, const char *node,
              const char *what)
{
    //  bounded: the oldest notes go (quarantine keeps its own copy)
    if (self->n_fails >= 100000) {
        memmove(self->fails, self->fails + 50000,
                (self->n_fails - 50000) * sizeof *self->fails);
        self->n_fails -= 50000;
    }
    S_GROW(self->fails, self->n_fails, self->cap_fails);
    cqb_fail_t *f = &self->fails[self->n_fails++];
    f->doc = doc;
    f->target = id;
    f->at_ms = self->wall;
    cq_strlcpy(f->node, node ? node : "", sizeof f->node);
    cq_strlcpy(f->what, what, sizeof f->what);
}

void
cqb_quarantine(cq_broker_t *self, bool doc, uint32_t id, const char *why)
{
    self->k[K_QUARANTINED]++;
    cqb_fail_note(self, doc, id, NULL, why);
    if (self->journal)
        cq_journal_event(self->journal,
                         doc ? "doc_quarantined" : "claim_quarantined", id,
                         NULL, 0, why, self->wall);
    if (!doc) {
        cqb_claim_t *c = &self->claims[id];
        c->state = C_FAILED;
        c->lease = 0;
        self->k[K_CLAIMS_FAILED]++;
        cq_log_warn(NULL, "claim %u quarantined: %s", id, why);
        cqb_claim_final(self, id);
        return;
    }
    cqb_doc_t *d = self->docs[id];
    d->status = CQ_ETIMEDOUT;
    d->quarantined = true;
    free(d->message);
    char msg[CQ_PROTO_MSG_LEN];
    snprintf(msg, sizeof msg,
             "document quarantined: %s (see `claimq quarantine show doc:%u`)",
             why, id);
    d->message = cq_xstrdup(msg);
    d->state = D_PARKED;
    d->lease = 0;
    d->pn = 0;
    //  its bytes stay (in memory, and in the journal) for a release
    cq_log_warn(NULL, "document %u quarantined: %s", id, why);
    cqb_doc_parked(self, id);
}

void
cqb_strike(cq_broker_t *self, bool doc, uint32_t id, const char *node,
           const char *why)
{
    uint8_t *strikes;
    if (doc) {
        if (id >= self->n_docs || self->docs[id]->state == D_DONE)
            return;
        strikes = &self->docs[id]->strikes;
    } else {
        if (id >= self->n_claims || self->claims[id].state == C_DECIDED ||
            self->claims[id].state == C_FAILED)
            return;
        strikes = &self->claims[id].strikes;
    }
    if (*strikes < UINT8_MAX)
        (*strikes)++;
    cqb_fail_note(self, doc, id, node, why);
    if (self->journal)
        cq_journal_event(self->journal, doc ? "doc_attempt" : "claim_attempt",
                         id, node, *strikes, why, self->wall);
    cq_log_notice(NULL, "%s %u: attempt %u of %u failed: %s",
                  doc ? "document" : "claim", id, *strikes,
                  self->cfg.max_attempts, why);
}

//  Whether an item that just lost a delivery goes back to its queue (else
//  it was quarantined).
static bool
s_after_loss(cq_broker_t *self, bool doc, uint32_t id, uint8_t strikes,
             uint8_t deliveries, bool blame, const char *node, const char *why)
{
    if (blame)
        cqb_strike(self, doc, id, node, why);
    strikes = doc ? self->docs[id]->strikes : self->claims[id].strikes;
    char msg[160];
    if (strikes >= self->cfg.max_attempts) {
        snprintf(msg, sizeof msg, "failed %u times (last: %s)", strikes, why);
        cqb_quarantine(self, doc, id, msg);
        return false;
    }
    if (deliveries >= self->cfg.max_attempts * S_DELIVERIES_CAP_MUL) {
        snprintf(msg, sizeof msg,
                 "delivered %u times without an answer (last: %s)", deliveries,
                 why);
        cqb_quarantine(self, doc, id, msg);
        return false;
    }
    return true;
}

void
cqb_lease_requeue(cq_broker_t *self, uint32_t li, bool blame, uint32_t counted,
                  const char *why)
{
    cqb_lease_t *l = &self->leases[li];
    cqb_worker_t *w = &self->workers[l->worker];
    if (l->kind == L_INTAKE) {
        uint32_t di = l->doc;
        cqb_doc_t *d = self->docs[di];
        cqb_doc_parts_free(d);
        if (w->intake_inflight > 0)
            w->intake_inflight--;
        d->lease = 0;
        if (counted == 0 && d->deliveries > 0)
            d->deliveries--;
        cqb_lease_free(self, li);
        if (s_after_loss(self, true, di, d->strikes, d->deliveries, blame,
                         w->node_id, why)) {
            d->state = D_QUEUED;
            cq_deque_push_front(&self->intake_q, di);
            self->intake_q_bytes += d->size;
            self->k[K_REQUEUED_DOCS]++;
        }
        return;
    }
    if (l->kind == L_ADJ) {
        //  (the unanswered ones: the first `counted` of them count)
        uint32_t pos = 0;
        for (uint32_t i = 0; i < l->n; i++) {
            const cqb_claim_t *c = &self->claims[l->cids[i]];
            pos += c->state == C_LEASED && c->lease == l->token;
        }
        //  newest first, so that push_front leaves them oldest first
        for (uint32_t i = l->n; i-- > 0;) {
            uint32_t cid = l->cids[i];
            cqb_claim_t *c = &self->claims[cid];
            if (c->state != C_LEASED || c->lease != l->token)
                continue;
            pos--;
            if (w->inflight > 0)
                w->inflight--;
            cqb_shard_t *sh = &self->shards[c->shard];
            if (sh->inflight > 0)
                sh->inflight--;
            c->lease = 0;
            c->state = C_QUEUED;
            if (pos >= counted && c->deliveries > 0)
                c->deliveries--;
            if (!s_after_loss(self, false, cid, c->strikes, c->deliveries,
                              blame, w->node_id, why))
                continue;
            cq_deque_push_front(&sh->q, cid);
            self->adj_queued++;
            self->k[K_REQUEUED_CLAIMS]++;
        }
    }
    cqb_lease_free(self, li);
}

int
cqb_release(cq_broker_t *self, bool doc, uint32_t id)
{
    if (!doc) {
        if (id >= self->n_claims)
            return CQ_ENOTFOUND;
        cqb_claim_t *c = &self->claims[id];
        if (c->state != C_FAILED)
            return CQ_EINVAL;
        //  uncount it as failed wherever it is an entry
        uint32_t dref = c->ref_doc, r = c->more_refs;
        for (;;) {
            cqb_batch_t *b = &self->batches[self->docs[dref]->batch];
            if (b->failed > 0)
                b->failed--;
            if (r == S_NONE)
                break;
            dref = self->refs[r].doc;
            r = self->refs[r].next;
        }
        c->state = C_QUEUED;
        c->strikes = c->deliveries = 0;
        cq_deque_push_back(&self->shards[c->shard].q, id);
        self->adj_queued++;
    } else {
        if (id >= self->n_docs)
            return CQ_ENOTFOUND;
        cqb_doc_t *d = self->docs[id];
        if (!d->quarantined || d->state != D_DONE)
            return CQ_EINVAL;
        if (!d->has_data) {
            //  (after a restart its bytes are read back from the journal)
            if (self->journal == NULL ||
                cq_journal_doc_data(self->journal, id, &d->data) != 0)
                return CQ_EIO;
            d->has_data = true;
        }
        cqb_batch_t *b = &self->batches[d->batch];
        if (b->docs_done > 0)
            b->docs_done--;
        if (b->docs_failed > 0)
            b->docs_failed--;
        b->refused_sets -= d->refused_sets;
        b->refused_claims -= d->refused_claims;
        d->refused_sets = d->refused_claims = 0;
        free(d->ack);
        d->ack = NULL;
        d->ack_len = 0;
        free(d->dup);
        d->dup = NULL;
        d->n_dup = 0;
        free(d->message);
        d->message = NULL;
        d->status = 0;
        free(d->cids);
        d->cids = NULL;
        d->strikes = d->deliveries = 0;
        d->quarantined = false;
        d->n_claims = 0;
        d->state = D_QUEUED;
        cq_mpw_init(&d->pbuf);
        cq_mpw_init(&d->pkeys);
        cq_deque_push_back(&self->intake_q, id);
        self->intake_q_bytes += d->size;
    }
    self->k[K_RELEASED]++;
    if (self->journal)
        cq_journal_event(self->journal, doc ? "doc_released" : "claim_released",
                         id, NULL, 0, NULL, self->wall);
    cq_log_notice(NULL, "%s %u released from quarantine",
                  doc ? "document" : "claim", id);
    return 0;
}

//  ---- workers ----------------------------------------------------------

void
cqb_worker_gone(cq_broker_t *self, uint32_t wi, int state, const char *why)
{
    cqb_worker_t *w = &self->workers[wi];
    cq_log_notice(NULL, "worker %s %s (%s)", w->node_id, cqb_wstate[state],
                  why);
    //  A paused worker lost nothing because of its work: its deliveries do
    //  not count. Any other loss counts as a delivery, not as a strike, for
    //  the claims it could have been deciding: its first round's worth, in
    //  delivery order (CQ_PROTO_ROUND_CLAIMS); the ones behind them it had
    //  not reached. (Counting those too, a storm of kills quarantined
    //  innocent claims that only ever waited at the back of a queue.)
    bool counted = state != W_PAUSED;
    uint32_t *mine = NULL, n = 0, cap = 0;
    for (uint32_t li = 0; li < self->n_leases; li++)
        if (self->leases[li].kind != L_FREE && self->leases[li].worker == wi) {
            S_GROW(mine, n, cap);
            mine[n++] = li;
        }
    for (uint32_t i = 1; i < n; i++) // by token (insertion sort: few)
        for (uint32_t j = i; j > 0 && self->leases[mine[j - 1]].token >
                                          self->leases[mine[j]].token;
             j--) {
            uint32_t t = mine[j];
            mine[j] = mine[j - 1];
            mine[j - 1] = t;
        }
    uint32_t *reach = cq_xcalloc(n + 1, sizeof *reach);
    uint32_t left = CQ_PROTO_ROUND_CLAIMS;
    for (uint32_t i = 0; i < n; i++) {
        const cqb_lease_t *l = &self->leases[mine[i]];
        if (!counted) {
            reach[i] = 0;
        } else if (l->kind != L_ADJ) {
            reach[i] = UINT32_MAX;
        } else {
            uint32_t u = 0;
            for (uint32_t k = 0; k < l->n; k++) {
                const cqb_claim_t *c = &self->claims[l->cids[k]];
                u += c->state == C_LEASED && c->lease == l->token;
            }
            reach[i] = u < left ? u : left;
            left -= reach[i];
        }
    }
    //  newest first: each push_front puts the older ones before it
    for (uint32_t i = n; i-- > 0;)
        cqb_lease_requeue(self, mine[i], false, reach[i], why);
    free(reach);
    free(mine);
    if (w->out_lease != S_NONE) // (never between turns; defensive)
        w->out_lease = S_NONE;
    cqb_shards_drop_owner(self, wi);
    w->inflight = 0;
    w->intake_inflight = 0;
    w->orphan_check = false;
    w->state = state;
    if (state == W_PAUSED) {
        cq_strlcpy(w->why, why, sizeof w->why);
        self->k[K_WORKERS_PAUSED]++;
    }
    if (state == W_DEAD)
        self->k[K_WORKERS_DEAD]++;
    self->rebalance = true;
}

void
cqb_leases_expire(cq_broker_t *self)
{
    for (uint32_t li = 0; li < self->n_leases; li++) {
        cqb_lease_t *l = &self->leases[li];
        if (l->kind == L_FREE || l->deadline > self->now)
            continue;
        cqb_worker_t *w = &self->workers[l->worker];
        char why[96];
        snprintf(why, sizeof why, "lease expired after %" PRId64 " ms on %s",
                 self->now - l->started, w->node_id);
        self->k[K_LEASES_EXPIRED]++;
        cq_log_warn(NULL, "%s lease %" PRIu64 " of worker %s expired",
                    l->kind == L_INTAKE ? "intake" : "adjudication", l->token,
                    w->node_id);
        cqb_lease_requeue(self, li, true, UINT32_MAX, why);
    }
}

//  ---- the journal's view of worker ledgers -------------------------------

uint32_t
cqb_ledger_find(cq_broker_t *self, const char *id, bool add)
{
    for (uint32_t i = 0; i < self->n_ledgers; i++)
        if (strcmp(self->ledgers[i].id, id) == 0)
            return i;
    if (!add)
        return S_NONE;
    S_GROW(self->ledgers, self->n_ledgers, self->cap_ledgers);
    cqb_ledger_t *l = &self->ledgers[self->n_ledgers];
    memset(l, 0, sizeof *l);
    cq_strlcpy(l->id, id, sizeof l->id);
    return self->n_ledgers++;
}

void
cqb_ledger_set(cq_broker_t *self, uint32_t li, uint64_t seq)
{
    cqb_ledger_t *l = &self->ledgers[li];
    size_t word = (size_t)(seq / 64);
    if (word >= l->words) {
        size_t n = l->words ? l->words : 64;
        while (n <= word)
            n *= 2;
        l->bits = cq_xrealloc(l->bits, n * sizeof *l->bits);
        memset(l->bits + l->words, 0, (n - l->words) * sizeof *l->bits);
        l->words = n;
    }
    l->bits[word] |= (uint64_t)1 << (seq % 64);
}

bool
cqb_ledger_has(const cq_broker_t *self, uint32_t li, uint64_t seq)
{
    const cqb_ledger_t *l = &self->ledgers[li];
    size_t word = (size_t)(seq / 64);
    return word < l->words && (l->bits[word] >> (seq % 64) & 1);
}

//  Rows (resolved, seq] of a worker's ledger that the journal does not
//  hold are orphans (decisions made under a lease that was lost, or marker
//  rows, which the worker skips): sent as ranges, with upto = the end of
//  what was checked.
static void
s_orphan_check(cq_broker_t *self, uint32_t wi)
{
    cqb_worker_t *w = &self->workers[wi];
    w->orphan_check = false;
    if (w->ledger == S_NONE || w->ready_seq <= w->ready_resolved)
        return;
    cq_msg_orphans_t *m = cq_xcalloc(1, sizeof *m);
    uint64_t s = w->ready_resolved + 1, end = w->ready_seq;
    m->upto = end;
    while (s <= end) {
        if (cqb_ledger_has(self, w->ledger, s)) {
            s++;
            continue;
        }
        uint64_t from = s;
        while (s <= end && !cqb_ledger_has(self, w->ledger, s))
            s++;
        if (m->n_ranges == CQ_PROTO_MAX_RANGES) {
            m->upto = from - 1; // the rest next time
            break;
        }
        m->ranges[m->n_ranges][0] = from;
        m->ranges[m->n_ranges][1] = s - 1;
        m->n_ranges++;
    }
    if (m->upto > w->ready_resolved) {
        uint64_t rows = 0;
        for (uint32_t i = 0; i < m->n_ranges; i++)
            rows += m->ranges[i][1] - m->ranges[i][0] + 1;
        if (rows > 0)
            cq_log_notice(NULL,
                          "worker %s: %" PRIu64
                          " ledger rows after seq %" PRIu64
                          " are not in the journal: orphans",
                          w->node_id, rows, w->ready_resolved);
        self->k[K_ORPHANS] += rows;
        cq_proto_orphans_encode(&self->w, m);
        cqb_send_worker(self, w, CQ_CMD_ORPHANS, &self->w, NULL, 0);
    }
    free(m);
}

void
cqb_orphan_checks(cq_broker_t *self)
{
    for (uint32_t i = 0; i < self->n_workers; i++) {
        cqb_worker_t *w = &self->workers[i];
        if (!w->orphan_check || w->orphan_gen > self->committed ||
            w->state == W_DEAD || w->state == W_LEFT)
            continue;
        s_orphan_check(self, i);
        if (w->goodbye_held) { // (it said GOODBYE meanwhile: now answered)
            w->goodbye_held = false;
            cq_proto_empty_encode(&self->w);
            cqb_send_worker(self, w, CQ_CMD_GOODBYE_OK, &self->w, NULL, 0);
        }
    }
}

//  ---- dispatch ------------------------------------------------------------

void
cqb_dispatch_intake(cq_broker_t *self)
{
    //  Hold intake while many decoded claims wait for adjudication: memory
    //  stays bounded and the latency of what is queued stays low.
    uint64_t credit = 0;
    for (uint32_t i = 0; i < self->n_workers; i++)
        if (cqb_eligible(&self->workers[i]))
            credit += self->workers[i].credit;
    uint64_t backlog_cap = credit * 4 > 8192 ? credit * 4 : 8192;
    while (self->intake_q.n > 0 && self->adj_queued < backlog_cap) {
        uint32_t best = S_NONE, best_free = 0;
        for (uint32_t i = 0; i < self->n_workers; i++) {
            cqb_worker_t *w = &self->workers[i];
            if (!cqb_eligible(w) || w->intake_inflight >= w->intake_credit)
                continue;
            uint32_t f = w->intake_credit - w->intake_inflight;
            if (f > best_free) {
                best = i;
                best_free = f;
            }
        }
        if (best == S_NONE)
            return;
        cqb_worker_t *w = &self->workers[best];
        uint32_t di = cq_deque_pop_front(&self->intake_q);
        cqb_doc_t *d = self->docs[di];
        self->intake_q_bytes -= d->size;
        uint32_t li = cqb_lease_new(self, L_INTAKE, best);
        cqb_lease_t *l = &self->leases[li];
        l->doc = di;
        cq_msg_intake_t m;
        memset(&m, 0, sizeof m);
        m.lease = l->token;
        m.doc_id = di;
        cq_strlcpy(m.batch_id, self->batches[d->batch].id, sizeof m.batch_id);
        cq_strlcpy(m.name, d->name, sizeof m.name);
        m.received_date = d->received_date;
        m.first_record = d->first_record;
        m.size = d->size;
        cq_proto_intake_encode(&self->w, &m);
        zmq_msg_t copy;
        zmq_msg_init(&copy);
        zmq_msg_copy(&copy, &d->data); // shares the bytes (refcounted)
        int rc = cqb_send_worker(self, w, CQ_CMD_INTAKE, &self->w, &copy, 1);
        zmq_msg_close(&copy);
        if (rc != 0) {
            //  Not delivered: back where it was, no delivery counted.
            cqb_lease_free(self, li);
            cq_deque_push_front(&self->intake_q, di);
            self->intake_q_bytes += d->size;
            if (rc == CQ_EUNREACH)
                cqb_worker_gone(self, best, W_DEAD, "unreachable");
            return;
        }
        if (d->deliveries < UINT8_MAX)
            d->deliveries++;
        d->state = D_LEASED;
        d->lease = l->token;
        w->intake_inflight++;
    }
}

//  Sends the ADJUDICATE being built for worker wi. Returns 0, or the send
//  error (its claims are then back at the heads of their queues, and the
//  worker is marked stalled, or dead when it is gone).
static int
s_adj_flush(cq_broker_t *self, uint32_t wi)
{
    cqb_worker_t *w = &self->workers[wi];
    if (w->out_lease == S_NONE)
        return 0;
    uint32_t li = w->out_lease;
    w->out_lease = S_NONE;
    cqb_lease_t *l = &self->leases[li];
    cq_proto_adjudicate_end(&w->out, w->out_at, l->n);
    int rc = cqb_send_worker(self, w, CQ_CMD_ADJUDICATE, &w->out, NULL, 0);
    cq_mpw_reset(&w->out);
    if (rc != 0) {
        //  Not delivered: back to the queues, uncounted.
        cqb_lease_requeue(self, li, false, 0, "not delivered");
        w->stalled = true;
        if (rc == CQ_EUNREACH)
            cqb_worker_gone(self, wi, W_DEAD, "unreachable");
    }
    return rc;
}

void
cqb_dispatch_adj(cq_broker_t *self)
{
    if (self->adj_queued == 0)
        return;
    uint32_t S = self->n_shards;
    bool progress = true;
    for (uint32_t i = 0; i < self->n_workers; i++)
        self->workers[i].stalled = false;
    //  Round-robin over shards, a bounded number of claims per shard per
    //  pass, so that one busy shard does not take all of its owner's credit.
    while (progress && self->adj_queued > 0) {
        progress = false;
        for (uint32_t k = 0; k < S; k++) {
            uint32_t s = (self->rotor + k) % S;
            cqb_shard_t *sh = &self->shards[s];
            if (sh->q.n == 0)
                continue;
            //  (assigns an owner, history first, when the shard has none;
            //  none while it moves)
            uint32_t wi = cqb_shard_owner(self, s);
            if (wi == S_NONE)
                continue;
            cqb_worker_t *w = &self->workers[wi];
            if (!cqb_eligible(w) || w->stalled)
                continue;
            for (uint32_t taken = 0; taken < 64 && sh->q.n > 0; taken++) {
                if (w->inflight >= w->credit)
                    break;
                if (w->out_lease == S_NONE) {
                    w->out_lease = cqb_lease_new(self, L_ADJ, wi);
                    w->out_at = cq_proto_adjudicate_begin(
                        &w->out, self->leases[w->out_lease].token);
                }
                cqb_lease_t *l = &self->leases[w->out_lease];
                uint32_t cid = cq_deque_pop_front(&sh->q);
                self->adj_queued--;
                cqb_claim_t *c = &self->claims[cid];
                c->state = C_LEASED;
                c->lease = l->token;
                if (c->deliveries < UINT8_MAX)
                    c->deliveries++;
                w->inflight++;
                sh->inflight++;
                cq_proto_adjudicate_add(&w->out, cid,
                                        self->batches[c->batch].id, c->blob,
                                        c->blob_len);
                S_GROW(l->cids, l->n, l->cap);
                l->cids[l->n++] = cid;
                l->remaining++;
                progress = true;
                //  A send that fails puts the claims back at the heads of
                //  their queues: nothing more goes to this worker in this
                //  dispatch (gone: its shards get a new owner, which must
                //  see them first; busy: retried next turn).
                if ((l->n >= S_ADJ_MSG_ITEMS ||
                     w->out.len >= S_ADJ_MSG_BYTES) &&
                    s_adj_flush(self, wi) != 0)
                    break;
            }
        }
    }
    self->rotor = (self->rotor + 1) % S;
    for (uint32_t i = 0; i < self->n_workers; i++)
        s_adj_flush(self, i);
}
