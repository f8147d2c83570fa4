//  catalog.c: batches, documents and claims in the broker's memory, and
//  what the journal is told about them.
//
//  Guarantee 2 (decided once) starts here: a claim is identified by its
//  key `payer|npi|claim_id|frequency`; a key already known is never
//  decided again, the new entry points at the existing claim and gets its
//  one decision. Guarantee 3 (same answer as one process) too: a batch's
//  documents are admitted in the order they were received, whichever
//  worker finished decoding first, so claims join their shard queues in
//  the order `claimq adjudicate` would read them.
#include "broker_int.h"
#include "hash.h"
#include "log.h"
#include "mem.h"

#include <string.h>

uint32_t
cqb_batch_find(cq_broker_t *self, const char *id, bool add)
{
    uint64_t h = cqb_str_hash(id);
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
    cqb_batch_t *b = &self->batches[bi];
    memset(b, 0, sizeof *b);
    cq_strlcpy(b->id, id, sizeof b->id);
    b->hash = h;
    b->created_ms = self->wall;
    if (self->who)
        cq_strlcpy(b->tenants, self->who->payers, sizeof b->tenants);
    uint32_t first;
    b->same_hash = cq_u64map_get(&self->batch_map, h, &first) ? first : S_NONE;
    cq_u64map_put(&self->batch_map, h, bi);
    if (self->journal)
        cq_journal_batch(self->journal, bi, b->id, b->created_ms, b->tenants);
    return bi;
}

void
cqb_doc_index(cq_broker_t *self, uint32_t di)
{
    cqb_doc_t *d = self->docs[di];
    uint64_t key;
    memcpy(&key, d->digest, sizeof key);
    uint32_t first;
    d->same_hash = cq_u64map_get(&self->doc_map, key, &first) ? first : S_NONE;
    cq_u64map_put(&self->doc_map, key, di);
    cqb_batch_t *b = &self->batches[d->batch];
    S_GROW(b->docs, b->n_docs, b->cap_docs);
    if (d->pos == b->n_docs) {
        b->docs[b->n_docs++] = di;
    } else {
        //  (restart: positions come in id order, which is received order)
        while (b->n_docs <= d->pos) {
            S_GROW(b->docs, b->n_docs, b->cap_docs);
            b->docs[b->n_docs++] = S_NONE;
        }
        b->docs[d->pos] = di;
    }
}

static void
s_count_decided(cq_broker_t *self, uint32_t bi, const cqb_claim_t *c)
{
    cqb_batch_t *b = &self->batches[bi];
    if (c->state == C_FAILED) {
        b->failed++;
        self->outcomes[3]++;
        return;
    }
    b->decided++;
    if (c->outcome == CQ_DECISION_ACCEPT) {
        b->accept++;
        self->outcomes[0]++;
    } else if (c->outcome == CQ_DECISION_REJECT) {
        b->reject++;
        self->outcomes[1]++;
    } else {
        b->pend++;
        self->outcomes[2]++;
    }
    if (cqb_batch_final(b))
        self->next_compact = 0; // a batch finished: compaction looks soon
}

void
cqb_claim_final(cq_broker_t *self, uint32_t cid)
{
    cqb_claim_t *c = &self->claims[cid];
    uint32_t doc = c->ref_doc, index = c->ref_index, r = c->more_refs;
    for (;;) {
        s_count_decided(self, self->docs[doc]->batch, c);
        cqb_record_decision(self, doc, index,
                            c->state == C_DECIDED ? c->dec : NULL, c->dec_len);
        cqb_notify(self, doc, index, c->state == C_DECIDED ? c->dec : NULL,
                   c->dec_len);
        if (r == S_NONE)
            break;
        doc = self->refs[r].doc;
        index = self->refs[r].index;
        r = self->refs[r].next;
    }
}

void
cqb_claim_decided(cq_broker_t *self, uint32_t cid, const uint8_t *raw,
                  size_t len, uint8_t outcome)
{
    cqb_claim_t *c = &self->claims[cid];
    c->dec = cq_arena_dup(&self->arena, raw, len);
    c->dec_len = (uint32_t)len;
    c->outcome = outcome;
    c->state = C_DECIDED;
    c->lease = 0;
    cqb_shard_t *s = &self->shards[c->shard];
    S_GROW(s->hist, s->n_hist, s->cap_hist);
    s->hist[s->n_hist++] = cid;
}

void
cqb_claim_unfinal(cq_broker_t *self, uint32_t cid)
{
    cqb_claim_t *c = &self->claims[cid];
    uint32_t doc = c->ref_doc, r = c->more_refs;
    for (;;) {
        cqb_batch_t *b = &self->batches[self->docs[doc]->batch];
        if (c->state == C_DECIDED && b->decided > 0) {
            b->decided--;
            uint64_t *k = c->outcome == CQ_DECISION_ACCEPT   ? &b->accept
                          : c->outcome == CQ_DECISION_REJECT ? &b->reject
                                                             : &b->pend;
            if (*k > 0)
                (*k)--;
        }
        if (r == S_NONE)
            break;
        doc = self->refs[r].doc;
        r = self->refs[r].next;
    }
}

void
cqb_shard_hist_drop(cq_broker_t *self, uint32_t s, uint32_t cid)
{
    cqb_shard_t *sh = &self->shards[s];
    for (uint32_t i = sh->n_hist; i-- > 0;)
        if (sh->hist[i] == cid) {
            memmove(&sh->hist[i], &sh->hist[i + 1],
                    (sh->n_hist - i - 1) * sizeof *sh->hist);
            sh->n_hist--;
            return;
        }
}

static uint32_t *
s_claim_next(void *arg, uint32_t i)
{
    return &((cq_broker_t *)arg)->claims[i].same_hash;
}

static void s_unchain(cq_u64map_t *map, uint64_t h, uint32_t i,
                      uint32_t *(*next)(void *, uint32_t), void *arg);

void
cqb_claim_rekey(cq_broker_t *self, uint32_t cid, const char *key, size_t len)
{
    cqb_claim_t *c = &self->claims[cid];
    if (strlen(c->key) == len && memcmp(c->key, key, len) == 0)
        return;
    s_unchain(&self->key_map, c->key_hash, cid, s_claim_next, self);
    char *kcopy = cq_arena_dup(&self->arena, key, len + 1);
    kcopy[len] = '\0';
    c->key = kcopy;
    c->key_hash = cqb_str_hash(kcopy);
    uint32_t first;
    c->same_hash =
        cq_u64map_get(&self->key_map, c->key_hash, &first) ? first : S_NONE;
    cq_u64map_put(&self->key_map, c->key_hash, cid);
}

void
cqb_doc_parts_free(cqb_doc_t *d)
{
    cq_mpw_free(&d->pbuf);
    cq_mpw_free(&d->pkeys);
    free(d->pv);
    d->pv = NULL;
    d->pn = d->pcap = 0;
    d->next_part = 0;
}

uint32_t
cqb_claim_by_key(cq_broker_t *self, const char *key, size_t len, uint64_t hash)
{
    uint32_t first;
    if (!cq_u64map_get(&self->key_map, hash, &first))
        return S_NONE;
    for (uint32_t x = first; x != S_NONE; x = self->claims[x].same_hash) {
        const char *k = self->claims[x].key;
        if (strlen(k) == len && memcmp(k, key, len) == 0)
            return x;
    }
    return S_NONE;
}

uint32_t
cqb_claim_add(cq_broker_t *self, const char *key, size_t key_len,
              uint64_t key_hash, const uint8_t *blob, size_t len,
              uint32_t batch, uint32_t shard, uint32_t doc, uint32_t index)
{
    S_GROW(self->claims, self->n_claims, self->cap_claims);
    uint32_t cid = self->n_claims++;
    cqb_claim_t *c = &self->claims[cid];
    memset(c, 0, sizeof *c);
    char *kcopy = cq_arena_dup(&self->arena, key, key_len + 1);
    kcopy[key_len] = '\0';
    c->key = kcopy;
    c->blob = cq_arena_dup(&self->arena, blob, len);
    c->blob_len = (uint32_t)len;
    c->key_hash = key_hash;
    uint32_t first;
    c->same_hash =
        cq_u64map_get(&self->key_map, key_hash, &first) ? first : S_NONE;
    c->batch = batch;
    c->shard = shard;
    c->state = C_QUEUED;
    c->ref_doc = doc;
    c->ref_index = index;
    c->more_refs = S_NONE;
    c->result = c->ledger = S_NONE;
    cq_u64map_put(&self->key_map, key_hash, cid);
    return cid;
}

void
cqb_claim_ref(cq_broker_t *self, uint32_t cid, uint32_t doc, uint32_t index)
{
    cqb_claim_t *c = &self->claims[cid];
    S_GROW(self->refs, self->n_refs, self->cap_refs);
    cqb_ref_t *r = &self->refs[self->n_refs];
    r->doc = doc;
    r->index = index;
    r->next = S_NONE;
    //  appended at the end of the reference list (order of entries)
    if (c->more_refs == S_NONE) {
        c->more_refs = self->n_refs;
    } else {
        uint32_t t = c->more_refs;
        while (self->refs[t].next != S_NONE)
            t = self->refs[t].next;
        self->refs[t].next = self->n_refs;
    }
    self->n_refs++;
}

bool
cqb_batch_enter(cq_broker_t *self, uint32_t bi, uint32_t cid, uint32_t doc,
                uint32_t index)
{
    cqb_batch_t *b = &self->batches[bi];
    cqb_doc_t *d = self->docs[doc];
    uint32_t e;
    if (cq_u64map_get(&b->in_batch, cid, &e)) {
        //  A key the batch holds already (a resumed submission with other
        //  chunks, a renamed copy): it points at the one entry and is
        //  counted and paid once.
        if (d->dup == NULL)
            d->dup = cq_xcalloc(d->n_claims ? d->n_claims : 1, 1);
        d->dup[index] = 1;
        d->n_dup++;
        return false;
    }
    cq_u64map_put(&b->in_batch, cid, b->n_entries);
    S_GROW(b->entries, b->n_entries, b->cap_entries);
    b->entries[b->n_entries].doc = doc;
    b->entries[b->n_entries].index = index;
    b->n_entries++;
    return true;
}

bool
cqb_batch_final(const cqb_batch_t *b)
{
    return b->docs_done == b->n_docs && b->decided + b->failed == b->n_entries;
}

//  True when two encoded claims say the same thing, their received dates
//  apart (a resubmission on another day is the same claim).
static bool
s_same_claim(cq_broker_t *self, const uint8_t *a, size_t alen, const uint8_t *b,
             size_t blen)
{
    if (alen == blen && memcmp(a, b, alen) == 0)
        return true;
    cq_claim_t *x = cq_xmalloc(sizeof *x);
    cq_cur_t cur;
    cq_cur_init(&cur, a, alen);
    bool same = false;
    if (cq_proto_claim_decode(&cur, x) == 0) {
        cq_cur_init(&cur, b, blen);
        if (cq_proto_claim_decode(&cur, &self->claim) == 0) {
            //  where it came from is not what it says: the same claim as
            //  JSON, X12 or from a form is the same claim
            x->received_date = self->claim.received_date;
            x->source = self->claim.source;
            x->ocr_confidence = self->claim.ocr_confidence;
            cq_mpw_t w1, w2;
            cq_mpw_init(&w1);
            cq_mpw_init(&w2);
            cq_proto_claim_encode(&w1, x);
            cq_proto_claim_encode(&w2, &self->claim);
            same = w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0;
            cq_mpw_free(&w1);
            cq_mpw_free(&w2);
        }
    }
    free(x);
    return same;
}

//  Admits a parked document: its claims join the claim table (a key
//  already known adds a reference to the existing claim) and their shard
//  queues, and the batch's entries (each key once); the journal gets the
//  document's intake, its claims and refs.
static void
s_admit(cq_broker_t *self, uint32_t di)
{
    cqb_doc_t *d = self->docs[di];
    cqb_batch_t *b = &self->batches[d->batch];
    if (b->tenants[0] && strcmp(b->tenants, "*") != 0) {
        //  CURVE: claims for a payer the submitting key may not act for
        //  are refused (counted in the document's refused claims), never
        //  decided. A claim key begins with its payer id.
        uint32_t kept = 0;
        for (uint32_t i = 0; i < d->pn; i++) {
            const char *key = (const char *)d->pkeys.data + d->pv[i].key_off;
            const char *bar = memchr(key, '|', d->pv[i].key_len);
            size_t plen = bar ? (size_t)(bar - key) : d->pv[i].key_len;
            if (cqb_auth_list_has(b->tenants, key, plen))
                d->pv[kept++] = d->pv[i];
        }
        if (kept < d->pn) {
            self->k[K_AUTH_DENIED] += d->pn - kept;
            d->refused_claims += d->pn - kept;
            cq_log_warn(NULL,
                        "document %u of batch %s: %u claims for payers the "
                        "submitting key may not act for; refused",
                        di, b->id, d->pn - kept);
            d->pn = kept;
        }
    }
    d->n_claims = d->pn;
    d->cids = d->pn ? cq_xmalloc(d->pn * sizeof *d->cids) : NULL;
    free(d->dup);
    d->dup = NULL;
    d->n_dup = d->conflicts = 0;
    if (self->journal) {
        cq_journal_intake_begin(self->journal, di, ++self->intake_seq,
                                d->status, d->message, d->pn, d->refused_sets,
                                d->refused_claims);
    }
    for (uint32_t i = 0; i < d->pn; i++) {
        const cqb_pclaim_t *p = &d->pv[i];
        const char *key = (const char *)d->pkeys.data + p->key_off;
        uint32_t cid = cqb_claim_by_key(self, key, p->key_len, p->key_hash);
        if (cid != S_NONE) {
            //  Resubmitted key: not decided again.
            if (self->journal)
                cq_journal_entry_ref(self->journal, cid);
            d->cids[i] = cid;
            if (cqb_batch_enter(self, d->batch, cid, di, i))
                cqb_claim_ref(self, cid, di, i);
            const cqb_claim_t *c = &self->claims[cid];
            if (!s_same_claim(self, c->blob, c->blob_len, d->pbuf.data + p->off,
                              p->len))
                d->conflicts++;
            self->k[K_CLAIMS_RESUBMITTED]++;
        } else {
            cid = cqb_claim_add(self, key, p->key_len, p->key_hash,
                                d->pbuf.data + p->off, p->len, d->batch,
                                p->shard, di, i);
            if (self->journal)
                cq_journal_entry_claim(self->journal, cid,
                                       self->claims[cid].key, p->shard,
                                       d->pbuf.data + p->off, p->len);
            cq_deque_push_back(&self->shards[p->shard].q, cid);
            self->adj_queued++;
            self->k[K_CLAIMS]++;
            d->cids[i] = cid;
            cqb_batch_enter(self, d->batch, cid, di, i);
        }
    }
    if (self->journal) {
        cq_journal_intake_end(self->journal);
        if (d->ack_len > 0)
            cq_journal_ack(self->journal, di, d->ack, d->ack_len);
    }
    cqb_doc_parts_free(d);
    d->state = D_DONE;
    b->docs_done++;
    b->refused_sets += d->refused_sets;
    b->refused_claims += d->refused_claims;
    if (d->status < 0) {
        b->docs_failed++;
        self->k[K_DOCS_FAILED]++;
    }
    if (d->conflicts > 0)
        cq_log_notice(NULL,
                      "document %u of batch %s: %u claims reuse a key "
                      "decided before with other contents (they carry that "
                      "decision)",
                      di, b->id, d->conflicts);
    cqb_send_doc_done(self, di);
    //  Entries whose claim was already final: answer them now.
    for (uint32_t i = 0; i < d->n_claims; i++) {
        if (d->dup && d->dup[i])
            continue;
        cqb_claim_t *c = &self->claims[d->cids[i]];
        if (c->state == C_DECIDED || c->state == C_FAILED) {
            s_count_decided(self, d->batch, c);
            cqb_record_decision(
                self, di, i, c->state == C_DECIDED ? c->dec : NULL, c->dec_len);
            cqb_notify(self, di, i, c->state == C_DECIDED ? c->dec : NULL,
                       c->dec_len);
        }
    }
    self->k[K_ARENA_BYTES] = self->arena.total;
}

void
cqb_batch_admit(cq_broker_t *self, uint32_t bi)
{
    cqb_batch_t *b = &self->batches[bi];
    while (b->next_admit < b->n_docs) {
        uint32_t di = b->docs[b->next_admit];
        if (di == S_NONE)
            break;
        cqb_doc_t *d = self->docs[di];
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

void
cqb_doc_parked(cq_broker_t *self, uint32_t di)
{
    cqb_doc_t *d = self->docs[di];
    cqb_batch_t *b = &self->batches[d->batch];
    if (d->pos < b->next_admit)
        b->next_admit = d->pos;
    cqb_batch_admit(self, d->batch);
}

//  Takes index i out of a hash chain map[h] -> i -> next(i) -> ...
static void
s_unchain(cq_u64map_t *map, uint64_t h, uint32_t i,
          uint32_t *(*next)(void *, uint32_t), void *arg)
{
    uint32_t first;
    if (!cq_u64map_get(map, h, &first))
        return;
    if (first == i) {
        uint32_t n = *next(arg, i);
        if (n == S_NONE)
            cq_u64map_del(map, h);
        else
            cq_u64map_put(map, h, n);
        return;
    }
    for (uint32_t x = first; x != S_NONE; x = *next(arg, x))
        if (*next(arg, x) == i) {
            *next(arg, x) = *next(arg, i);
            return;
        }
}

static uint32_t *
s_batch_next(void *arg, uint32_t i)
{
    return &((cq_broker_t *)arg)->batches[i].same_hash;
}

static uint32_t *
s_doc_next(void *arg, uint32_t i)
{
    return &((cq_broker_t *)arg)->docs[i]->same_hash;
}

static bool
s_finished(const cq_broker_t *self, const cqb_batch_t *b, int64_t before)
{
    if (b->gone || b->created_ms >= before || b->n_docs == 0 ||
        b->docs_done != b->n_docs || b->failed > 0 ||
        b->decided != b->n_entries)
        return false;
    for (uint32_t i = 0; i < b->n_docs; i++) {
        const cqb_doc_t *d = self->docs[b->docs[i]];
        if (d->state != D_DONE || d->quarantined)
            return false;
    }
    //  a claim waiting for a person keeps its document (the image)
    return !cqb_review_batch_waiting(self, (uint32_t)(b - self->batches));
}

bool
cqb_compact_one(cq_broker_t *self)
{
    if (self->journal == NULL || self->n_batches == 0 ||
        cq_journal_pending(self->journal) > 0)
        return false;
    int64_t before = self->wall - (int64_t)self->cfg.retain_days * 86400 * 1000;
    for (uint32_t k = 0; k < self->n_batches; k++) {
        uint32_t bi = (self->compact_rotor + k) % self->n_batches;
        cqb_batch_t *b = &self->batches[bi];
        if (!s_finished(self, b, before))
            continue;
        self->compact_rotor = (bi + 1) % self->n_batches;
        //  the claims this batch brought (others it only points at), with
        //  their decisions, for the archive
        uint32_t *cids = cq_xmalloc((b->n_entries + 1) * sizeof *cids);
        cq_journal_arch_t *arch = cq_xcalloc(b->n_entries + 1, sizeof *arch);
        uint32_t n = 0;
        bool ok = true;
        for (uint32_t e = 0; e < b->n_entries && ok; e++) {
            const cqb_entry_t *x = &b->entries[e];
            uint32_t cid = self->docs[x->doc]->cids[x->index];
            const cqb_claim_t *c = &self->claims[cid];
            if (c->batch != bi || c->ref_doc != x->doc ||
                c->ref_index != x->index)
                continue;
            cq_cur_t cur;
            cq_cur_init(&cur, c->dec, c->dec_len);
            ok = cq_proto_decision_decode(&cur, &self->decision) == 0 &&
                 c->ledger != S_NONE;
            cq_journal_arch_t *a = &arch[n];
            a->cid = cid;
            a->key = c->key;
            a->shard = c->shard;
            a->body = c->blob;
            a->body_len = c->blob_len;
            a->seq = c->dec_seq;
            a->result = c->result;
            a->node = cq_xstrdup(self->decision.node);
            a->ledger_id = ok ? self->ledgers[c->ledger].id : "";
            a->ledger_seq = (uint64_t)self->decision.ledger_seq;
            a->outcome = c->outcome;
            a->decision = c->dec;
            a->decision_len = c->dec_len;
            cids[n++] = cid;
        }
        cq_diag_t diag = {0};
        int rc =
            ok ? cq_journal_compact(self->journal, bi, b->id, b->docs,
                                    b->n_docs, arch, n, self->wall, &diag)
               : cq_diag_set(&diag, CQ_EPROTO, 0,
                             "batch %s: a decision without its ledger", b->id);
        for (uint32_t i = 0; i < n; i++)
            free((char *)arch[i].node);
        free(arch);
        if (rc != 0) {
            cq_log_warn(NULL, "%s (tried again later)", diag.msg);
            free(cids);
            return false;
        }
        for (uint32_t i = 0; i < n; i++)
            self->claims[cids[i]].batch = S_NONE;
        free(cids);
        for (uint32_t i = 0; i < b->n_docs; i++) {
            uint32_t di = b->docs[i];
            cqb_doc_t *d = self->docs[di];
            uint64_t key;
            memcpy(&key, d->digest, sizeof key);
            s_unchain(&self->doc_map, key, di, s_doc_next, self);
            d->gone = true;
            d->watcher = S_NONE;
            free(d->ack);
            d->ack = NULL;
            d->ack_len = 0;
        }
        s_unchain(&self->batch_map, b->hash, bi, s_batch_next, self);
        cq_log_notice(NULL, "batch %s compacted: %u claims archived", b->id, n);
        b->gone = true;
        free(b->entries);
        b->entries = NULL;
        b->n_entries = b->cap_entries = 0;
        cq_u64map_free(&b->in_batch);
        return true;
    }
    return false;
}

void
cqb_batches_recount(cq_broker_t *self)
{
    for (uint32_t bi = 0; bi < self->n_batches; bi++) {
        cqb_batch_t *b = &self->batches[bi];
        if (b->gone)
            continue;
        b->decided = b->accept = b->reject = b->pend = b->failed = 0;
        b->refused_sets = b->refused_claims = 0;
        for (uint32_t i = 0; i < b->n_docs; i++) {
            const cqb_doc_t *d = self->docs[b->docs[i]];
            if (d->state == D_DONE) {
                b->refused_sets += d->refused_sets;
                b->refused_claims += d->refused_claims;
            }
        }
        for (uint32_t e = 0; e < b->n_entries; e++) {
            const cqb_entry_t *x = &b->entries[e];
            const cqb_claim_t *c =
                &self->claims[self->docs[x->doc]->cids[x->index]];
            if (c->state == C_DECIDED || c->state == C_FAILED)
                s_count_decided(self, bi, c);
        }
    }
}
