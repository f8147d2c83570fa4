//  frontend.c: client sessions on the frontend ROUTER (schemas/proto.md §7):
//  SUBMIT and its RECEIPT, pushes (DOC_DONE, DECISIONS) to the client that
//  submitted, and the questions (HAVE, STATUS, RESULTS, WORKERS,
//  QUARANTINE).
//
//  Guarantee 1 (no loss) at this edge: a RECEIPT, a DOC_DONE and a
//  DECISIONS say things the journal must already hold, so every message
//  to a client waits in the outbox until the turn's commit, and a
//  document's receipt is held until the commit that wrote it. While the
//  journal cannot be written (disk full), new documents are refused with a
//  clear answer ("journal full") rather than received and lost. A client
//  that was away (or a broker that restarted) gets what it missed with
//  RESULTS, and asks for further pushes with its watch flag.
#include "broker_int.h"
#include "hash.h"
#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---- the outbox ------------------------------------------------------------

void
cqb_send_client(cq_broker_t *self, uint32_t ci, cq_cmd_t cmd,
                const cq_mpw_t *body, bool durable)
{
    cqb_client_t *c = &self->clients[ci];
    if (!c->live)
        return;
    S_GROW(self->outbox, self->n_out, self->cap_out);
    cqb_out_t *o = &self->outbox[self->n_out++];
    o->client = ci;
    o->gen = c->gen;
    o->cmd = (int)cmd;
    o->off = self->outbox_bytes.len;
    o->len = body->len;
    o->rec_gen = durable ? cqb_recorded(self) : 0;
    if (cq_buf_add(&self->outbox_bytes, body->data, body->len) != 0)
        abort(); // (capped at SIZE_MAX / 2: memory exhausted)
}

//  Decodes the request `in` as message x into m (in a handler), or counts
//  it malformed and returns: a client's malformed request gets no answer.
#define S_DECODE_OR_DROP(x, m)                                                 \
    do {                                                                       \
        if (cq_proto_##x##_decode(in->body, in->body_len, (m), NULL) != 0) {   \
            self->k[K_MALFORMED]++;                                            \
            return;                                                            \
        }                                                                      \
    } while (0)

static void
s_send_now(cq_broker_t *self, const cqb_out_t *o)
{
    cqb_client_t *c = &self->clients[o->client];
    if (c->gen != o->gen || !c->live)
        return;
    int rc = cq_wire_send(self->front, c->rid, c->rid_len, (cq_cmd_t)o->cmd,
                          self->outbox_bytes.data + o->off, o->len, NULL, 0,
                          ZMQ_DONTWAIT);
    if (rc == 0) {
        self->k[K_MSGS_OUT]++;
        c->last_recv = self->now; // its connection is there
    } else if (rc == CQ_EBUSY) {
        //  A client that does not read: what it misses it can fetch with
        //  RESULTS (the client does when it sees a gap).
        self->k[K_PEER_BUSY]++;
    } else {
        self->k[K_UNDELIVERABLE]++;
        if (rc == CQ_EUNREACH)
            c->live = false; // gone; its slot is freed by the tick
    }
}

void
cqb_outbox_send(cq_broker_t *self)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < self->n_out; i++) {
        cqb_out_t *o = &self->outbox[i];
        if (o->rec_gen > self->committed) {
            self->outbox[kept++] = *o; // (offsets stay valid: see below)
            continue;
        }
        s_send_now(self, o);
    }
    self->n_out = kept;
    if (kept == 0)
        cq_buf_reset(&self->outbox_bytes);
    //  else: held messages keep their bytes; the buffer is reset when the
    //  outbox next empties (after the journal recovers)
}

//  ---- clients -----------------------------------------------------------

static uint32_t
s_client_find(cq_broker_t *self, const uint8_t *rid, size_t len, bool add)
{
    uint64_t h = cq_hash64(rid, len, self->seed);
    uint32_t ci;
    if (cq_u64map_get(&self->client_map, h, &ci)) {
        cqb_client_t *c = &self->clients[ci];
        if (c->rid_len == len && memcmp(c->rid, rid, len) == 0)
            return ci;
    }
    if (!add)
        return S_NONE;
    //  A free slot (gone client whose outbox is empty), else a new one.
    for (ci = 0; ci < self->n_clients; ci++)
        if (!self->clients[ci].live && self->clients[ci].out_n == 0 &&
            self->clients[ci].rid_len == 0)
            break;
    if (ci == self->n_clients) {
        S_GROW(self->clients, self->n_clients, self->cap_clients);
        memset(&self->clients[ci], 0, sizeof self->clients[ci]);
        cq_mpw_init(&self->clients[ci].out);
        self->clients[ci].out_batch = S_NONE;
        self->n_clients++;
    }
    cqb_client_t *c = &self->clients[ci];
    memcpy(c->rid, rid, len);
    c->rid_len = len;
    c->live = true;
    c->gen++;
    c->last_recv = self->now;
    cq_u64map_put(&self->client_map, h, ci);
    return ci;
}

void
cqb_client_flush(cq_broker_t *self, uint32_t ci)
{
    cqb_client_t *c = &self->clients[ci];
    if (c->out_n == 0)
        return;
    cq_proto_decisions_end(&c->out, c->out_at, c->out_n);
    cqb_send_client(self, ci, CQ_CMD_DECISIONS, &c->out, true);
    c->out_n = 0;
    c->out_batch = S_NONE;
    cq_mpw_reset(&c->out);
}

void
cqb_notify(cq_broker_t *self, uint32_t di, uint32_t index, const uint8_t *raw,
           size_t len)
{
    cqb_doc_t *d = self->docs[di];
    if (d->watcher == S_NONE)
        return;
    cqb_client_t *c = &self->clients[d->watcher];
    if (c->gen != d->watcher_gen || !c->live)
        return;
    if (c->out_n > 0 && (c->out_batch != d->batch || c->out_n >= S_OUT_ITEMS ||
                         c->out.len >= S_OUT_BYTES))
        cqb_client_flush(self, d->watcher);
    if (c->out_n == 0) {
        c->out_at =
            cq_proto_decisions_begin(&c->out, self->batches[d->batch].id);
        c->out_batch = d->batch;
    }
    cq_proto_decisions_add(&c->out, di, index, raw, len);
    c->out_n++;
}

void
cqb_send_doc_done(cq_broker_t *self, uint32_t di)
{
    cqb_doc_t *d = self->docs[di];
    if (d->watcher == S_NONE)
        return;
    cqb_client_t *c = &self->clients[d->watcher];
    if (c->gen != d->watcher_gen || !c->live)
        return;
    cqb_client_flush(self, d->watcher);
    cq_msg_doc_done_t m;
    memset(&m, 0, sizeof m);
    cq_strlcpy(m.batch_id, self->batches[d->batch].id, sizeof m.batch_id);
    m.doc_id = di;
    m.n_claims = d->n_claims;
    m.status = d->status;
    if (d->message)
        cq_strlcpy(m.message, d->message, sizeof m.message);
    m.refused_sets = d->refused_sets;
    m.refused_claims = d->refused_claims;
    m.dup_claims = d->n_dup;
    m.conflicts = d->conflicts;
    cq_proto_doc_done_encode(&self->w, &m);
    cqb_send_client(self, d->watcher, CQ_CMD_DOC_DONE, &self->w, true);
}

//  ---- receipts ----------------------------------------------------------

//  A document received before, asked about again (a SUBMIT of it, or a
//  HAVE): its watcher, just set, is told what is known of it so far, its
//  DOC_DONE and its decisions; what follows is pushed as it happens.
static void
s_replay_doc(cq_broker_t *self, uint32_t di)
{
    cqb_doc_t *d = self->docs[di];
    if (d->state != D_DONE)
        return;
    cqb_send_doc_done(self, di);
    for (uint32_t k = 0; k < d->n_claims; k++) {
        if (d->dup && d->dup[k])
            continue; // (answered by the batch's entry)
        cqb_claim_t *c = &self->claims[d->cids[k]];
        if (c->state == C_DECIDED || c->state == C_FAILED)
            cqb_notify(self, di, k, c->state == C_DECIDED ? c->dec : NULL,
                       c->dec_len);
    }
}

void
cqb_release_receipts(cq_broker_t *self)
{
    while (self->rc_n > 0) {
        cqb_receipt_t *r = &self->receipts[self->rc_head];
        if (r->rec_gen > self->committed)
            return; // its documents are not journaled yet
        //  Backpressure: documents already acknowledged and still waiting
        //  for intake hold further receipts (the client's window stalls).
        if (self->intake_q_bytes >= self->cfg.max_queued_bytes) {
            self->k[K_RECEIPT_STALLS]++;
            return;
        }
        self->rc_head = (self->rc_head + 1) % self->rc_cap;
        self->rc_n--;
        cq_msg_receipt_t m;
        memset(&m, 0, sizeof m);
        m.req_id = r->req_id;
        cq_strlcpy(m.batch_id, self->batches[r->batch].id, sizeof m.batch_id);
        m.durable = self->journal != NULL;
        m.n_docs = r->n;
        for (uint32_t i = 0; i < r->n; i++) {
            m.doc_ids[i] = r->docs[i];
            cqb_doc_t *d = self->docs[r->docs[i]];
            if (r->fresh[i] && d->state == D_WAIT_RECEIPT) {
                cqb_record_doc(self, r->docs[i]);
                d->state = D_QUEUED;
                cq_deque_push_back(&self->intake_q, r->docs[i]);
                self->intake_q_bytes += d->size;
            }
        }
        bool same_client = self->clients[r->client].gen == r->gen;
        if (same_client) {
            cqb_client_flush(self, r->client);
            cq_proto_receipt_encode(&self->w, &m);
            cqb_send_client(self, r->client, CQ_CMD_RECEIPT, &self->w, true);
        }
        //  Resubmitted documents: replay what is known.
        for (uint32_t i = 0; i < r->n && same_client; i++)
            if (!r->fresh[i])
                s_replay_doc(self, r->docs[i]);
    }
}

//  ---- handlers ----------------------------------------------------------

//  A SUBMIT answered at once with a refusal (nothing received).
//  The batch id's index, if there is one and the key asking may see it
//  (CURVE tenants); S_NONE otherwise: another payer's batch is "not found",
//  as if absent.
static uint32_t
s_batch_seen(cq_broker_t *self, const char *batch_id)
{
    uint32_t bi = cqb_batch_find(self, batch_id, false);
    if (bi != S_NONE && !cqb_auth_tenants(self, self->batches[bi].tenants)) {
        self->k[K_AUTH_DENIED]++;
        return S_NONE;
    }
    return bi;
}

static void
s_refuse(cq_broker_t *self, uint32_t ci, uint64_t req_id, const char *batch_id,
         int status, const char *message)
{
    cq_msg_receipt_t r;
    memset(&r, 0, sizeof r);
    r.req_id = req_id;
    cq_strlcpy(r.batch_id, batch_id, sizeof r.batch_id);
    r.status = status;
    cq_strlcpy(r.message, message, sizeof r.message);
    r.durable = self->journal != NULL;
    cqb_client_flush(self, ci);
    cq_proto_receipt_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_RECEIPT, &self->w, false);
}

//  The document with digest dg (cq_proto_doc_digest), or S_NONE: how a
//  SUBMIT and a HAVE recognise a document the broker holds.
static uint32_t
s_doc_held(const cq_broker_t *self, const uint8_t dg[CQ_DIGEST_LEN])
{
    uint64_t key;
    memcpy(&key, dg, sizeof key);
    uint32_t first;
    if (!cq_u64map_get(&self->doc_map, key, &first))
        return S_NONE;
    for (uint32_t x = first; x != S_NONE; x = self->docs[x]->same_hash)
        if (memcmp(self->docs[x]->digest, dg, CQ_DIGEST_LEN) == 0)
            return x;
    return S_NONE;
}

static void
s_on_submit(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_submit_t *m = cq_xmalloc(sizeof *m);
    cq_diag_t diag = {0};
    if (cq_proto_submit_decode(in->body, in->body_len, m, &diag) != 0 ||
        (int)m->n_docs != in->n - in->first_extra) {
        self->k[K_MALFORMED]++;
        cq_log_warn(NULL, "SUBMIT dropped: %s",
                    diag.code ? diag.msg : "document frames do not match");
        free(m);
        return;
    }
    for (uint32_t i = 0; i < m->n_docs; i++)
        if (zmq_msg_size(&in->parts[in->first_extra + (int)i]) !=
            m->docs[i].size) {
            self->k[K_MALFORMED]++;
            cq_log_warn(NULL, "SUBMIT dropped: document %u size differs", i);
            free(m);
            return;
        }
    if (self->journal_full) {
        char msg[CQ_PROTO_MSG_LEN];
        snprintf(msg, sizeof msg,
                 "journal full: the broker cannot write its journal (%.150s); "
                 "nothing was received, send again later",
                 self->journal_why);
        self->k[K_REFUSED_FULL]++;
        s_refuse(self, ci, m->req_id, m->batch_id, CQ_ENOSPC, msg);
        free(m);
        return;
    }
    int32_t today = cq_date_today();
    if (m->received_date != CQ_DATE_NONE && m->received_date > today + 1) {
        char day[16];
        cq_date_format(m->received_date, day);
        char msg[CQ_PROTO_MSG_LEN];
        snprintf(msg, sizeof msg,
                 "received date %s is in the future; nothing was received",
                 day);
        s_refuse(self, ci, m->req_id, m->batch_id, CQ_EINVAL, msg);
        free(m);
        return;
    }
    uint32_t bi = cqb_batch_find(self, m->batch_id, false);
    if (bi != S_NONE && !cqb_auth_tenants(self, self->batches[bi].tenants)) {
        //  (another tenant's batch id: its existence is all this says)
        self->k[K_AUTH_DENIED]++;
        s_refuse(self, ci, m->req_id, m->batch_id, CQ_EEXIST,
                 "this batch id is taken; nothing was received (choose "
                 "another --batch)");
        free(m);
        return;
    }
    bi = cqb_batch_find(self, m->batch_id, true);
    if (self->batches[bi].sealed) {
        //  (documents after the seal: the submitter changed its mind; the
        //  batch is open again until it seals once more)
        self->batches[bi].sealed = false;
        if (self->journal)
            cq_journal_event(self->journal, "batch_opened", bi, NULL, 0, NULL,
                             self->wall);
    }
    if (self->rc_n == self->rc_cap) {
        size_t ncap = self->rc_cap ? self->rc_cap * 2 : 8;
        cqb_receipt_t *nr = cq_xmalloc(ncap * sizeof *nr);
        for (uint32_t i = 0; i < self->rc_n; i++)
            nr[i] = self->receipts[(self->rc_head + i) % self->rc_cap];
        free(self->receipts);
        self->receipts = nr;
        self->rc_cap = (uint32_t)ncap;
        self->rc_head = 0;
    }
    cqb_receipt_t *r =
        &self->receipts[(self->rc_head + self->rc_n) % self->rc_cap];
    self->rc_n++;
    r->client = ci;
    r->gen = self->clients[ci].gen;
    r->req_id = m->req_id;
    r->batch = bi;
    r->n = m->n_docs;
    for (uint32_t i = 0; i < m->n_docs; i++) {
        zmq_msg_t *part = &in->parts[in->first_extra + (int)i];
        //  Digest of batch, name, first record and bytes: the same
        //  document resubmitted to the same batch is recognised.
        uint8_t dg[CQ_DIGEST_LEN];
        cq_proto_doc_digest(m->batch_id, m->docs[i].name,
                            m->docs[i].first_record, zmq_msg_data(part),
                            zmq_msg_size(part), dg);
        uint32_t di = s_doc_held(self, dg);
        if (di != S_NONE) {
            cqb_doc_t *d = self->docs[di];
            d->watcher = ci;
            d->watcher_gen = self->clients[ci].gen;
            r->docs[i] = di;
            r->fresh[i] = false;
            self->k[K_DOCS_RESUBMITTED]++;
            continue;
        }
        S_GROW(self->docs, self->n_docs, self->cap_docs);
        di = self->n_docs++;
        cqb_doc_t *d = cq_xcalloc(1, sizeof *d);
        self->docs[di] = d;
        d->batch = bi;
        d->pos = self->batches[bi].n_docs;
        d->name = cq_xstrdup(m->docs[i].name);
        d->first_record = m->docs[i].first_record;
        d->received_set = m->received_date != CQ_DATE_NONE;
        d->received_date = d->received_set ? m->received_date : today;
        d->size = m->docs[i].size;
        d->arrived = self->wall;
        zmq_msg_init(&d->data);
        zmq_msg_move(&d->data, part);
        d->has_data = true;
        memcpy(d->digest, dg, 32);
        d->state = D_WAIT_RECEIPT;
        d->watcher = ci;
        d->watcher_gen = self->clients[ci].gen;
        cq_mpw_init(&d->pbuf);
        cq_mpw_init(&d->pkeys);
        cqb_doc_index(self, di);
        if (self->journal)
            cq_journal_doc_msg(self->journal, di, bi, d->pos, d->name,
                               d->first_record, d->received_date,
                               d->received_set, self->wall, d->digest,
                               &d->data);
        r->docs[i] = di;
        r->fresh[i] = true;
        self->k[K_DOCS]++;
    }
    //  (after its documents' records: the receipt waits for them)
    r->rec_gen = cqb_recorded(self);
    free(m);
}

//  HAVE (issue 9): which of these documents the broker holds, by the
//  digest a SUBMIT recognises them by, so that a resumed submission sends
//  only the others. A held document is treated as a SUBMIT of it would be,
//  without its bytes: this client becomes its watcher and is told what is
//  known of it (after the reply), the rest as it happens. The reply waits
//  for the commit of what is recorded (a document received this turn is
//  held only once journaled).
static void
s_on_have(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_have_t m;
    S_DECODE_OR_DROP(have, &m);
    cq_msg_have_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.batch_id, m.batch_id, sizeof r.batch_id);
    uint32_t bi = s_batch_seen(self, m.batch_id);
    if (bi == S_NONE) {
        r.status = CQ_ENOTFOUND;
    } else {
        r.n = m.n;
        r.doc_ids = cq_xmalloc((size_t)m.n * sizeof *r.doc_ids);
        for (uint32_t i = 0; i < m.n; i++) {
            uint32_t di = s_doc_held(self, m.digests[i]);
            //  (the digest covers the batch id: another batch's document
            //  cannot match, unless by a collision)
            if (di != S_NONE && self->docs[di]->batch != bi)
                di = S_NONE;
            r.doc_ids[i] = di == S_NONE ? CQ_HAVE_NONE : di;
            if (di == S_NONE)
                continue;
            cqb_doc_t *d = self->docs[di];
            d->watcher = ci;
            d->watcher_gen = self->clients[ci].gen;
        }
    }
    cqb_client_flush(self, ci);
    cq_proto_have_reply_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_HAVE_REPLY, &self->w, true);
    for (uint32_t i = 0; i < r.n; i++)
        if (r.doc_ids[i] != CQ_HAVE_NONE)
            s_replay_doc(self, (uint32_t)r.doc_ids[i]);
    cq_proto_have_reply_free(&r);
    cq_proto_have_free(&m);
}

static void
s_on_status(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_status_t m;
    S_DECODE_OR_DROP(status, &m);
    cq_msg_status_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.batch_id, m.batch_id, sizeof r.batch_id);
    r.durable = self->journal != NULL;
    r.epoch = self->epoch;
    uint32_t bi = s_batch_seen(self, m.batch_id);
    if (bi != S_NONE) {
        cqb_batch_t *b = &self->batches[bi];
        r.found = true;
        r.docs = b->n_docs;
        r.docs_done = b->docs_done;
        r.docs_failed = b->docs_failed;
        r.claims = b->n_entries;
        r.decided = b->decided;
        r.accept = b->accept;
        r.reject = b->reject;
        r.pend = b->pend;
        r.failed = b->failed;
        r.sealed = b->sealed;
        r.complete = b->sealed && cqb_batch_final(b);
        r.refused_sets = b->refused_sets;
        r.refused_claims = b->refused_claims;
        //  the received date of its documents (the first one's: a batch
        //  submitted over several days has several)
        r.received_date = CQ_DATE_NONE;
        for (uint32_t i = 0; i < b->n_docs; i++)
            if (b->docs[i] != S_NONE) {
                r.received_date = self->docs[b->docs[i]]->received_date;
                r.received_set = self->docs[b->docs[i]]->received_set;
                break;
            }
    }
    r.workers_live = cqb_workers_live(self);
    if (self->peer) {
        cqb_peer_info_t pi;
        cqb_peer_info(self, &pi);
        r.pair_role = (uint32_t)pi.role;
        r.pair_state = (uint32_t)pi.state;
        r.peer_state = pi.peer_state < 0 ? 3 : (uint32_t)pi.peer_state;
        r.pair_synced = pi.synced;
        r.pair_lag = pi.lag;
    }
    cqb_client_flush(self, ci);
    cq_proto_status_reply_encode(&self->w, &r);
    //  (not held for the journal: a client must hear from a broker whose
    //  journal is full; counts may include what a commit is writing)
    cqb_send_client(self, ci, CQ_CMD_STATUS_REPLY, &self->w, false);
}

static void
s_on_results(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_results_t m;
    S_DECODE_OR_DROP(results, &m);
    cq_msg_results_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.batch_id, m.batch_id, sizeof r.batch_id);
    uint32_t bi = s_batch_seen(self, m.batch_id);
    cqb_client_flush(self, ci);
    cq_mpw_t *w = &self->w;
    if (bi == S_NONE) {
        r.status = CQ_ENOTFOUND;
        size_t at = cq_proto_results_reply_begin(w, &r);
        cq_proto_results_reply_end(w, at, 0);
        cqb_send_client(self, ci, CQ_CMD_RESULTS_REPLY, w, true);
        return;
    }
    cqb_batch_t *b = &self->batches[bi];
    if (m.watch) {
        //  pushes of this batch go to this client from now on
        for (uint32_t i = 0; i < b->n_docs; i++) {
            if (b->docs[i] == S_NONE)
                continue;
            cqb_doc_t *d = self->docs[b->docs[i]];
            d->watcher = ci;
            d->watcher_gen = self->clients[ci].gen;
        }
    }
    r.total = b->n_entries;
    r.complete = b->sealed && cqb_batch_final(b);
    uint64_t end = m.cursor;
    //  the header is written last: count what fits first
    uint32_t n = 0;
    size_t bytes = 0;
    while (end < b->n_entries && n < m.max && bytes < S_REPLY_BYTES) {
        const cqb_entry_t *e = &b->entries[end];
        const cqb_claim_t *c =
            &self->claims[self->docs[e->doc]->cids[e->index]];
        bytes += 16 + c->dec_len + (m.with_claims ? c->blob_len : 0);
        end++;
        n++;
    }
    r.next_cursor = end;
    size_t at = cq_proto_results_reply_begin(w, &r);
    for (uint64_t i = m.cursor; i < end; i++) {
        const cqb_entry_t *e = &b->entries[i];
        const cqb_claim_t *c =
            &self->claims[self->docs[e->doc]->cids[e->index]];
        cq_proto_results_reply_add(
            w, e->doc, e->index, c->state == C_DECIDED ? c->dec : NULL,
            c->dec_len, m.with_claims ? c->blob : NULL, c->blob_len);
    }
    cq_proto_results_reply_end(w, at, n);
    cqb_send_client(self, ci, CQ_CMD_RESULTS_REPLY, w, true);
}

//  SEAL: the submitter sent its last document. A batch is complete only
//  once sealed (an interrupted submission is not), every document through
//  intake and every claim final.
static void
s_on_seal(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_seal_t m;
    S_DECODE_OR_DROP(seal, &m);
    cq_msg_seal_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.batch_id, m.batch_id, sizeof r.batch_id);
    bool durable = false;
    uint32_t bi = s_batch_seen(self, m.batch_id);
    if (bi == S_NONE) {
        r.status = CQ_ENOTFOUND;
        snprintf(r.message, sizeof r.message, "no batch %s", m.batch_id);
    } else {
        cqb_batch_t *b = &self->batches[bi];
        r.docs = b->n_docs;
        if (b->n_docs < m.docs) {
            //  (a document the submitter sent that the broker never
            //  received: the batch stays open until it comes)
            r.status = CQ_EINVAL;
            snprintf(r.message, sizeof r.message,
                     "batch %s: the broker holds %u documents, the submitter "
                     "sent %" PRIu64 "; send the missing ones again",
                     m.batch_id, b->n_docs, m.docs);
        } else {
            if (!b->sealed || b->sealed_docs != m.docs) {
                b->sealed = true;
                b->sealed_docs = m.docs;
                if (self->journal)
                    cq_journal_event(
                        self->journal, "batch_sealed", bi, NULL,
                        (uint32_t)(m.docs < UINT32_MAX ? m.docs : UINT32_MAX),
                        NULL, self->wall);
                if (cqb_batch_final(b))
                    self->next_compact = 0;
            }
            durable = true;
        }
    }
    cqb_client_flush(self, ci);
    cq_proto_seal_reply_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_SEAL_REPLY, &self->w, durable);
}

static void
s_on_batches(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_batches_t m;
    S_DECODE_OR_DROP(batches, &m);
    cq_msg_batches_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    for (uint32_t bi = 0; bi < self->n_batches; bi++) {
        const cqb_batch_t *b = &self->batches[bi];
        if (!b->gone && (uint64_t)b->created_ms >= m.since_ms)
            r.total++;
    }
    uint64_t skip = r.total > CQ_PROTO_MAX_BATCHES
                        ? r.total - CQ_PROTO_MAX_BATCHES
                        : 0; // the newest are kept
    r.items = cq_xcalloc(r.total - skip + 1, sizeof *r.items);
    for (uint32_t bi = 0; bi < self->n_batches; bi++) {
        const cqb_batch_t *b = &self->batches[bi];
        if (b->gone || (uint64_t)b->created_ms < m.since_ms ||
            !cqb_auth_tenants(self, b->tenants))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        cq_batch_info_t *x = &r.items[r.n_items++];
        cq_strlcpy(x->batch_id, b->id, sizeof x->batch_id);
        x->created_ms = (uint64_t)b->created_ms;
        x->docs = b->n_docs;
        x->docs_done = b->docs_done;
        x->claims = b->n_entries;
        x->decided = b->decided;
        x->failed = b->failed;
        x->refused_sets = b->refused_sets;
        x->sealed = b->sealed;
        x->complete = b->sealed && cqb_batch_final(b);
    }
    cqb_client_flush(self, ci);
    cq_proto_batches_reply_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_BATCHES_REPLY, &self->w, false);
    free(r.items);
}

//  ACKS: a batch's 999s, one per X12 document through intake, in received
//  order, about 4 MiB a page.
static void
s_on_acks(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_acks_t m;
    S_DECODE_OR_DROP(acks, &m);
    cq_msg_acks_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.batch_id, m.batch_id, sizeof r.batch_id);
    cq_mpw_t *w = &self->w;
    uint32_t bi = s_batch_seen(self, m.batch_id);
    cqb_client_flush(self, ci);
    if (bi == S_NONE) {
        r.status = CQ_ENOTFOUND;
        size_t at = cq_proto_acks_reply_begin(w, &r);
        cq_proto_acks_reply_end(w, at, 0);
        cqb_send_client(self, ci, CQ_CMD_ACKS_REPLY, w, true);
        return;
    }
    const cqb_batch_t *b = &self->batches[bi];
    r.total = b->n_docs;
    r.complete = b->docs_done == b->n_docs;
    uint64_t end = m.cursor;
    uint32_t n = 0;
    size_t bytes = 0;
    while (end < b->n_docs && (n == 0 || bytes < S_REPLY_BYTES)) {
        const cqb_doc_t *d = self->docs[b->docs[end]];
        if (d->state != D_DONE)
            break; // (in order: a later page brings it)
        if (d->ack_len > 0) {
            bytes += d->ack_len + 64;
            n++;
        }
        end++;
    }
    r.next_cursor = end;
    size_t at = cq_proto_acks_reply_begin(w, &r);
    for (uint64_t i = m.cursor; i < end; i++) {
        uint32_t di = b->docs[i];
        const cqb_doc_t *d = self->docs[di];
        if (d->ack_len > 0)
            cq_proto_acks_reply_add(w, di, d->name, d->ack, d->ack_len);
    }
    cq_proto_acks_reply_end(w, at, n);
    cqb_send_client(self, ci, CQ_CMD_ACKS_REPLY, w, true);
}

//  DRAIN_NODE: the worker stops as on SIGTERM, told by the broker: from
//  now on it gets no new work, its shards move to the others as each
//  goes quiet (their queued claims wait for the new owner, who gets the
//  shard's history first), it finishes what it holds and exits 0.
static void
s_on_drain(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_drain_t m;
    S_DECODE_OR_DROP(drain, &m);
    cq_msg_drain_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.node_id, m.node_id, sizeof r.node_id);
    uint32_t wi = S_NONE, others = 0;
    for (uint32_t i = 0; i < self->n_workers; i++) {
        const cqb_worker_t *w = &self->workers[i];
        if (strcmp(w->node_id, m.node_id) == 0 && w->state != W_DEAD &&
            w->state != W_LEFT)
            wi = i;
        else if (cqb_eligible(w))
            others++;
    }
    if (wi == S_NONE) {
        r.status = CQ_ENOTFOUND;
        snprintf(r.message, sizeof r.message,
                 "no worker %s is registered (see `claimq workers`)",
                 m.node_id);
    } else {
        cqb_worker_t *w = &self->workers[wi];
        r.shards = w->shards;
        if (w->state != W_STOPPING) {
            w->state = W_STOPPING;
            self->rebalance = true; // its shards move away (when quiet)
            cq_log_notice(NULL,
                          "worker %s draining: %u shards, %u claims and %u "
                          "documents in flight",
                          w->node_id, w->shards, w->inflight,
                          w->intake_inflight);
        }
        cq_proto_empty_encode(&self->w);
        cqb_send_worker(self, w, CQ_CMD_DRAIN, &self->w, NULL, 0);
        if (others == 0)
            snprintf(r.message, sizeof r.message,
                     "%s draining; no other worker is live: its %u shards "
                     "wait for one",
                     m.node_id, w->shards);
        else
            snprintf(r.message, sizeof r.message,
                     "%s draining: %u shards move to %u other workers",
                     m.node_id, w->shards, others);
    }
    cqb_client_flush(self, ci);
    cq_proto_drain_reply_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_DRAIN_REPLY, &self->w, false);
}

static void
s_on_shards(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    uint64_t req_id;
    S_DECODE_OR_DROP(shards, &req_id);
    cq_msg_shards_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = req_id;
    r.shards = self->n_shards;
    r.moves_active = self->moves_active;
    r.n_items = self->n_shards < CQ_PROTO_MAX_SHARDS ? self->n_shards
                                                     : CQ_PROTO_MAX_SHARDS;
    r.items = cq_xcalloc(r.n_items ? r.n_items : 1, sizeof *r.items);
    for (uint32_t s = 0; s < r.n_items; s++) {
        const cqb_shard_t *sh = &self->shards[s];
        cq_shard_info_t *x = &r.items[s];
        x->shard = s;
        if (sh->owner != S_NONE)
            cq_strlcpy(x->owner, self->workers[sh->owner].node_id,
                       sizeof x->owner);
        if (sh->target != S_NONE)
            cq_strlcpy(x->target, self->workers[sh->target].node_id,
                       sizeof x->target);
        x->queued = sh->q.n;
        x->inflight = sh->inflight;
        x->moved_ms = (uint64_t)sh->moved_ms;
        x->moves = sh->moves;
    }
    cqb_client_flush(self, ci);
    cq_proto_shards_reply_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_SHARDS_REPLY, &self->w, false);
    free(r.items);
}

static void
s_counter(cq_msg_workers_reply_t *r, const char *name, uint64_t v)
{
    if (r->n_counters >= CQ_PROTO_MAX_COUNTERS)
        return;
    cq_strlcpy(r->counters[r->n_counters].name, name, CQ_PROTO_COUNTER_LEN);
    r->counters[r->n_counters].value = v;
    r->n_counters++;
}

static void
s_on_workers(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    uint64_t req_id;
    S_DECODE_OR_DROP(workers, &req_id);
    cq_msg_workers_reply_t *r = cq_xcalloc(1, sizeof *r);
    r->req_id = req_id;
    cq_strlcpy(r->rules_version, self->rules_version, sizeof r->rules_version);
    r->shards = self->n_shards;
    uint32_t nw = self->n_workers < CQ_PROTO_MAX_WORKERS ? self->n_workers
                                                         : CQ_PROTO_MAX_WORKERS;
    r->workers = cq_xcalloc(nw ? nw : 1, sizeof *r->workers);
    r->n_workers = nw;
    for (uint32_t i = 0; i < nw; i++) {
        const cqb_worker_t *w = &self->workers[i];
        cq_worker_info_t *x = &r->workers[i];
        cq_strlcpy(x->node_id, w->node_id, sizeof x->node_id);
        cq_strlcpy(x->state, cqb_wstate[w->state], sizeof x->state);
        cq_strlcpy(x->rules_version, w->rules_version, sizeof x->rules_version);
        x->credit = w->credit;
        x->inflight = w->inflight;
        x->intake_credit = w->intake_credit;
        x->intake_inflight = w->intake_inflight;
        x->shards = w->shards;
        x->intake_done = w->intake_done;
        x->decided = w->decided;
        x->idle_ms = (uint64_t)(self->now - w->last_recv);
        cq_strlcpy(x->host, w->host, sizeof x->host);
        x->since_ms = (uint64_t)w->since_ms;
        x->claims_per_s =
            w->state == W_LIVE || w->state == W_STOPPING ? w->rate : 0;
        x->heartbeat_ms = w->hb_ms;
    }
    self->k[K_ARENA_BYTES] = self->arena.total;
    for (int i = 0; i < K_COUNT; i++)
        s_counter(r, cqb_kname[i], self->k[i]);
    s_counter(r, "queued_intake", self->intake_q.n);
    s_counter(r, "queued_claims", self->adj_queued);
    s_counter(r, "durable", self->journal != NULL);
    s_counter(r, "journal_full", self->journal_full);
    s_counter(r, "epoch", self->epoch);
    s_counter(r, "moves_active", self->moves_active);
    //  what people wait on: claims pended (a person must look) and items
    //  quarantined now, over the batches the broker holds
    uint64_t pended = 0, quarantined = 0, batches_open = 0;
    for (uint32_t i = 0; i < self->n_batches; i++) {
        const cqb_batch_t *b = &self->batches[i];
        if (b->gone)
            continue;
        pended += b->pend;
        if (!(b->sealed && cqb_batch_final(b)))
            batches_open++;
    }
    for (uint32_t d = 0; d < self->n_docs; d++)
        quarantined += self->docs[d]->quarantined;
    for (uint32_t c = 0; c < self->n_claims; c++)
        quarantined += self->claims[c].state == C_FAILED;
    s_counter(r, "pended", pended);
    s_counter(r, "quarantined_now", quarantined);
    s_counter(r, "batches_open", batches_open);
    cqb_client_flush(self, ci);
    cq_proto_workers_reply_encode(&self->w, r);
    cqb_send_client(self, ci, CQ_CMD_WORKERS_REPLY, &self->w, false);
    free(r->workers);
    free(r);
}

//  ---- quarantine ----------------------------------------------------------

//  "claim:123" / "doc:45" -> (doc?, id). False when it is neither.
static bool
s_qid_parse(const char *s, bool *doc, uint32_t *id)
{
    const char *p;
    if (strncmp(s, "claim:", 6) == 0) {
        *doc = false;
        p = s + 6;
    } else if (strncmp(s, "doc:", 4) == 0) {
        *doc = true;
        p = s + 4;
    } else {
        return false;
    }
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p || *end || v >= UINT32_MAX || p[0] == '-')
        return false;
    *id = (uint32_t)v;
    return true;
}

//  Fills item x for a quarantined (or released) item; hist: with history.
static void
s_qitem(cq_broker_t *self, bool doc, uint32_t id, bool hist, cq_qitem_t *x)
{
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s:%u", doc ? "doc" : "claim", id);
    cq_strlcpy(x->kind, doc ? "document" : "claim", sizeof x->kind);
    if (doc) {
        const cqb_doc_t *d = self->docs[id];
        cq_strlcpy(x->batch_id, self->batches[d->batch].id, sizeof x->batch_id);
        cq_strlcpy(x->name, d->name, sizeof x->name);
        x->attempts = d->strikes > d->deliveries ? d->strikes : d->deliveries;
    } else {
        const cqb_claim_t *c = &self->claims[id];
        cq_strlcpy(x->batch_id, self->batches[c->batch].id, sizeof x->batch_id);
        //  the claim id is the third field of the key payer|npi|id|f
        const char *a = strchr(c->key, '|');
        const char *b = a ? strchr(a + 1, '|') : NULL;
        const char *e = b ? strrchr(b + 1, '|') : NULL;
        if (b && e && e > b)
            snprintf(x->name, sizeof x->name, "%.*s", (int)(e - b - 1), b + 1);
        x->attempts = c->strikes > c->deliveries ? c->strikes : c->deliveries;
    }
    //  reason and time: the newest note; history: the newest notes, oldest
    //  first
    uint32_t found = 0;
    for (uint32_t i = self->n_fails; i-- > 0;) {
        const cqb_fail_t *f = &self->fails[i];
        if (f->doc != doc || f->target != id)
            continue;
        if (found == 0) {
            cq_strlcpy(x->reason, f->what, sizeof x->reason);
            x->since_ms = (uint64_t)f->at_ms;
        }
        found++;
        if (hist && x->n_hist < CQ_PROTO_MAX_QHIST) {
            cq_qhist_t *h = &x->hist[x->n_hist++];
            h->at_ms = (uint64_t)f->at_ms;
            cq_strlcpy(h->node_id, f->node, sizeof h->node_id);
            cq_strlcpy(h->what, f->what, sizeof h->what);
        }
    }
    for (uint32_t i = 0; i < x->n_hist / 2; i++) {
        cq_qhist_t t = x->hist[i];
        x->hist[i] = x->hist[x->n_hist - 1 - i];
        x->hist[x->n_hist - 1 - i] = t;
    }
}

static void
s_on_quarantine(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_quarantine_t m;
    S_DECODE_OR_DROP(quarantine, &m);
    cq_msg_quarantine_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    bool durable = false;
    if (m.op == CQ_QOP_LIST) {
        uint32_t total = 0;
        r.items = cq_xcalloc(CQ_PROTO_MAX_QITEMS, sizeof *r.items);
        for (uint32_t d = 0; d < self->n_docs; d++)
            if (self->docs[d]->quarantined && total++ < CQ_PROTO_MAX_QITEMS)
                s_qitem(self, true, d, false, &r.items[r.n_items++]);
        for (uint32_t c = 0; c < self->n_claims; c++)
            if (self->claims[c].state == C_FAILED &&
                total++ < CQ_PROTO_MAX_QITEMS)
                s_qitem(self, false, c, false, &r.items[r.n_items++]);
        if (total > r.n_items)
            snprintf(r.message, sizeof r.message,
                     "the first %u of %u quarantined items", r.n_items, total);
    } else {
        bool doc;
        uint32_t id;
        if (!s_qid_parse(m.id, &doc, &id) ||
            id >= (doc ? self->n_docs : self->n_claims)) {
            r.status = CQ_ENOTFOUND;
            snprintf(r.message, sizeof r.message,
                     "no such item: %s (ids look like claim:123 or doc:45)",
                     m.id);
        } else {
            bool in_q = doc ? self->docs[id]->quarantined
                            : self->claims[id].state == C_FAILED;
            r.items = cq_xcalloc(1, sizeof *r.items);
            r.n_items = 1;
            if (m.op == CQ_QOP_RELEASE) {
                int rc = cqb_release(self, doc, id);
                if (rc != 0) {
                    r.status = rc;
                    snprintf(r.message, sizeof r.message,
                             rc == CQ_EINVAL ? "%s is not quarantined"
                                             : "%s cannot be released: %s",
                             m.id, cq_strerror(rc));
                } else {
                    snprintf(r.message, sizeof r.message,
                             "%s released: queued again", m.id);
                    durable = true;
                }
            } else if (!in_q) {
                snprintf(r.message, sizeof r.message, "%s is not quarantined",
                         m.id);
            }
            s_qitem(self, doc, id, true, &r.items[0]);
        }
    }
    cqb_client_flush(self, ci);
    cq_proto_quarantine_reply_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_QUARANTINE_REPLY, &self->w, durable);
    free(r.items);
}

//  A SUBMIT whose documents are over the frame limit: dropped and counted
//  like any oversized message, but its sender is told why (when header
//  and body themselves are fine), rather than left waiting.
static void
s_refuse_oversized(cq_broker_t *self, cq_wire_msg_t *in)
{
    int cmd;
    if (in->n < 3 || in->dropped > 0 ||
        cq_proto_hdr_decode(zmq_msg_data(&in->parts[1]),
                            zmq_msg_size(&in->parts[1]), &cmd, NULL) != 0 ||
        cmd != CQ_CMD_SUBMIT ||
        zmq_msg_size(&in->parts[2]) > self->cfg.max_frame)
        return;
    cq_limit_hit(CQ_LIMIT_FRAME);
    cq_msg_submit_t *m = cq_xmalloc(sizeof *m);
    if (cq_proto_submit_decode(zmq_msg_data(&in->parts[2]),
                               zmq_msg_size(&in->parts[2]), m, NULL) == 0) {
        uint32_t ci = s_client_find(self, zmq_msg_data(&in->parts[0]),
                                    zmq_msg_size(&in->parts[0]), true);
        char msg[CQ_PROTO_MSG_LEN];
        snprintf(msg, sizeof msg,
                 "a document is over this broker's limit of %zu bytes "
                 "(--max-frame); nothing was received",
                 self->cfg.max_frame);
        s_refuse(self, ci, m->req_id, m->batch_id, CQ_ETOOBIG, msg);
    }
    free(m);
}

//  A request this key may not make: DISCONNECT (CQ_DISCONNECT_REFUSED)
//  with why, which the client prints and stops on.
static void
s_refuse_key(cq_broker_t *self, uint32_t ci, const char *why)
{
    cq_log_warn(NULL, "frontend: client %u refused: %s", ci, why);
    cq_proto_disconnect_encode(&self->w, why, CQ_DISCONNECT_REFUSED);
    cqb_send_client(self, ci, CQ_CMD_DISCONNECT, &self->w, false);
}

void
cqb_on_frontend(cq_broker_t *self, cq_wire_msg_t *in)
{
    int rc = cqb_parse(self, in, "frontend");
    if (rc != 0) {
        if (rc == CQ_ETOOBIG)
            s_refuse_oversized(self, in);
        return;
    }
    uint32_t ci = s_client_find(self, zmq_msg_data(&in->parts[0]),
                                zmq_msg_size(&in->parts[0]), true);
    self->clients[ci].last_recv = self->now;
    self->clients[ci].live = true;
    cq_log_debug(NULL, "frontend: %s from client %u, %zu bytes, %d parts",
                 cq_cmd_name(in->cmd), ci, in->body_len, in->n);
    if (!cqb_auth_who(self, in)) {
        s_refuse_key(self, ci,
                     "this client's key is no longer in the broker's "
                     "allow-list (revoked)");
        return;
    }
    bool admin_verb = in->cmd == CQ_CMD_WORKERS ||
                      in->cmd == CQ_CMD_QUARANTINE ||
                      in->cmd == CQ_CMD_DRAIN_NODE || in->cmd == CQ_CMD_SHARDS;
    if (admin_verb && self->who && self->who->role != CQB_ROLE_ADMIN) {
        self->k[K_AUTH_DENIED]++;
        char why[CQ_PROTO_MSG_LEN];
        snprintf(why, sizeof why,
                 "%s needs an admin key (one in the broker's --admins "
                 "directory); this is client key %s",
                 cq_cmd_name(in->cmd), self->who->name);
        s_refuse_key(self, ci, why);
        return;
    }
    switch (in->cmd) {
    case CQ_CMD_SUBMIT:
        s_on_submit(self, ci, in);
        break;
    case CQ_CMD_STATUS:
        s_on_status(self, ci, in);
        break;
    case CQ_CMD_RESULTS:
        s_on_results(self, ci, in);
        break;
    case CQ_CMD_WORKERS:
        s_on_workers(self, ci, in);
        break;
    case CQ_CMD_QUARANTINE:
        s_on_quarantine(self, ci, in);
        break;
    case CQ_CMD_REVIEW:
        cqb_on_review(self, ci, in);
        break;
    case CQ_CMD_SEAL:
        s_on_seal(self, ci, in);
        break;
    case CQ_CMD_BATCHES:
        s_on_batches(self, ci, in);
        break;
    case CQ_CMD_ACKS:
        s_on_acks(self, ci, in);
        break;
    case CQ_CMD_DRAIN_NODE:
        s_on_drain(self, ci, in);
        break;
    case CQ_CMD_SHARDS:
        s_on_shards(self, ci, in);
        break;
    case CQ_CMD_HAVE:
        s_on_have(self, ci, in);
        break;
    default:
        if (in->cmd < CQ_CMD_SUBMIT) {
            //  A worker on the clients' endpoint: told so (it stops and
            //  says why), not left waiting.
            self->k[K_WRONG_ENDPOINT]++;
            cq_proto_disconnect_encode(
                &self->w,
                "this is the broker's client endpoint (frontend); workers "
                "connect to its worker endpoint (backend, `claimq-broker "
                "--backend`)",
                CQ_DISCONNECT_WRONG_EP);
            cqb_send_client(self, ci, CQ_CMD_DISCONNECT, &self->w, false);
            break;
        }
        self->k[K_UNEXPECTED]++;
        break;
    }
}

void
cqb_clients_tick(cq_broker_t *self)
{
    //  Clients: one that waits for decisions sends nothing, so silence
    //  alone does not mean gone. A client idle for client_idle_ms is sent
    //  a HEARTBEAT: the ROUTER refuses it (EHOSTUNREACH) when the
    //  connection is gone, and only then is the slot given up (its
    //  documents' pushes would not reach it; it reads them with RESULTS).
    int64_t idle = (int64_t)self->cfg.client_idle_ms;
    for (uint32_t i = 0; i < self->n_clients; i++) {
        cqb_client_t *c = &self->clients[i];
        if (c->rid_len == 0)
            continue;
        if (c->live && self->now - c->last_recv > idle) {
            //  (a probe, not a message anyone waits for: its failure is
            //  not a drop)
            cq_proto_empty_encode(&self->w);
            int rc =
                cq_wire_send(self->front, c->rid, c->rid_len, CQ_CMD_HEARTBEAT,
                             self->w.data, self->w.len, NULL, 0, ZMQ_DONTWAIT);
            if (rc == 0)
                self->k[K_MSGS_OUT]++;
            if (rc == 0 || rc == CQ_EBUSY) // there (maybe not reading)
                c->last_recv = self->now;
            else
                c->live = false;
        }
        if (!c->live || self->now - c->last_recv > idle) {
            uint32_t ci;
            uint64_t h = cq_hash64(c->rid, c->rid_len, self->seed);
            if (cq_u64map_get(&self->client_map, h, &ci) && ci == i)
                cq_u64map_del(&self->client_map, h);
            c->live = false;
            c->out_n = 0;
            cq_mpw_reset(&c->out);
            c->rid_len = 0;
            c->gen++;
        }
    }
}
