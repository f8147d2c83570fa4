//  broker.c: see broker.h.
//
//  Durability. The broker's state lives in memory in this version. The
//  places where a journal must write are marked "journal:" below, and the
//  loop is already shaped for group commit: each turn reads what is
//  waiting on both sockets, then commits (s_journal_commit), and only then
//  sends receipts and queues the received documents for intake. A durable
//  journal (SQLite WAL, one transaction per turn) slots in there; receipts
//  then carry durable=true. What a restart of this version loses: batches,
//  undelivered work and the shard map (workers keep their ledgers; a
//  resubmitted claim is then decided again by its shard's owner, whose
//  ledger replays the decision it made when the owner is the same node).
#include "broker.h"
#include "claim.h"
#include "hash.h"
#include "log.h"
#include "mem.h"
#include "proto.h"
#include "shard.h"
#include "table.h"
#include "wire.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE UINT32_MAX
#define S_ADJ_MSG_ITEMS 512        // claims per ADJUDICATE
#define S_ADJ_MSG_BYTES (1u << 20) // bytes per ADJUDICATE (soft)
#define S_OUT_ITEMS 1024           // decisions per DECISIONS
#define S_OUT_BYTES (1u << 20)     // bytes per DECISIONS (soft)
#define S_REPLY_BYTES (4u << 20)   // bytes per RESULTS_REPLY (soft)
#define S_HWM 100000               // messages queued per peer
#define S_TURN_MSGS 256            // messages read per socket per turn

//  ---- state ------------------------------------------------------------

enum { W_LIVE, W_STOPPING, W_MISMATCH, W_DEAD, W_LEFT };
static const char *s_wstate[] = {"live", "stopping", "mismatch", "dead",
                                 "left"};

typedef struct {
    uint8_t rid[256]; // routing id
    size_t rid_len;
    char node_id[CQ_ID_LEN];
    char rules_version[CQ_RULES_VERSION_LEN];
    int state;                // W_*
    uint32_t credit;          // claims it may hold
    uint32_t inflight;        // claims it holds (sent, no result yet)
    uint32_t intake_credit;   // documents it may hold
    uint32_t intake_inflight; // documents it holds
    uint32_t hb_ms;           // its heartbeat interval
    uint32_t shards;          // shards it owns
    int64_t last_recv;        // ms
    int64_t last_send;        // ms
    uint64_t intake_done;     // documents decoded
    uint64_t decided;         // claims decided
    //  the ADJUDICATE being built this turn
    cq_mpw_t out;       // body
    size_t out_at;      // items array offset
    uint32_t out_lease; // lease slot, or S_NONE
    bool stalled;       // an ADJUDICATE to it failed this dispatch
} s_worker_t;

enum { L_FREE, L_INTAKE, L_ADJ };

typedef struct {
    uint64_t token;  // fencing token (never reused)
    int kind;        // L_*
    uint32_t worker; // holder
    uint32_t doc;    // L_INTAKE: the document
    uint32_t *cids;  // L_ADJ: claims, in send order
    uint32_t n;      // claims
    uint32_t cap;
    uint32_t remaining; // claims without a result yet
    uint32_t next_free; // free list
} s_lease_t;

enum { C_QUEUED, C_LEASED, C_DECIDED, C_FAILED };

typedef struct {
    const char *key;     // claim key (arena)
    const uint8_t *blob; // encoded claim (arena)
    const uint8_t *dec;  // encoded decision (arena), once decided
    uint32_t blob_len;
    uint32_t dec_len;
    uint64_t key_hash;
    uint32_t same_hash; // next claim with the same key hash
    uint32_t batch;     // batch of its first submission
    uint32_t shard;
    uint8_t state;    // C_*
    uint8_t outcome;  // cq_outcome_t once decided
    uint8_t attempts; // deliveries
    uint64_t lease;   // token while leased
    uint32_t ref_doc; // first reference: document and index
    uint32_t ref_index;
    uint32_t more_refs; // further references (s_ref_t list)
} s_claim_t;

typedef struct {
    uint32_t doc;
    uint32_t index;
    uint32_t next;
} s_ref_t;

enum { D_WAIT_RECEIPT, D_QUEUED, D_LEASED, D_PARKED, D_DONE };

typedef struct {
    uint32_t off; // claim bytes in buf
    uint32_t len;
    uint32_t key_off; // key bytes in keys
    uint32_t key_len;
    uint64_t key_hash;
    uint32_t shard;
} s_pclaim_t;

typedef struct {
    uint32_t batch;
    uint32_t pos; // position in the batch
    char *name;
    uint32_t first_record;
    int32_t received_date;
    uint64_t size;
    zmq_msg_t data; // the document, until its intake is done
    bool has_data;
    uint8_t digest[32]; // of batch, name, first record, bytes
    uint32_t same_hash; // next document with the same digest key
    int state;          // D_*
    uint64_t lease;     // token while leased
    uint8_t attempts;   // deliveries
    int32_t status;     // intake result
    char *message;      // why it failed
    uint32_t n_claims;
    uint32_t *cids;   // its claims, in record order
    uint32_t watcher; // client to notify, or S_NONE
    uint32_t watcher_gen;
    //  intake parts received under the current lease
    uint32_t next_part;
    cq_mpw_t pbuf;  // claim bytes
    cq_mpw_t pkeys; // key bytes
    s_pclaim_t *pv; // claims
    uint32_t pn, pcap;
} s_doc_t;

typedef struct {
    uint32_t doc;
    uint32_t index;
} s_entry_t;

typedef struct {
    char id[CQ_BATCH_ID_LEN];
    uint64_t hash;
    uint32_t same_hash;
    uint32_t *docs; // document indexes, in received order
    uint32_t n_docs, cap_docs;
    uint32_t next_admit; // position of the next document to admit
    s_entry_t *entries;  // claims in admission order
    uint32_t n_entries, cap_entries;
    uint64_t docs_done, docs_failed, decided, accept, reject, pend, failed;
} s_batch_t;

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    bool live;
    uint32_t gen;
    int64_t last_recv;
    //  the DECISIONS being built
    cq_mpw_t out;
    size_t out_at;
    uint32_t out_n;
    uint32_t out_batch;
} s_client_t;

typedef struct {
    uint32_t client;
    uint32_t gen;
    uint64_t req_id;
    uint32_t batch;
    uint32_t n;
    uint32_t docs[CQ_PROTO_MAX_DOCS];
    bool fresh[CQ_PROTO_MAX_DOCS]; // new document (else a resubmission)
} s_receipt_t;

//  Counters, in the order WORKERS_REPLY lists them.
enum {
    K_MSGS_IN,
    K_MSGS_OUT,
    K_MALFORMED,
    K_UNKNOWN_COMMAND,
    K_BAD_VERSION,
    K_OVERSIZED,
    K_UNEXPECTED,
    K_UNKNOWN_PEER,
    K_STALE_RESULTS,
    K_UNDELIVERABLE,
    K_PEER_BUSY,
    K_DOCS,
    K_DOCS_RESUBMITTED,
    K_DOCS_FAILED,
    K_CLAIMS,
    K_CLAIMS_RESUBMITTED,
    K_DECIDED,
    K_CLAIMS_FAILED,
    K_REQUEUED_DOCS,
    K_REQUEUED_CLAIMS,
    K_WORKERS_DEAD,
    K_SHARDS_MOVED,
    K_RECEIPT_STALLS,
    K_ARENA_BYTES,
    K_COUNT
};
static const char *s_kname[K_COUNT] = {
    "msgs_in",          "msgs_out",      "malformed",      "unknown_command",
    "bad_version",      "oversized",     "unexpected",     "unknown_peer",
    "stale_results",    "undeliverable", "peer_busy",      "docs",
    "docs_resubmitted", "docs_failed",   "claims",         "claims_resubmitted",
    "decided",          "claims_failed", "requeued_docs",  "requeued_claims",
    "workers_dead",     "shards_moved",  "receipt_stalls", "arena_bytes"};

struct cq_broker {
    cq_broker_config_t cfg;
    zsock_t *front_sock;
    zsock_t *back_sock;
    void *front; // raw handles
    void *back;
    char front_ep[256];
    char back_ep[256];
    char rules_version[CQ_RULES_VERSION_LEN]; // the cluster's, or ""
    uint64_t seed;                            // hash seed for routing ids
    int64_t now;

    s_worker_t *workers;
    uint32_t n_workers, cap_workers;

    s_lease_t *leases;
    uint32_t n_leases, cap_leases, free_lease;
    cq_u64map_t lease_map; // token -> slot
    uint64_t next_token;

    s_claim_t *claims;
    uint32_t n_claims, cap_claims;
    cq_u64map_t key_map; // key hash -> first claim with it
    s_ref_t *refs;
    uint32_t n_refs, cap_refs;
    cq_blobs_t arena;

    s_doc_t **docs;
    uint32_t n_docs, cap_docs;
    cq_u64map_t doc_map;     // digest prefix -> first document with it
    cq_deque_t intake_q;     // documents waiting for intake
    uint64_t intake_q_bytes; // their bytes

    s_batch_t *batches;
    uint32_t n_batches, cap_batches;
    cq_u64map_t batch_map;

    s_client_t *clients;
    uint32_t n_clients, cap_clients;
    cq_u64map_t client_map; // hash of routing id -> client

    s_receipt_t *receipts; // held receipts (FIFO)
    uint32_t rc_head, rc_n, rc_cap;

    uint32_t n_shards;
    uint32_t *owner;     // shard -> worker, or S_NONE
    cq_deque_t *shard_q; // shard -> claims waiting, in arrival order
    uint64_t adj_queued; // claims in all shard queues
    uint32_t rotor;      // first shard looked at by the next dispatch

    uint64_t k[K_COUNT];
    cq_mpw_t w;             // scratch writer
    cq_wire_msg_t *in;      // scratch message
    cq_claim_t claim;       // scratch
    cq_decision_t decision; // scratch
};

//  ---- small helpers ------------------------------------------------------

#define S_GROW(ptr, n, cap)                                                    \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            (cap) = (cap) ? (cap)*2 : 16;                                      \
            (ptr) = cq_xrealloc((ptr), (size_t)(cap) * sizeof *(ptr));         \
        }                                                                      \
    } while (0)

static uint64_t
s_str_hash(const char *s)
{
    return cq_hash64(s, strlen(s), 0x6371);
}

//  ---- sending -----------------------------------------------------------

//  Sends to a worker; a worker that is gone is marked dead by the caller's
//  next liveness check (its connection dropped), a full queue is counted.
static int
s_send_worker(cq_broker_t *self, s_worker_t *w, cq_cmd_t cmd,
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

static void s_client_flush(cq_broker_t *self, uint32_t ci);

static int
s_send_client(cq_broker_t *self, uint32_t ci, cq_cmd_t cmd,
              const cq_mpw_t *body)
{
    s_client_t *c = &self->clients[ci];
    if (!c->live)
        return CQ_EUNREACH;
    int rc = cq_wire_send(self->front, c->rid, c->rid_len, cmd, body->data,
                          body->len, NULL, 0, ZMQ_DONTWAIT);
    if (rc == 0) {
        self->k[K_MSGS_OUT]++;
        c->last_recv = self->now; // its connection is there
        return 0;
    }
    if (rc == CQ_EBUSY) {
        //  A client that does not read: what it misses it can fetch with
        //  RESULTS (the client does when it sees a gap).
        self->k[K_PEER_BUSY]++;
    } else {
        self->k[K_UNDELIVERABLE]++;
        if (rc == CQ_EUNREACH) {
            c->live = false; // gone; its slot is freed by s_tick
        }
    }
    return rc;
}

//  ---- clients -----------------------------------------------------------

static uint32_t
s_client_find(cq_broker_t *self, const uint8_t *rid, size_t len, bool add)
{
    uint64_t h = cq_hash64(rid, len, self->seed);
    uint32_t ci;
    if (cq_u64map_get(&self->client_map, h, &ci)) {
        s_client_t *c = &self->clients[ci];
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
    s_client_t *c = &self->clients[ci];
    memcpy(c->rid, rid, len);
    c->rid_len = len;
    c->live = true;
    c->gen++;
    c->last_recv = self->now;
    cq_u64map_put(&self->client_map, h, ci);
    return ci;
}

static void
s_client_flush(cq_broker_t *self, uint32_t ci)
{
    s_client_t *c = &self->clients[ci];
    if (c->out_n == 0)
        return;
    cq_proto_decisions_end(&c->out, c->out_at, c->out_n);
    s_send_client(self, ci, CQ_CMD_DECISIONS, &c->out);
    c->out_n = 0;
    c->out_batch = S_NONE;
    cq_mpw_reset(&c->out);
}

//  Queues one decision (raw NULL: the claim failed) for the watcher of doc.
static void
s_notify(cq_broker_t *self, uint32_t di, uint32_t index, const uint8_t *raw,
         size_t len)
{
    s_doc_t *d = self->docs[di];
    if (d->watcher == S_NONE)
        return;
    s_client_t *c = &self->clients[d->watcher];
    if (c->gen != d->watcher_gen || !c->live)
        return;
    if (c->out_n > 0 && (c->out_batch != d->batch || c->out_n >= S_OUT_ITEMS ||
                         c->out.len >= S_OUT_BYTES))
        s_client_flush(self, d->watcher);
    if (c->out_n == 0) {
        c->out_at =
            cq_proto_decisions_begin(&c->out, self->batches[d->batch].id);
        c->out_batch = d->batch;
    }
    cq_proto_decisions_add(&c->out, di, index, raw, len);
    c->out_n++;
}

static void
s_send_doc_done(cq_broker_t *self, uint32_t di)
{
    s_doc_t *d = self->docs[di];
    if (d->watcher == S_NONE)
        return;
    s_client_t *c = &self->clients[d->watcher];
    if (c->gen != d->watcher_gen || !c->live)
        return;
    s_client_flush(self, d->watcher);
    cq_msg_doc_done_t m;
    memset(&m, 0, sizeof m);
    cq_strlcpy(m.batch_id, self->batches[d->batch].id, sizeof m.batch_id);
    m.doc_id = di;
    m.n_claims = d->n_claims;
    m.status = d->status;
    if (d->message)
        cq_strlcpy(m.message, d->message, sizeof m.message);
    cq_proto_doc_done_encode(&self->w, &m);
    s_send_client(self, d->watcher, CQ_CMD_DOC_DONE, &self->w);
}

//  ---- batches -----------------------------------------------------------

static uint32_t
s_batch_find(cq_broker_t *self, const char *id, bool add)
{
    uint64_t h = s_str_hash(id);
    uint32_t bi;
    if (cq_u64map_get(&self->batch_map, h, &bi)) {
        for (; bi != S_NONE; bi = self->batches[bi].same_hash)
            if (strcmp(self->batches[bi].id, id) == 0)
                return bi;
    }
    if (!add)
        return S_NONE;
    S_GROW(self->batches, self->n_batches, self->cap_batches);
    bi = self->n_batches++;
    s_batch_t *b = &self->batches[bi];
    memset(b, 0, sizeof *b);
    cq_strlcpy(b->id, id, sizeof b->id);
    b->hash = h;
    uint32_t first;
    b->same_hash = cq_u64map_get(&self->batch_map, h, &first) ? first : S_NONE;
    cq_u64map_put(&self->batch_map, h, bi);
    return bi;
}

static void
s_count_decided(cq_broker_t *self, uint32_t bi, const s_claim_t *c)
{
    s_batch_t *b = &self->batches[bi];
    if (c->state == C_FAILED) {
        b->failed++;
        return;
    }
    b->decided++;
    if (c->outcome == CQ_DECISION_ACCEPT)
        b->accept++;
    else if (c->outcome == CQ_DECISION_REJECT)
        b->reject++;
    else
        b->pend++;
}

//  A claim reached its end (decided or failed): count it in the batches
//  of its references and tell their watchers.
static void
s_claim_final(cq_broker_t *self, uint32_t cid)
{
    s_claim_t *c = &self->claims[cid];
    uint32_t doc = c->ref_doc, index = c->ref_index, r = c->more_refs;
    for (;;) {
        s_count_decided(self, self->docs[doc]->batch, c);
        s_notify(self, doc, index, c->state == C_DECIDED ? c->dec : NULL,
                 c->dec_len);
        if (r == S_NONE)
            break;
        doc = self->refs[r].doc;
        index = self->refs[r].index;
        r = self->refs[r].next;
    }
}

static void
s_pend_free(s_doc_t *d)
{
    cq_mpw_free(&d->pbuf);
    cq_mpw_free(&d->pkeys);
    free(d->pv);
    d->pv = NULL;
    d->pn = d->pcap = 0;
    d->next_part = 0;
}

//  Admits a parked document: its claims join the claim table (a key
//  already known adds a reference to the existing claim) and their shard
//  queues. journal: the document's claims (group commit).
static void
s_admit(cq_broker_t *self, uint32_t di)
{
    s_doc_t *d = self->docs[di];
    s_batch_t *b = &self->batches[d->batch];
    d->n_claims = d->pn;
    d->cids = d->pn ? cq_xmalloc(d->pn * sizeof *d->cids) : NULL;
    for (uint32_t i = 0; i < d->pn; i++) {
        const s_pclaim_t *p = &d->pv[i];
        const char *key = (const char *)d->pkeys.data + p->key_off;
        uint32_t cid = S_NONE, first = S_NONE;
        if (cq_u64map_get(&self->key_map, p->key_hash, &first)) {
            for (uint32_t x = first; x != S_NONE;
                 x = self->claims[x].same_hash) {
                const char *k = self->claims[x].key;
                if (strlen(k) == p->key_len &&
                    memcmp(k, key, p->key_len) == 0) {
                    cid = x;
                    break;
                }
            }
        }
        if (cid != S_NONE) {
            //  Resubmitted key: not decided again.
            s_claim_t *c = &self->claims[cid];
            S_GROW(self->refs, self->n_refs, self->cap_refs);
            s_ref_t *r = &self->refs[self->n_refs];
            r->doc = di;
            r->index = i;
            r->next = S_NONE;
            //  append at the end of the reference list (order of entries)
            if (c->more_refs == S_NONE) {
                c->more_refs = self->n_refs;
            } else {
                uint32_t t = c->more_refs;
                while (self->refs[t].next != S_NONE)
                    t = self->refs[t].next;
                self->refs[t].next = self->n_refs;
            }
            self->n_refs++;
            self->k[K_CLAIMS_RESUBMITTED]++;
        } else {
            S_GROW(self->claims, self->n_claims, self->cap_claims);
            cid = self->n_claims++;
            s_claim_t *c = &self->claims[cid];
            memset(c, 0, sizeof *c);
            char *kcopy = cq_blobs_dup(&self->arena, key, p->key_len + 1);
            kcopy[p->key_len] = '\0';
            c->key = kcopy;
            c->blob = cq_blobs_dup(&self->arena, d->pbuf.data + p->off, p->len);
            c->blob_len = p->len;
            c->key_hash = p->key_hash;
            c->same_hash = first;
            c->batch = d->batch;
            c->shard = p->shard;
            c->state = C_QUEUED;
            c->ref_doc = di;
            c->ref_index = i;
            c->more_refs = S_NONE;
            cq_u64map_put(&self->key_map, p->key_hash, cid);
            cq_deque_push_back(&self->shard_q[p->shard], cid);
            self->adj_queued++;
            self->k[K_CLAIMS]++;
        }
        d->cids[i] = cid;
        S_GROW(b->entries, b->n_entries, b->cap_entries);
        b->entries[b->n_entries].doc = di;
        b->entries[b->n_entries].index = i;
        b->n_entries++;
    }
    s_pend_free(d);
    d->state = D_DONE;
    b->docs_done++;
    if (d->status < 0) {
        b->docs_failed++;
        self->k[K_DOCS_FAILED]++;
    }
    s_send_doc_done(self, di);
    //  Entries whose claim was already final: answer them now.
    for (uint32_t i = 0; i < d->n_claims; i++) {
        s_claim_t *c = &self->claims[d->cids[i]];
        if (c->state == C_DECIDED || c->state == C_FAILED) {
            s_count_decided(self, d->batch, c);
            s_notify(self, di, i, c->state == C_DECIDED ? c->dec : NULL,
                     c->dec_len);
        }
    }
    self->k[K_ARENA_BYTES] = self->arena.total;
}

//  Admits the batch's parked documents in received order: claims enter
//  the shard queues in the order of the documents, whichever worker
//  finished first (DESIGN.md §4.3: same journal order as one process).
static void
s_batch_admit(cq_broker_t *self, uint32_t bi)
{
    s_batch_t *b = &self->batches[bi];
    while (b->next_admit < b->n_docs) {
        uint32_t di = b->docs[b->next_admit];
        s_doc_t *d = self->docs[di];
        if (d->state == D_DONE) { // a resubmitted document already in
            b->next_admit++;
            continue;
        }
        if (d->state != D_PARKED)
            break;
        s_admit(self, di);
        b->next_admit++;
    }
}

//  ---- workers and leases ----------------------------------------------

static uint32_t
s_worker_by_rid(cq_broker_t *self, const uint8_t *rid, size_t len)
{
    for (uint32_t i = 0; i < self->n_workers; i++) {
        s_worker_t *w = &self->workers[i];
        if (w->state != W_DEAD && w->state != W_LEFT && w->rid_len == len &&
            memcmp(w->rid, rid, len) == 0)
            return i;
    }
    return S_NONE;
}

static bool
s_eligible(const s_worker_t *w)
{
    return w->state == W_LIVE;
}

static uint32_t
s_lease_new(cq_broker_t *self, int kind, uint32_t worker)
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
    s_lease_t *l = &self->leases[li];
    l->token = ++self->next_token;
    l->kind = kind;
    l->worker = worker;
    l->doc = S_NONE;
    l->n = l->remaining = 0;
    cq_u64map_put(&self->lease_map, l->token, li);
    return li;
}

static void
s_lease_free(cq_broker_t *self, uint32_t li)
{
    s_lease_t *l = &self->leases[li];
    cq_u64map_del(&self->lease_map, l->token);
    l->kind = L_FREE;
    l->token = 0;
    l->n = l->remaining = 0;
    l->next_free = self->free_lease;
    self->free_lease = li;
}

static void
s_lease_add(s_lease_t *l, uint32_t cid)
{
    S_GROW(l->cids, l->n, l->cap);
    l->cids[l->n++] = cid;
    l->remaining++;
}

//  Takes back the work of a lease: a document goes to the front of the
//  intake queue; claims still without a result go back to the front of
//  their shard queues, in their original order. A new delivery gets a new
//  token, so a late INTAKE_DONE / RESULT of this one is refused.
static void
s_lease_requeue(cq_broker_t *self, uint32_t li)
{
    s_lease_t *l = &self->leases[li];
    s_worker_t *w = &self->workers[l->worker];
    if (l->kind == L_INTAKE) {
        s_doc_t *d = self->docs[l->doc];
        s_pend_free(d);
        if (w->intake_inflight > 0)
            w->intake_inflight--;
        if (d->attempts >= self->cfg.max_attempts) {
            d->status = CQ_ETIMEDOUT;
            free(d->message);
            d->message = cq_xstrdup("intake failed on every attempt "
                                    "(worker lost); document quarantined");
            d->state = D_PARKED;
            d->pn = 0;
            if (d->has_data) {
                zmq_msg_close(&d->data);
                d->has_data = false;
            }
            cq_log_warn(NULL, "document %u quarantined after %u attempts",
                        l->doc, d->attempts);
            s_batch_admit(self, d->batch);
        } else {
            d->state = D_QUEUED;
            d->lease = 0;
            cq_deque_push_front(&self->intake_q, l->doc);
            self->intake_q_bytes += d->size;
            self->k[K_REQUEUED_DOCS]++;
        }
    } else if (l->kind == L_ADJ) {
        for (uint32_t i = l->n; i-- > 0;) {
            uint32_t cid = l->cids[i];
            s_claim_t *c = &self->claims[cid];
            if (c->state != C_LEASED || c->lease != l->token)
                continue;
            if (w->inflight > 0)
                w->inflight--;
            c->lease = 0;
            if (c->attempts >= self->cfg.max_attempts) {
                c->state = C_FAILED;
                self->k[K_CLAIMS_FAILED]++;
                cq_log_warn(NULL, "claim %u failed after %u attempts", cid,
                            c->attempts);
                s_claim_final(self, cid);
                continue;
            }
            c->state = C_QUEUED;
            cq_deque_push_front(&self->shard_q[c->shard], cid);
            self->adj_queued++;
            self->k[K_REQUEUED_CLAIMS]++;
        }
    }
    s_lease_free(self, li);
}

//  A worker is gone (silent for 3 heartbeats, replaced, or refused our
//  messages): its leases are requeued in the order they were given, and
//  the shards it owned get new owners when next needed. Their member state
//  stays in its ledger: moving it with the shards is later work.
static void
s_worker_gone(cq_broker_t *self, uint32_t wi, int state, const char *why)
{
    s_worker_t *w = &self->workers[wi];
    cq_log_notice(NULL, "worker %s %s (%s)", w->node_id, s_wstate[state], why);
    //  leases: requeue newest first, so that push_front leaves them oldest
    //  first at the heads of the queues.
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
    for (uint32_t i = n; i-- > 0;)
        s_lease_requeue(self, mine[i]);
    free(mine);
    for (uint32_t s = 0; s < self->n_shards; s++)
        if (self->owner[s] == wi) {
            self->owner[s] = S_NONE;
            self->k[K_SHARDS_MOVED]++;
        }
    w->shards = 0;
    w->inflight = 0;
    w->intake_inflight = 0;
    w->state = state;
    if (state == W_DEAD)
        self->k[K_WORKERS_DEAD]++;
}

//  ---- dispatch ------------------------------------------------------------

static uint32_t
s_pick_owner(cq_broker_t *self, uint32_t shard)
{
    const char *ids[256];
    uint32_t idx[256];
    size_t n = 0;
    for (uint32_t i = 0; i < self->n_workers && n < 256; i++)
        if (s_eligible(&self->workers[i])) {
            ids[n] = self->workers[i].node_id;
            idx[n++] = i;
        }
    int o = cq_shard_owner(shard, ids, n);
    return o < 0 ? S_NONE : idx[o];
}

static void
s_dispatch_intake(cq_broker_t *self)
{
    //  Hold intake while many decoded claims wait for adjudication: memory
    //  stays bounded and the latency of what is queued stays low.
    uint64_t credit = 0;
    for (uint32_t i = 0; i < self->n_workers; i++)
        if (s_eligible(&self->workers[i]))
            credit += self->workers[i].credit;
    uint64_t backlog_cap = credit * 4 > 8192 ? credit * 4 : 8192;
    while (self->intake_q.n > 0 && self->adj_queued < backlog_cap) {
        uint32_t best = S_NONE, best_free = 0;
        for (uint32_t i = 0; i < self->n_workers; i++) {
            s_worker_t *w = &self->workers[i];
            if (!s_eligible(w) || w->intake_inflight >= w->intake_credit)
                continue;
            uint32_t f = w->intake_credit - w->intake_inflight;
            if (f > best_free) {
                best = i;
                best_free = f;
            }
        }
        if (best == S_NONE)
            return;
        s_worker_t *w = &self->workers[best];
        uint32_t di = cq_deque_pop_front(&self->intake_q);
        s_doc_t *d = self->docs[di];
        self->intake_q_bytes -= d->size;
        uint32_t li = s_lease_new(self, L_INTAKE, best);
        s_lease_t *l = &self->leases[li];
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
        int rc = s_send_worker(self, w, CQ_CMD_INTAKE, &self->w, &copy, 1);
        zmq_msg_close(&copy);
        if (rc != 0) {
            //  Not delivered: back where it was, no attempt counted.
            s_lease_free(self, li);
            cq_deque_push_front(&self->intake_q, di);
            self->intake_q_bytes += d->size;
            if (rc == CQ_EUNREACH)
                s_worker_gone(self, best, W_DEAD, "unreachable");
            return;
        }
        d->attempts++;
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
    s_worker_t *w = &self->workers[wi];
    if (w->out_lease == S_NONE)
        return 0;
    uint32_t li = w->out_lease;
    w->out_lease = S_NONE;
    s_lease_t *l = &self->leases[li];
    cq_proto_adjudicate_end(&w->out, w->out_at, l->n);
    int rc = s_send_worker(self, w, CQ_CMD_ADJUDICATE, &w->out, NULL, 0);
    cq_mpw_reset(&w->out);
    if (rc != 0) {
        //  Not delivered: back to the queues, uncounted.
        for (uint32_t i = 0; i < l->n; i++)
            self->claims[l->cids[i]].attempts--;
        s_lease_requeue(self, li);
        w->stalled = true;
        if (rc == CQ_EUNREACH)
            s_worker_gone(self, wi, W_DEAD, "unreachable");
    }
    return rc;
}

static void
s_dispatch_adj(cq_broker_t *self)
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
            cq_deque_t *q = &self->shard_q[s];
            if (q->n == 0)
                continue;
            uint32_t wi = self->owner[s];
            if (wi == S_NONE) {
                wi = s_pick_owner(self, s);
                if (wi == S_NONE)
                    goto flush; // no eligible worker at all
                //  journal: shard s -> node (the shard map)
                self->owner[s] = wi;
                self->workers[wi].shards++;
            }
            s_worker_t *w = &self->workers[wi];
            //  A stopping owner's shards wait for it to leave; a stalled
            //  one's for the next turn.
            if (!s_eligible(w) || w->stalled)
                continue;
            for (uint32_t taken = 0; taken < 64 && q->n > 0; taken++) {
                if (w->inflight >= w->credit)
                    break;
                if (w->out_lease == S_NONE) {
                    w->out_lease = s_lease_new(self, L_ADJ, wi);
                    w->out_at = cq_proto_adjudicate_begin(
                        &w->out, self->leases[w->out_lease].token);
                }
                s_lease_t *l = &self->leases[w->out_lease];
                uint32_t cid = cq_deque_pop_front(q);
                self->adj_queued--;
                s_claim_t *c = &self->claims[cid];
                c->state = C_LEASED;
                c->lease = l->token;
                c->attempts++;
                w->inflight++;
                cq_proto_adjudicate_add(&w->out, cid,
                                        self->batches[c->batch].id, c->blob,
                                        c->blob_len);
                s_lease_add(l, cid);
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
flush:
    self->rotor = (self->rotor + 1) % S;
    for (uint32_t i = 0; i < self->n_workers; i++)
        s_adj_flush(self, i);
}

//  ---- receipts ----------------------------------------------------------

//  journal: commit point. Everything read this turn is written in one
//  transaction here (group commit); receipts below follow it.
static bool
s_journal_commit(cq_broker_t *self)
{
    (void)self;
    return false; // not durable: nothing is written yet
}

static void
s_release_receipts(cq_broker_t *self, bool durable)
{
    while (self->rc_n > 0) {
        //  Backpressure: documents already acknowledged and still waiting
        //  for intake hold further receipts (the client's window stalls).
        if (self->intake_q_bytes >= self->cfg.max_queued_bytes) {
            self->k[K_RECEIPT_STALLS]++;
            return;
        }
        s_receipt_t *r = &self->receipts[self->rc_head];
        self->rc_head = (self->rc_head + 1) % self->rc_cap;
        self->rc_n--;
        cq_msg_receipt_t m;
        memset(&m, 0, sizeof m);
        m.req_id = r->req_id;
        cq_strlcpy(m.batch_id, self->batches[r->batch].id, sizeof m.batch_id);
        m.durable = durable;
        m.n_docs = r->n;
        for (uint32_t i = 0; i < r->n; i++) {
            m.doc_ids[i] = r->docs[i];
            s_doc_t *d = self->docs[r->docs[i]];
            if (r->fresh[i] && d->state == D_WAIT_RECEIPT) {
                d->state = D_QUEUED;
                cq_deque_push_back(&self->intake_q, r->docs[i]);
                self->intake_q_bytes += d->size;
            }
        }
        bool same_client = self->clients[r->client].gen == r->gen;
        if (same_client) {
            s_client_flush(self, r->client);
            cq_proto_receipt_encode(&self->w, &m);
            s_send_client(self, r->client, CQ_CMD_RECEIPT, &self->w);
        }
        //  Resubmitted documents: replay what is known.
        for (uint32_t i = 0; i < r->n && same_client; i++) {
            if (r->fresh[i])
                continue;
            uint32_t di = r->docs[i];
            s_doc_t *d = self->docs[di];
            if (d->state != D_DONE)
                continue;
            s_send_doc_done(self, di);
            for (uint32_t k = 0; k < d->n_claims; k++) {
                s_claim_t *c = &self->claims[d->cids[k]];
                if (c->state == C_DECIDED || c->state == C_FAILED)
                    s_notify(self, di, k, c->state == C_DECIDED ? c->dec : NULL,
                             c->dec_len);
            }
        }
    }
}

//  ---- frontend handlers -------------------------------------------------

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
    uint32_t bi = s_batch_find(self, m->batch_id, true);
    if (self->rc_n == self->rc_cap) {
        size_t ncap = self->rc_cap ? self->rc_cap * 2 : 8;
        s_receipt_t *nr = cq_xmalloc(ncap * sizeof *nr);
        for (uint32_t i = 0; i < self->rc_n; i++)
            nr[i] = self->receipts[(self->rc_head + i) % self->rc_cap];
        free(self->receipts);
        self->receipts = nr;
        self->rc_cap = (uint32_t)ncap;
        self->rc_head = 0;
    }
    s_receipt_t *r =
        &self->receipts[(self->rc_head + self->rc_n) % self->rc_cap];
    self->rc_n++;
    r->client = ci;
    r->gen = self->clients[ci].gen;
    r->req_id = m->req_id;
    r->batch = bi;
    r->n = m->n_docs;
    int32_t today = cq_date_today();
    for (uint32_t i = 0; i < m->n_docs; i++) {
        zmq_msg_t *part = &in->parts[in->first_extra + (int)i];
        //  Digest of batch, name, first record and bytes: the same
        //  document resubmitted to the same batch is recognised.
        uint8_t dg[32];
        {
            cq_buf_t tmp;
            cq_buf_init(&tmp, (size_t)1 << 12);
            cq_buf_printf(&tmp, "%s\n%s\n%u\n", m->batch_id, m->docs[i].name,
                          m->docs[i].first_record);
            uint8_t h1[32];
            cq_sha256(zmq_msg_data(part), zmq_msg_size(part), h1);
            cq_buf_add(&tmp, h1, sizeof h1);
            cq_sha256(tmp.data, tmp.len, dg);
            cq_buf_free(&tmp);
        }
        uint64_t key;
        memcpy(&key, dg, sizeof key);
        uint32_t di = S_NONE, first = S_NONE;
        if (cq_u64map_get(&self->doc_map, key, &first))
            for (uint32_t x = first; x != S_NONE; x = self->docs[x]->same_hash)
                if (memcmp(self->docs[x]->digest, dg, 32) == 0) {
                    di = x;
                    break;
                }
        if (di != S_NONE) {
            s_doc_t *d = self->docs[di];
            d->watcher = ci;
            d->watcher_gen = self->clients[ci].gen;
            r->docs[i] = di;
            r->fresh[i] = false;
            self->k[K_DOCS_RESUBMITTED]++;
            continue;
        }
        S_GROW(self->docs, self->n_docs, self->cap_docs);
        di = self->n_docs++;
        s_doc_t *d = cq_xcalloc(1, sizeof *d);
        self->docs[di] = d;
        d->batch = bi;
        d->name = cq_xstrdup(m->docs[i].name);
        d->first_record = m->docs[i].first_record;
        d->received_date = today;
        d->size = m->docs[i].size;
        zmq_msg_init(&d->data);
        zmq_msg_move(&d->data, part);
        d->has_data = true;
        memcpy(d->digest, dg, 32);
        d->same_hash = first;
        cq_u64map_put(&self->doc_map, key, di);
        d->state = D_WAIT_RECEIPT;
        d->watcher = ci;
        d->watcher_gen = self->clients[ci].gen;
        cq_mpw_init(&d->pbuf);
        cq_mpw_init(&d->pkeys);
        s_batch_t *b = &self->batches[bi];
        S_GROW(b->docs, b->n_docs, b->cap_docs);
        d->pos = b->n_docs;
        b->docs[b->n_docs++] = di;
        r->docs[i] = di;
        r->fresh[i] = true;
        self->k[K_DOCS]++;
        //  journal: the document (name, bytes, batch, received date)
    }
    free(m);
}

static void
s_fill_status(cq_broker_t *self, uint32_t bi, cq_msg_status_reply_t *r)
{
    s_batch_t *b = &self->batches[bi];
    r->found = true;
    r->docs = b->n_docs;
    r->docs_done = b->docs_done;
    r->docs_failed = b->docs_failed;
    r->claims = b->n_entries;
    r->decided = b->decided;
    r->accept = b->accept;
    r->reject = b->reject;
    r->pend = b->pend;
    r->failed = b->failed;
}

static void
s_on_status(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_status_t m;
    if (cq_proto_status_decode(in->body, in->body_len, &m, NULL) != 0) {
        self->k[K_MALFORMED]++;
        return;
    }
    cq_msg_status_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.batch_id, m.batch_id, sizeof r.batch_id);
    uint32_t bi = s_batch_find(self, m.batch_id, false);
    if (bi != S_NONE)
        s_fill_status(self, bi, &r);
    s_client_flush(self, ci);
    cq_proto_status_reply_encode(&self->w, &r);
    s_send_client(self, ci, CQ_CMD_STATUS_REPLY, &self->w);
}

static void
s_on_results(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_results_t m;
    if (cq_proto_results_decode(in->body, in->body_len, &m, NULL) != 0) {
        self->k[K_MALFORMED]++;
        return;
    }
    cq_msg_results_reply_t r;
    memset(&r, 0, sizeof r);
    r.req_id = m.req_id;
    cq_strlcpy(r.batch_id, m.batch_id, sizeof r.batch_id);
    uint32_t bi = s_batch_find(self, m.batch_id, false);
    s_client_flush(self, ci);
    cq_mpw_t *w = &self->w;
    if (bi == S_NONE) {
        r.status = CQ_ENOTFOUND;
        size_t at = cq_proto_results_reply_begin(w, &r);
        cq_proto_results_reply_end(w, at, 0);
        s_send_client(self, ci, CQ_CMD_RESULTS_REPLY, w);
        return;
    }
    s_batch_t *b = &self->batches[bi];
    r.total = b->n_entries;
    r.complete =
        b->docs_done == b->n_docs && b->decided + b->failed == b->n_entries;
    uint64_t end = m.cursor;
    //  the header is written last: count what fits first
    uint32_t n = 0;
    size_t bytes = 0;
    while (end < b->n_entries && n < m.max && bytes < S_REPLY_BYTES) {
        const s_entry_t *e = &b->entries[end];
        const s_claim_t *c = &self->claims[self->docs[e->doc]->cids[e->index]];
        bytes += 16 + c->dec_len + (m.with_claims ? c->blob_len : 0);
        end++;
        n++;
    }
    r.next_cursor = end;
    size_t at = cq_proto_results_reply_begin(w, &r);
    for (uint64_t i = m.cursor; i < end; i++) {
        const s_entry_t *e = &b->entries[i];
        const s_claim_t *c = &self->claims[self->docs[e->doc]->cids[e->index]];
        cq_proto_results_reply_add(
            w, e->doc, e->index, c->state == C_DECIDED ? c->dec : NULL,
            c->dec_len, m.with_claims ? c->blob : NULL, c->blob_len);
    }
    cq_proto_results_reply_end(w, at, n);
    s_send_client(self, ci, CQ_CMD_RESULTS_REPLY, w);
}

static void
s_on_workers(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    uint64_t req_id;
    if (cq_proto_workers_decode(in->body, in->body_len, &req_id, NULL) != 0) {
        self->k[K_MALFORMED]++;
        return;
    }
    cq_msg_workers_reply_t *r = cq_xcalloc(1, sizeof *r);
    r->req_id = req_id;
    cq_strlcpy(r->rules_version, self->rules_version, sizeof r->rules_version);
    r->shards = self->n_shards;
    uint32_t nw = self->n_workers < CQ_PROTO_MAX_WORKERS ? self->n_workers
                                                         : CQ_PROTO_MAX_WORKERS;
    r->workers = cq_xcalloc(nw ? nw : 1, sizeof *r->workers);
    r->n_workers = nw;
    for (uint32_t i = 0; i < nw; i++) {
        const s_worker_t *w = &self->workers[i];
        cq_worker_info_t *x = &r->workers[i];
        cq_strlcpy(x->node_id, w->node_id, sizeof x->node_id);
        cq_strlcpy(x->state, s_wstate[w->state], sizeof x->state);
        cq_strlcpy(x->rules_version, w->rules_version, sizeof x->rules_version);
        x->credit = w->credit;
        x->inflight = w->inflight;
        x->intake_credit = w->intake_credit;
        x->intake_inflight = w->intake_inflight;
        x->shards = w->shards;
        x->intake_done = w->intake_done;
        x->decided = w->decided;
        x->idle_ms = (uint64_t)(self->now - w->last_recv);
    }
    self->k[K_ARENA_BYTES] = self->arena.total;
    r->n_counters = K_COUNT + 2;
    for (int i = 0; i < K_COUNT; i++) {
        cq_strlcpy(r->counters[i].name, s_kname[i], sizeof r->counters[i].name);
        r->counters[i].value = self->k[i];
    }
    cq_strlcpy(r->counters[K_COUNT].name, "queued_intake",
               CQ_PROTO_COUNTER_LEN);
    r->counters[K_COUNT].value = self->intake_q.n;
    cq_strlcpy(r->counters[K_COUNT + 1].name, "queued_claims",
               CQ_PROTO_COUNTER_LEN);
    r->counters[K_COUNT + 1].value = self->adj_queued;
    s_client_flush(self, ci);
    cq_proto_workers_reply_encode(&self->w, r);
    s_send_client(self, ci, CQ_CMD_WORKERS_REPLY, &self->w);
    free(r->workers);
    free(r);
}

//  Counts why a message was dropped (cq_wire_parse's code).
static void
s_count_drop(cq_broker_t *self, int rc, const cq_diag_t *diag, const char *side)
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

//  A SUBMIT whose documents are over the frame limit: dropped and counted
//  like any oversized message, but its sender is told why (when header
//  and body themselves are fine), rather than left waiting.
static void
s_refuse_submit(cq_broker_t *self, cq_wire_msg_t *in)
{
    int cmd;
    if (in->n < 3 || in->dropped > 0 ||
        cq_proto_hdr_decode(zmq_msg_data(&in->parts[1]),
                            zmq_msg_size(&in->parts[1]), &cmd, NULL) != 0 ||
        cmd != CQ_CMD_SUBMIT ||
        zmq_msg_size(&in->parts[2]) > self->cfg.max_frame)
        return;
    cq_msg_submit_t *m = cq_xmalloc(sizeof *m);
    if (cq_proto_submit_decode(zmq_msg_data(&in->parts[2]),
                               zmq_msg_size(&in->parts[2]), m, NULL) == 0) {
        uint32_t ci = s_client_find(self, zmq_msg_data(&in->parts[0]),
                                    zmq_msg_size(&in->parts[0]), true);
        cq_msg_receipt_t r;
        memset(&r, 0, sizeof r);
        r.req_id = m->req_id;
        cq_strlcpy(r.batch_id, m->batch_id, sizeof r.batch_id);
        r.status = CQ_ETOOBIG;
        snprintf(r.message, sizeof r.message,
                 "a document is over this broker's limit of %zu bytes "
                 "(--max-frame); nothing was received",
                 self->cfg.max_frame);
        s_client_flush(self, ci);
        cq_proto_receipt_encode(&self->w, &r);
        s_send_client(self, ci, CQ_CMD_RECEIPT, &self->w);
    }
    free(m);
}

static void
s_on_frontend(cq_broker_t *self, cq_wire_msg_t *in)
{
    self->k[K_MSGS_IN]++;
    if (in->n < 1 || zmq_msg_size(&in->parts[0]) == 0 ||
        zmq_msg_size(&in->parts[0]) > 255) {
        self->k[K_MALFORMED]++;
        return;
    }
    cq_diag_t diag = {0};
    int rc = cq_wire_parse(in, self->cfg.max_frame, &diag);
    if (rc != 0) {
        s_count_drop(self, rc, &diag, "frontend");
        if (rc == CQ_ETOOBIG)
            s_refuse_submit(self, in);
        return;
    }
    uint32_t ci = s_client_find(self, zmq_msg_data(&in->parts[0]),
                                zmq_msg_size(&in->parts[0]), true);
    self->clients[ci].last_recv = self->now;
    self->clients[ci].live = true;
    cq_log_debug(NULL, "frontend: %s from client %u, %zu bytes, %d parts",
                 cq_cmd_name(in->cmd), ci, in->body_len, in->n);
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
    default:
        self->k[K_UNEXPECTED]++;
        break;
    }
}

//  ---- backend handlers --------------------------------------------------

static void
s_disconnect(cq_broker_t *self, const uint8_t *rid, size_t len, const char *why)
{
    cq_proto_reason_encode(&self->w, why);
    int rc = cq_wire_send(self->back, rid, len, CQ_CMD_DISCONNECT, self->w.data,
                          self->w.len, NULL, 0, ZMQ_DONTWAIT);
    if (rc == 0)
        self->k[K_MSGS_OUT]++;
    else if (rc == CQ_EBUSY)
        self->k[K_PEER_BUSY]++;
    else
        self->k[K_UNDELIVERABLE]++;
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
        s_worker_gone(self, wi, W_LEFT, "registered again");
    //  The same node id on another connection: the node restarted or
    //  reconnected; the old registration is dead.
    uint32_t slot = S_NONE;
    for (uint32_t i = 0; i < self->n_workers; i++) {
        s_worker_t *o = &self->workers[i];
        if (strcmp(o->node_id, m.node_id) != 0)
            continue;
        if (o->state != W_DEAD && o->state != W_LEFT) {
            s_disconnect(self, o->rid, o->rid_len, "replaced by a new session");
            s_worker_gone(self, i, W_DEAD, "replaced by a new session");
        }
        slot = i;
    }
    if (slot == S_NONE) {
        S_GROW(self->workers, self->n_workers, self->cap_workers);
        slot = self->n_workers++;
        memset(&self->workers[slot], 0, sizeof self->workers[slot]);
        cq_mpw_init(&self->workers[slot].out);
    }
    s_worker_t *w = &self->workers[slot];
    memcpy(w->rid, rid, rid_len);
    w->rid_len = rid_len;
    cq_strlcpy(w->node_id, m.node_id, sizeof w->node_id);
    cq_strlcpy(w->rules_version, m.rules_version, sizeof w->rules_version);
    w->credit = m.credit;
    w->intake_credit = m.intake_credit;
    w->hb_ms = m.heartbeat_ms;
    w->inflight = w->intake_inflight = w->shards = 0;
    w->last_recv = w->last_send = self->now;
    w->out_lease = S_NONE;
    cq_msg_welcome_t wm;
    memset(&wm, 0, sizeof wm);
    if (self->rules_version[0] == '\0' && m.rules_version[0] != '\0')
        cq_strlcpy(self->rules_version, m.rules_version,
                   sizeof self->rules_version); // journal: cluster rules
    if (strcmp(self->rules_version, m.rules_version) == 0) {
        w->state = W_LIVE;
        wm.accepted = true;
        cq_log_notice(NULL, "worker %s ready: credit %u, intake %u", w->node_id,
                      w->credit, w->intake_credit);
    } else {
        w->state = W_MISMATCH;
        wm.accepted = false;
        snprintf(wm.reason, sizeof wm.reason,
                 "rules version differs from the cluster's (%.72s)",
                 self->rules_version);
        cq_log_warn(NULL, "worker %s refused: rules %s, cluster %s", w->node_id,
                    m.rules_version, self->rules_version);
    }
    cq_strlcpy(wm.rules_version, self->rules_version, sizeof wm.rules_version);
    wm.heartbeat_ms = self->cfg.heartbeat_ms;
    cq_proto_welcome_encode(&self->w, &wm);
    s_send_worker(self, w, CQ_CMD_WELCOME, &self->w, NULL, 0);
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
    s_lease_requeue(self, li);
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
    s_doc_t *d = self->docs[di];
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
        s_pclaim_t *p = &d->pv[d->pn++];
        p->off = (uint32_t)d->pbuf.len;
        p->len = (uint32_t)raw_len;
        p->key_off = (uint32_t)d->pkeys.len;
        p->key_len = (uint32_t)klen;
        p->key_hash = s_str_hash(key);
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
    s_worker_t *w = &self->workers[wi];
    if (w->intake_inflight > 0)
        w->intake_inflight--;
    w->intake_done++;
    d->status = m.status;
    if (m.status < 0) {
        //  The document failed part way: the claims read before the
        //  failure still count (proto.md), as in `claimq adjudicate`.
        free(d->message);
        d->message = cq_xstrdup(m.message);
    }
    d->state = D_PARKED;
    d->lease = 0;
    if (d->has_data) { // decoded: the bytes are no longer needed
        zmq_msg_close(&d->data);
        d->has_data = false;
    }
    s_lease_free(self, li);
    s_batch_admit(self, d->batch);
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
    s_worker_t *w = &self->workers[wi];
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
    s_lease_t *l = &self->leases[li];
    while (cq_proto_result_next(&m, &cid, &status, &self->decision, &raw,
                                &raw_len, &diag) == 1) {
        s_claim_t *c = &self->claims[cid];
        if (c->state != C_LEASED || c->lease != token) {
            self->k[K_STALE_RESULTS]++;
            continue;
        }
        if (w->inflight > 0)
            w->inflight--;
        if (l->remaining > 0)
            l->remaining--;
        c->lease = 0;
        if (status < 0) {
            //  The worker could not decide it (its ledger failed): retry,
            //  up to max_attempts.
            if (c->attempts >= self->cfg.max_attempts) {
                c->state = C_FAILED;
                self->k[K_CLAIMS_FAILED]++;
                s_claim_final(self, (uint32_t)cid);
            } else {
                c->state = C_QUEUED;
                cq_deque_push_front(&self->shard_q[c->shard], (uint32_t)cid);
                self->adj_queued++;
                self->k[K_REQUEUED_CLAIMS]++;
            }
            continue;
        }
        //  journal: the decision (node, ledger seq, lease token)
        c->dec = cq_blobs_dup(&self->arena, raw, raw_len);
        c->dec_len = (uint32_t)raw_len;
        c->outcome = (uint8_t)self->decision.decision;
        c->state = C_DECIDED;
        w->decided++;
        self->k[K_DECIDED]++;
        s_claim_final(self, (uint32_t)cid);
    }
    if (l->remaining == 0)
        s_lease_free(self, li);
}

static void
s_on_goodbye(cq_broker_t *self, uint32_t wi)
{
    s_worker_t *w = &self->workers[wi];
    if (w->state == W_LIVE || w->state == W_MISMATCH) {
        w->state = W_STOPPING;
        cq_log_notice(NULL,
                      "worker %s stopping: %u claims, %u documents in "
                      "flight",
                      w->node_id, w->inflight, w->intake_inflight);
    }
    s_adj_flush(self, wi); // (nothing is built between turns; defensive)
    cq_proto_empty_encode(&self->w);
    s_send_worker(self, w, CQ_CMD_GOODBYE_OK, &self->w, NULL, 0);
}

static void
s_on_backend(cq_broker_t *self, cq_wire_msg_t *in)
{
    self->k[K_MSGS_IN]++;
    if (in->n < 1 || zmq_msg_size(&in->parts[0]) == 0 ||
        zmq_msg_size(&in->parts[0]) > 255) {
        self->k[K_MALFORMED]++;
        return;
    }
    cq_diag_t diag = {0};
    int rc = cq_wire_parse(in, self->cfg.max_frame, &diag);
    if (rc != 0) {
        s_count_drop(self, rc, &diag, "backend");
        return;
    }
    const uint8_t *rid = zmq_msg_data(&in->parts[0]);
    size_t rid_len = zmq_msg_size(&in->parts[0]);
    uint32_t wi = s_worker_by_rid(self, rid, rid_len);
    if (in->cmd == CQ_CMD_READY) {
        s_on_ready(self, in, wi);
        return;
    }
    if (wi == S_NONE) {
        //  Not registered (or declared dead): it must READY again.
        self->k[K_UNKNOWN_PEER]++;
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
    default:
        self->k[K_UNEXPECTED]++;
        break;
    }
    s_worker_t *w = &self->workers[wi];
    if (w->state == W_STOPPING && w->inflight == 0 && w->intake_inflight == 0)
        s_worker_gone(self, wi, W_LEFT, "stopped");
}

//  ---- timers ------------------------------------------------------------

static void
s_tick(cq_broker_t *self)
{
    for (uint32_t i = 0; i < self->n_workers; i++) {
        s_worker_t *w = &self->workers[i];
        if (w->state == W_DEAD || w->state == W_LEFT)
            continue;
        uint32_t hb = w->hb_ms ? w->hb_ms : self->cfg.heartbeat_ms;
        if (self->now - w->last_recv > 3 * (int64_t)hb) {
            s_worker_gone(self, i, W_DEAD, "silent for 3 heartbeats");
            continue;
        }
        if (self->now - w->last_send >= (int64_t)self->cfg.heartbeat_ms) {
            cq_proto_empty_encode(&self->w);
            if (s_send_worker(self, w, CQ_CMD_HEARTBEAT, &self->w, NULL, 0) ==
                CQ_EUNREACH)
                s_worker_gone(self, i, W_DEAD, "unreachable");
        }
    }
    //  Clients: one that waits for decisions sends nothing, so silence
    //  alone does not mean gone. A client idle for client_idle_ms is sent
    //  a HEARTBEAT: the ROUTER refuses it (EHOSTUNREACH) when the
    //  connection is gone, and only then is the slot given up (its
    //  documents' pushes would not reach it; it reads them with RESULTS).
    int64_t idle = (int64_t)self->cfg.client_idle_ms;
    for (uint32_t i = 0; i < self->n_clients; i++) {
        s_client_t *c = &self->clients[i];
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

//  ---- life cycle ------------------------------------------------------------

void
cq_broker_config_default(cq_broker_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->frontend = "tcp://*:5555";
    cfg->backend = "tcp://*:5556";
    cfg->shards = CQ_SHARDS_DEFAULT;
    cfg->heartbeat_ms = 1000;
    cfg->max_frame = CQ_PROTO_MAX_FRAME;
    cfg->max_queued_bytes = (size_t)256 << 20;
    cfg->max_attempts = 3;
    cfg->client_idle_ms = 10 * 60 * 1000;
}

static zsock_t *
s_bind(const char *ep, char *resolved, size_t rsize, size_t max_frame,
       cq_diag_t *diag)
{
    zsock_t *s = zsock_new(ZMQ_ROUTER);
    if (s == NULL) {
        cq_diag_set(diag, CQ_EIO, 0, "cannot create a socket");
        return NULL;
    }
    zsock_set_router_mandatory(s, 1);
    zsock_set_sndhwm(s, S_HWM);
    zsock_set_rcvhwm(s, S_HWM);
    zsock_set_linger(s, 0);
    //  The transport's own cap (libzmq drops the connection, unseen by
    //  us) sits well above ours, so that a frame over max_frame is read,
    //  counted and dropped (and a SUBMIT answered), while a frame of
    //  gigabytes is never allocated.
    int64_t hard = (int64_t)max_frame * 2 + ((int64_t)16 << 20);
    zsock_set_maxmsgsize(s, (int)(hard > INT32_MAX ? -1 : hard));
    if (zsock_bind(s, "%s", ep) < 0) {
        cq_diag_set(diag, CQ_EIO, 0, "cannot bind %s: %s", ep,
                    zmq_strerror(errno));
        zsock_destroy(&s);
        return NULL;
    }
    char *last = zsock_last_endpoint(s);
    cq_strlcpy(resolved, last ? last : ep, rsize);
    freen(last);
    return s;
}

cq_broker_t *
cq_broker_new(const cq_broker_config_t *cfg, cq_diag_t *diag)
{
    cq_broker_t *self = cq_xcalloc(1, sizeof *self);
    self->cfg = *cfg;
    if (self->cfg.shards == 0 || self->cfg.shards > CQ_SHARDS_MAX)
        self->cfg.shards = CQ_SHARDS_DEFAULT;
    if (self->cfg.max_attempts == 0)
        self->cfg.max_attempts = 3;
    if (self->cfg.client_idle_ms == 0)
        self->cfg.client_idle_ms = 10 * 60 * 1000;
    self->front_sock = s_bind(cfg->frontend, self->front_ep,
                              sizeof self->front_ep, cfg->max_frame, diag);
    if (self->front_sock)
        self->back_sock = s_bind(cfg->backend, self->back_ep,
                                 sizeof self->back_ep, cfg->max_frame, diag);
    if (self->back_sock == NULL) {
        cq_broker_destroy(&self);
        return NULL;
    }
    self->front = zsock_resolve(self->front_sock);
    self->back = zsock_resolve(self->back_sock);
    if (cfg->rules_version)
        cq_strlcpy(self->rules_version, cfg->rules_version,
                   sizeof self->rules_version);
    self->seed = (uint64_t)zclock_usecs() ^ ((uint64_t)getpid() << 32);
    self->n_shards = self->cfg.shards;
    self->owner = cq_xmalloc(self->n_shards * sizeof *self->owner);
    self->shard_q = cq_xcalloc(self->n_shards, sizeof *self->shard_q);
    for (uint32_t s = 0; s < self->n_shards; s++) {
        self->owner[s] = S_NONE;
        cq_deque_init(&self->shard_q[s]);
    }
    self->free_lease = S_NONE;
    cq_u64map_init(&self->lease_map);
    cq_u64map_init(&self->key_map);
    cq_u64map_init(&self->doc_map);
    cq_u64map_init(&self->batch_map);
    cq_u64map_init(&self->client_map);
    cq_deque_init(&self->intake_q);
    cq_blobs_init(&self->arena);
    cq_mpw_init(&self->w);
    self->in = cq_xmalloc(sizeof *self->in);
    cq_wire_msg_init(self->in);
    self->now = cq_wire_now_ms();
    return self;
}

const char *
cq_broker_frontend(const cq_broker_t *self)
{
    return self->front_ep;
}

const char *
cq_broker_backend(const cq_broker_t *self)
{
    return self->back_ep;
}

int
cq_broker_run(cq_broker_t *self, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t items[2] = {{self->front, 0, ZMQ_POLLIN, 0},
                               {self->back, 0, ZMQ_POLLIN, 0}};
    int64_t next_tick = cq_wire_now_ms();
    int tick_ms =
        (int)(self->cfg.heartbeat_ms / 4 ? self->cfg.heartbeat_ms / 4 : 1);
    while (!*stop) {
        self->now = cq_wire_now_ms();
        int64_t wait = next_tick - self->now;
        if (wait < 0)
            wait = 0;
        int n = zmq_poll(items, 2, (long)wait);
        if (n < 0 && errno != EINTR) {
            cq_log_error(NULL, "poll: %s", zmq_strerror(errno));
            break;
        }
        self->now = cq_wire_now_ms();
        //  One turn: what waits on both sockets (bounded, so that neither
        //  side starves the other), then commit, receipts, dispatch.
        for (int i = 0; i < S_TURN_MSGS; i++) {
            bool any = false;
            if (cq_wire_recv(self->back, true, self->in, ZMQ_DONTWAIT) == 0) {
                s_on_backend(self, self->in);
                any = true;
            }
            if (cq_wire_recv(self->front, true, self->in, ZMQ_DONTWAIT) == 0) {
                s_on_frontend(self, self->in);
                any = true;
            }
            if (!any)
                break;
        }
        cq_wire_msg_close(self->in);
        bool durable = s_journal_commit(self);
        s_release_receipts(self, durable);
        s_dispatch_intake(self);
        s_dispatch_adj(self);
        for (uint32_t i = 0; i < self->n_clients; i++)
            s_client_flush(self, i);
        if (self->now >= next_tick) {
            s_tick(self);
            next_tick = self->now + tick_ms;
        }
    }
    return 0;
}

void
cq_broker_destroy(cq_broker_t **self_p)
{
    assert(self_p);
    cq_broker_t *self = *self_p;
    if (self == NULL)
        return;
    zsock_destroy(&self->front_sock);
    zsock_destroy(&self->back_sock);
    for (uint32_t i = 0; i < self->n_workers; i++)
        cq_mpw_free(&self->workers[i].out);
    free(self->workers);
    for (uint32_t i = 0; i < self->n_leases; i++)
        free(self->leases[i].cids);
    free(self->leases);
    cq_u64map_free(&self->lease_map);
    free(self->claims);
    cq_u64map_free(&self->key_map);
    free(self->refs);
    cq_blobs_free(&self->arena);
    for (uint32_t i = 0; i < self->n_docs; i++) {
        s_doc_t *d = self->docs[i];
        if (d->has_data)
            zmq_msg_close(&d->data);
        s_pend_free(d);
        free(d->name);
        free(d->message);
        free(d->cids);
        free(d);
    }
    free(self->docs);
    cq_u64map_free(&self->doc_map);
    cq_deque_free(&self->intake_q);
    for (uint32_t i = 0; i < self->n_batches; i++) {
        free(self->batches[i].docs);
        free(self->batches[i].entries);
    }
    free(self->batches);
    cq_u64map_free(&self->batch_map);
    for (uint32_t i = 0; i < self->n_clients; i++)
        cq_mpw_free(&self->clients[i].out);
    free(self->clients);
    cq_u64map_free(&self->client_map);
    free(self->receipts);
    free(self->owner);
    if (self->shard_q)
        for (uint32_t s = 0; s < self->n_shards; s++)
            cq_deque_free(&self->shard_q[s]);
    free(self->shard_q);
    cq_mpw_free(&self->w);
    if (self->in)
        cq_wire_msg_close(self->in);
    free(self->in);
    free(self);
    *self_p = NULL;
}
