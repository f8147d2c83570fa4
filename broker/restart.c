//  restart.c: the broker's memory rebuilt from its journal at start
//  (guarantee 1: a broker killed at any moment and restarted on the same
//  journal resumes everything it had acknowledged).
//
//  What comes back: batches with their documents and entries, in order;
//  documents whose intake had not finished, queued again (with their
//  bytes); every claim, its key (so a resubmission is recognised) and its
//  decision if it has one; the claims without one, queued again in their
//  shard queues in admission order; each shard's history (its decided
//  claims in decision order), which a shard's next owner receives first;
//  which ledger rows hold journaled decisions (to find orphans); strikes,
//  quarantine and releases. What does not: leases (every delivery of the
//  previous run is void: their tokens carry the old epoch) and clients
//  (they ask again, RESULTS with watch); shards get owners again as
//  workers register, by the same rendezvous hashing, so a node that comes
//  back gets the same shards.
#include "broker_int.h"
#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    cq_broker_t *b;
    cq_diag_t *diag;
    uint32_t *intake_rows; // per document
    uint32_t *releases;    // per document
    size_t cap;            // of both
    uint64_t decisions, dup_decisions;
    uint32_t floor_batches, floor_docs; // ids used (cq_journal_id_floors)
} s_load_t;

static int
s_corrupt(s_load_t *l, const char *what, uint32_t id)
{
    return cq_diag_set(l->diag, CQ_EPROTO, 0, "%s: %s %u is out of order",
                       l->b->journal ? cq_journal_path(l->b->journal) : "",
                       what, id);
}

//  A placeholder for an id that compaction removed.
static void
s_gone_batch(cq_broker_t *self)
{
    S_GROW(self->batches, self->n_batches, self->cap_batches);
    cqb_batch_t *b = &self->batches[self->n_batches++];
    memset(b, 0, sizeof *b);
    b->gone = true;
    b->same_hash = S_NONE;
}

static cqb_doc_t *
s_new_doc(s_load_t *l)
{
    cq_broker_t *self = l->b;
    S_GROW(self->docs, self->n_docs, self->cap_docs);
    if (self->n_docs >= l->cap) {
        size_t n = l->cap ? l->cap * 2 : 1024;
        l->intake_rows = cq_xrealloc(l->intake_rows, n * sizeof(uint32_t));
        l->releases = cq_xrealloc(l->releases, n * sizeof(uint32_t));
        memset(l->intake_rows + l->cap, 0, (n - l->cap) * sizeof(uint32_t));
        memset(l->releases + l->cap, 0, (n - l->cap) * sizeof(uint32_t));
        l->cap = n;
    }
    cqb_doc_t *d = cq_xcalloc(1, sizeof *d);
    self->docs[self->n_docs++] = d;
    d->watcher = S_NONE;
    d->batch = S_NONE;
    cq_mpw_init(&d->pbuf);
    cq_mpw_init(&d->pkeys);
    return d;
}

static int
s_batch(void *arg, uint32_t id, const char *batch_id, int64_t created_ms,
        const char *tenants)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (id < self->n_batches || id - self->n_batches > 100000000u ||
        !cq_proto_batch_id_ok(batch_id))
        return s_corrupt(l, "batch", id);
    while (self->n_batches < id)
        s_gone_batch(self);
    S_GROW(self->batches, self->n_batches, self->cap_batches);
    cqb_batch_t *b = &self->batches[self->n_batches++];
    memset(b, 0, sizeof *b);
    cq_strlcpy(b->id, batch_id, sizeof b->id);
    cq_strlcpy(b->tenants, tenants ? tenants : "", sizeof b->tenants);
    b->hash = cqb_str_hash(batch_id);
    b->created_ms = created_ms;
    uint32_t first;
    b->same_hash =
        cq_u64map_get(&self->batch_map, b->hash, &first) ? first : S_NONE;
    cq_u64map_put(&self->batch_map, b->hash, id);
    return 0;
}

static int
s_doc(void *arg, uint32_t id, uint32_t batch, uint32_t pos, const char *name,
      uint32_t first_record, int32_t received_date, bool received_set,
      const uint8_t *digest, const void *data, size_t len, size_t size)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (id < self->n_docs || id - self->n_docs > 100000000u ||
        batch >= self->n_batches || self->batches[batch].gone ||
        pos > self->batches[batch].n_docs + 1000000u)
        return s_corrupt(l, "document", id);
    while (self->n_docs < id) {
        cqb_doc_t *g = s_new_doc(l);
        g->gone = true;
        g->state = D_DONE;
        g->name = cq_xstrdup("");
    }
    cqb_doc_t *d = s_new_doc(l);
    d->batch = batch;
    d->pos = pos;
    d->name = cq_xstrdup(name);
    d->first_record = first_record;
    d->received_date = received_date;
    d->received_set = received_set;
    d->size = size;
    memcpy(d->digest, digest, 32);
    if (data != NULL) {
        zmq_msg_init_size(&d->data, len);
        if (len)
            memcpy(zmq_msg_data(&d->data), data, len);
        d->has_data = true;
        d->state = D_QUEUED; // unless its intake row or quarantine says
    } else {
        d->state = D_DONE;
    }
    cqb_doc_index(self, id);
    return 0;
}

static int
s_intake(void *arg, uint32_t doc, uint64_t seq, int32_t status,
         const char *message, uint32_t n_claims, uint32_t refused_sets,
         uint32_t refused_claims)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (doc >= self->n_docs || self->docs[doc]->gone)
        return s_corrupt(l, "intake of document", doc);
    if (seq > self->intake_seq)
        self->intake_seq = seq;
    cqb_doc_t *d = self->docs[doc];
    l->intake_rows[doc]++;
    //  (a second row: the document was released from quarantine and
    //  admitted again; the first admitted nothing)
    d->state = D_DONE;
    d->status = status;
    free(d->message);
    d->message = message[0] ? cq_xstrdup(message) : NULL;
    free(d->cids);
    free(d->dup);
    d->dup = NULL;
    d->n_dup = 0;
    d->refused_sets = refused_sets;
    d->refused_claims = refused_claims;
    d->n_claims = n_claims;
    d->cids = n_claims ? cq_xmalloc(n_claims * sizeof *d->cids) : NULL;
    //  (its claims and references follow, in index order: the batch's
    //  entries are added as they come)
    for (uint32_t i = 0; i < n_claims; i++)
        d->cids[i] = S_NONE;
    return 0;
}

static int
s_claim(void *arg, uint32_t id, const char *key, uint32_t shard, uint32_t batch,
        uint32_t doc, uint32_t idx, const void *body, size_t len,
        const char *archived_batch)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (id != self->n_claims || shard >= self->n_shards || len == 0)
        return s_corrupt(l, "claim", id);
    size_t klen = strlen(key);
    if (archived_batch != NULL) {
        //  a claim of a compacted batch: its key and history stay
        cqb_claim_add(self, key, klen, cqb_str_hash(key), body, len, S_NONE,
                      shard, S_NONE, 0);
        return 0;
    }
    if (batch >= self->n_batches || doc >= self->n_docs ||
        idx >= self->docs[doc]->n_claims)
        return s_corrupt(l, "claim", id);
    uint32_t cid = cqb_claim_add(self, key, klen, cqb_str_hash(key), body, len,
                                 batch, shard, doc, idx);
    self->docs[doc]->cids[idx] = cid;
    cqb_batch_enter(self, self->docs[doc]->batch, cid, doc, idx);
    return 0;
}

static int
s_ref(void *arg, uint32_t doc, uint32_t idx, uint32_t claim)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (doc >= self->n_docs || idx >= self->docs[doc]->n_claims ||
        claim >= self->n_claims)
        return s_corrupt(l, "reference of document", doc);
    self->docs[doc]->cids[idx] = claim;
    if (cqb_batch_enter(self, self->docs[doc]->batch, claim, doc, idx))
        cqb_claim_ref(self, claim, doc, idx);
    return 0;
}

static int
s_decision(void *arg, uint32_t claim, uint64_t seq, uint32_t result,
           const char *node, const char *ledger_id, uint64_t ledger_seq,
           int outcome, const void *body, size_t len)
{
    (void)node;
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (seq > self->dec_seq)
        self->dec_seq = seq;
    if (claim >= self->n_claims || outcome < 0 || outcome > 2 || len == 0)
        return s_corrupt(l, "decision of claim", claim);
    if (self->claims[claim].state == C_DECIDED) {
        cqb_claim_t *o = &self->claims[claim];
        if (o->outcome == CQ_DECISION_PEND && o->release_of == o->dec_seq &&
            o->release_of != 0) {
            //  a person released the pend: this decision supersedes it
            cqb_shard_hist_drop(self, o->shard, claim);
        } else {
            //  (never written twice; kept first if it were)
            l->dup_decisions++;
            return 0;
        }
    }
    cqb_claim_decided(self, claim, body, len, (uint8_t)outcome);
    cqb_claim_t *c = &self->claims[claim];
    c->dec_seq = seq;
    c->result = result;
    if (result != UINT32_MAX && result >= self->next_result)
        self->next_result = result + 1;
    if (ledger_id[0] != '\0') {
        c->ledger = cqb_ledger_find(self, ledger_id, true);
        if (ledger_seq > 0)
            cqb_ledger_set(self, c->ledger, ledger_seq);
    }
    l->decisions++;
    return 0;
}

//  A release (review.c): the claim as released, under its key and shard.
static int
s_release(void *arg, uint32_t claim, uint64_t pend_seq, const char *key,
          uint32_t shard, const void *body, size_t len)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (claim >= self->n_claims || shard >= self->n_shards || len == 0 ||
        pend_seq == 0)
        return s_corrupt(l, "release of claim", claim);
    cqb_claim_rekey(self, claim, key, strlen(key));
    cqb_claim_t *c = &self->claims[claim];
    c->blob = cq_arena_dup(&self->arena, body, len);
    c->blob_len = (uint32_t)len;
    c->shard = shard;
    c->release_of = pend_seq;
    return 0;
}

static int
s_event(void *arg, const char *kind, uint32_t target, const char *node,
        uint32_t attempts, const char *detail, int64_t at_ms)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    //  (events of compacted batches and documents past the last one
    //  left: nothing to do)
    if ((strncmp(kind, "batch_", 6) == 0 && target >= self->n_batches &&
         target < l->floor_batches) ||
        (strncmp(kind, "doc_", 4) == 0 && target >= self->n_docs &&
         target < l->floor_docs))
        return 0;
    if (strcmp(kind, "batch_sealed") == 0) {
        if (target >= self->n_batches)
            return s_corrupt(l, kind, target);
        cqb_batch_t *b = &self->batches[target];
        b->sealed = true;
        b->sealed_docs = attempts;
        return 0;
    }
    if (strcmp(kind, "batch_opened") == 0) {
        if (target >= self->n_batches)
            return s_corrupt(l, kind, target);
        self->batches[target].sealed = false;
        return 0;
    }
    bool doc = strncmp(kind, "doc_", 4) == 0;
    bool claim = strncmp(kind, "claim_", 6) == 0;
    if ((doc && target >= self->n_docs) || (claim && target >= self->n_claims))
        return s_corrupt(l, kind, target);
    const char *what = doc ? kind + 4 : claim ? kind + 6 : "";
    if (doc || claim) {
        //  history for `claimq quarantine show`
        if (strcmp(what, "attempt") == 0 || strcmp(what, "quarantined") == 0) {
            cqb_fail_note(self, doc, target, node, detail ? detail : what);
            self->fails[self->n_fails - 1].at_ms = at_ms;
        }
    }
    if (claim) {
        cqb_claim_t *c = &self->claims[target];
        if (c->state == C_DECIDED)
            return 0; // a decision is final whatever came before it
        if (strcmp(what, "attempt") == 0)
            c->strikes = (uint8_t)(attempts < 255 ? attempts : 255);
        else if (strcmp(what, "quarantined") == 0)
            c->state = C_FAILED;
        else if (strcmp(what, "released") == 0) {
            c->state = C_QUEUED;
            c->strikes = 0;
        }
    } else if (doc) {
        cqb_doc_t *d = self->docs[target];
        if (d->gone)
            return 0;
        if (strcmp(what, "attempt") == 0)
            d->strikes = (uint8_t)(attempts < 255 ? attempts : 255);
        else if (strcmp(what, "quarantined") == 0)
            d->quarantined = true;
        else if (strcmp(what, "released") == 0) {
            d->quarantined = false;
            d->strikes = 0;
            l->releases[target]++;
        }
    }
    return 0;
}

static int
s_ack(void *arg, uint32_t doc, const void *ack, size_t len)
{
    s_load_t *l = arg;
    cq_broker_t *self = l->b;
    if (doc >= self->n_docs || len == 0 || len > CQ_PROTO_MAX_ACK)
        return s_corrupt(l, "999 of document", doc);
    cqb_doc_t *d = self->docs[doc];
    free(d->ack);
    d->ack = cq_xmalloc(len);
    memcpy(d->ack, ack, len);
    d->ack_len = (uint32_t)len;
    return 0;
}

//  After the load: queues, admission points, counters.
static int
s_settle(s_load_t *l)
{
    cq_broker_t *self = l->b;
    for (uint32_t di = 0; di < self->n_docs; di++) {
        cqb_doc_t *d = self->docs[di];
        if (d->gone)
            continue;
        bool admitted = l->intake_rows[di] > 0;
        bool again = admitted && l->releases[di] >= l->intake_rows[di];
        if (admitted && !again) {
            d->state = D_DONE;
            continue;
        }
        if (d->quarantined) {
            //  quarantined before its batch could admit it: parked, with
            //  nothing, until the documents before it are in
            d->state = D_PARKED;
            d->status = CQ_ETIMEDOUT;
            free(d->message);
            d->message = cq_xstrdup("document quarantined (see `claimq "
                                    "quarantine list`)");
            continue;
        }
        if (again) {
            //  released and not yet decoded again: its bytes come back
            //  from the journal
            if (!d->has_data) {
                if (cq_journal_doc_data(self->journal, di, &d->data) != 0)
                    return cq_diag_set(l->diag, CQ_EIO, 0,
                                       "%s: document %u cannot be read",
                                       cq_journal_path(self->journal), di);
                d->has_data = true;
            }
            free(d->cids);
            d->cids = NULL;
            d->n_claims = 0;
        }
        d->state = D_QUEUED;
        cq_deque_push_back(&self->intake_q, di);
        self->intake_q_bytes += d->size;
    }
    for (uint32_t bi = 0; bi < self->n_batches; bi++) {
        cqb_batch_t *b = &self->batches[bi];
        if (b->gone)
            continue;
        b->next_admit = 0;
        b->docs_done = b->docs_failed = 0;
        for (uint32_t p = 0; p < b->n_docs; p++) {
            if (b->docs[p] == S_NONE)
                return s_corrupt(l, "document position of batch", bi);
            const cqb_doc_t *d = self->docs[b->docs[p]];
            if (d->state == D_DONE) {
                b->docs_done++;
                if (d->status < 0)
                    b->docs_failed++;
                if (b->next_admit == p)
                    b->next_admit = p + 1;
            }
        }
        //  documents quarantined while parked may be admitted now
        cqb_batch_admit(self, bi);
    }
    for (uint32_t cid = 0; cid < self->n_claims; cid++) {
        cqb_claim_t *c = &self->claims[cid];
        if (c->state == C_DECIDED && c->release_of != 0 &&
            c->release_of == c->dec_seq) {
            //  released, its new decision not in yet: decided again
            cqb_shard_hist_drop(self, c->shard, cid);
            c->state = C_QUEUED;
        }
        if (c->state != C_QUEUED)
            continue;
        cq_deque_push_back(&self->shards[c->shard].q, cid);
        self->adj_queued++;
    }
    for (uint32_t di = 0; di < self->n_docs; di++) {
        const cqb_doc_t *d = self->docs[di];
        for (uint32_t i = 0; d->state == D_DONE && i < d->n_claims; i++)
            if (d->cids[i] == S_NONE)
                return s_corrupt(l, "claims of document", di);
    }
    cqb_batches_recount(self);
    return 0;
}

int
cqb_restore(cq_broker_t *self, cq_diag_t *diag)
{
    if (self->journal == NULL)
        return 0;
    s_load_t l = {self, diag, NULL, NULL, 0, 0, 0, 0, 0};
    cq_journal_loader_t loader = {s_batch, s_doc, s_intake,
                                  s_claim, s_ref, s_decision,
                                  s_event, s_ack, s_release};
    cq_journal_id_floors(self->journal, &l.floor_batches, &l.floor_docs);
    int rc = cq_journal_load(self->journal, &loader, &l, diag);
    if (rc == 0) {
        //  ids of compacted batches and documents at the end stay used
        while (self->n_batches < l.floor_batches)
            s_gone_batch(self);
        while (self->n_docs < l.floor_docs) {
            cqb_doc_t *g = s_new_doc(&l);
            g->gone = true;
            g->state = D_DONE;
            g->name = cq_xstrdup("");
        }
        rc = s_settle(&l);
    }
    free(l.intake_rows);
    free(l.releases);
    if (rc != 0)
        return rc;
    cqb_review_rebuild(self);
    if (l.dup_decisions)
        cq_log_warn(NULL,
                    "journal: %" PRIu64 " claims had a second decision "
                    "(the first is kept)",
                    l.dup_decisions);
    cq_log_notice(NULL,
                  "journal %s: epoch %" PRIu64 ", %u batches, %u documents "
                  "(%zu to decode), %u claims (%" PRIu64 " decided, %" PRIu64
                  " queued)",
                  cq_journal_path(self->journal), self->epoch, self->n_batches,
                  self->n_docs, (size_t)self->intake_q.n, self->n_claims,
                  l.decisions, self->adj_queued);
    return 0;
}
