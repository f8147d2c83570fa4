//  shards.c: the shard map and its moves (docs/architecture.md).
//
//  Guarantee 3 (same answer as one process) needs every claim of a member
//  decided one after another against that member's whole history. So:
//  - a shard has one owner at a time, and its claims go to it in order;
//  - an owner is chosen by rendezvous hashing over the eligible workers,
//    so a node that joins takes about 1/N of the shards and a node that
//    leaves gives up only its own, and a restarted node with the same id
//    gets its shards back;
//  - a shard changes owner only when quiet: a planned move (a node joined,
//    or the owner is stopping) first stops sending the shard to the old
//    owner and waits until none of its claims is in flight (answered, or
//    their leases taken back); a dead owner's leases are taken back at
//    once;
//  - before the new owner gets any claim of the shard it gets the shard's
//    history (HISTORY: every decided claim of the shard, in the order the
//    journal took their decisions), from which it rebuilds the members'
//    accumulators and duplicate and frequency history. The journal's
//    decisions are the source of truth for member state, not any node's
//    ledger.
//  Moves are paced: at most S_MOVES_AT_ONCE planned moves at a time.
#include "broker_int.h"
#include "log.h"
#include "mem.h"
#include "shard.h"

#include <string.h>

//  The rendezvous owner of shard s among the eligible workers, or S_NONE.
static uint32_t
s_hrw(cq_broker_t *self, uint32_t s)
{
    uint32_t best = S_NONE;
    uint64_t best_w = 0;
    for (uint32_t i = 0; i < self->n_workers; i++) {
        const cqb_worker_t *w = &self->workers[i];
        if (!cqb_eligible(w))
            continue;
        uint64_t x = cq_shard_weight(w->node_id, s);
        if (best == S_NONE || x > best_w ||
            (x == best_w &&
             strcmp(w->node_id, self->workers[best].node_id) < 0)) {
            best = i;
            best_w = x;
        }
    }
    return best;
}

//  Sends shard s's history to worker wi. Returns 0 or the send error.
static int
s_send_history(cq_broker_t *self, uint32_t s, uint32_t wi)
{
    cqb_shard_t *sh = &self->shards[s];
    cqb_worker_t *w = &self->workers[wi];
    if (sh->n_hist == 0)
        return 0; // nothing to rebuild
    uint32_t part = 0, i = 0;
    while (i < sh->n_hist) {
        //  how many fit: counted first, the header says whether it is last
        uint32_t end = i;
        size_t bytes = 0;
        while (end < sh->n_hist && end - i < S_HIST_MSG_ITEMS &&
               bytes < S_HIST_MSG_BYTES) {
            const cqb_claim_t *c = &self->claims[sh->hist[end]];
            bytes += 16 + c->blob_len + c->dec_len;
            end++;
        }
        size_t at =
            cq_proto_history_begin(&self->w, s, part, end == sh->n_hist);
        uint32_t first = i;
        for (; i < end; i++) {
            const cqb_claim_t *c = &self->claims[sh->hist[i]];
            cq_proto_history_add(
                &self->w, sh->hist[i],
                c->batch == S_NONE ? "" : self->batches[c->batch].id, c->blob,
                c->blob_len, c->dec, c->dec_len);
        }
        cq_proto_history_end(&self->w, at, end - first);
        int rc = cqb_send_worker(self, w, CQ_CMD_HISTORY, &self->w, NULL, 0);
        if (rc != 0)
            return rc;
        part++;
    }
    self->k[K_HISTORY_SENT] += sh->n_hist;
    return 0;
}

//  Makes wi the owner of s (history first). False when the history could
//  not be sent (then nothing changed).
static bool
s_assign(cq_broker_t *self, uint32_t s, uint32_t wi)
{
    cqb_shard_t *sh = &self->shards[s];
    int rc = s_send_history(self, s, wi);
    if (rc != 0) {
        if (rc == CQ_EUNREACH)
            cqb_worker_gone(self, wi, W_DEAD, "unreachable");
        else
            self->workers[wi].stalled = true;
        return false;
    }
    if (sh->owner != S_NONE && sh->owner != wi &&
        self->workers[sh->owner].shards > 0)
        self->workers[sh->owner].shards--;
    bool moved = sh->moves > 0 || sh->n_hist > 0;
    sh->owner = wi;
    sh->moved_ms = self->wall;
    sh->moves++;
    self->workers[wi].shards++;
    if (moved)
        self->k[K_SHARDS_MOVED]++;
    if (self->journal)
        cq_journal_event(self->journal, "shard", s, self->workers[wi].node_id,
                         0, NULL, self->wall);
    return true;
}

static void
s_move_end(cq_broker_t *self, cqb_shard_t *sh)
{
    if (sh->moving && self->moves_active > 0)
        self->moves_active--;
    sh->moving = false;
    sh->target = S_NONE;
}

uint32_t
cqb_shard_owner(cq_broker_t *self, uint32_t s)
{
    cqb_shard_t *sh = &self->shards[s];
    if (sh->moving) {
        if (sh->inflight > 0)
            return S_NONE;
        uint32_t t = sh->target;
        if (t == S_NONE || !cqb_eligible(&self->workers[t]))
            t = s_hrw(self, s);
        if (t == S_NONE)
            return S_NONE;
        if (!s_assign(self, s, t))
            return S_NONE;
        s_move_end(self, sh);
        return t;
    }
    if (sh->owner == S_NONE) {
        uint32_t wi = s_hrw(self, s);
        if (wi == S_NONE || !s_assign(self, s, wi))
            return S_NONE;
        return wi;
    }
    return sh->owner;
}

void
cqb_shards_drop_owner(cq_broker_t *self, uint32_t wi)
{
    for (uint32_t s = 0; s < self->n_shards; s++) {
        cqb_shard_t *sh = &self->shards[s];
        if (sh->owner == wi) {
            sh->owner = S_NONE;
            s_move_end(self, sh);
        } else if (sh->target == wi) {
            s_move_end(self, sh);
        }
    }
    self->workers[wi].shards = 0;
}

void
cqb_shards_rebalance(cq_broker_t *self)
{
    if (self->rebalance) {
        self->rebalance = false;
        //  Plan: every owned shard whose rendezvous owner is another node
        //  (a node joined, or its owner is stopping) moves there.
        for (uint32_t s = 0; s < self->n_shards; s++) {
            cqb_shard_t *sh = &self->shards[s];
            if (sh->owner == S_NONE)
                continue;
            uint32_t want = s_hrw(self, s);
            if (want == S_NONE || want == sh->owner) {
                if (!sh->moving)
                    sh->target = S_NONE;
                continue;
            }
            sh->target = want;
        }
    }
    //  Start planned moves, a few at a time; finish quiet ones.
    for (uint32_t s = 0; s < self->n_shards; s++) {
        cqb_shard_t *sh = &self->shards[s];
        if (sh->target == S_NONE)
            continue;
        if (!sh->moving) {
            if (self->moves_active >= S_MOVES_AT_ONCE)
                continue;
            sh->moving = true;
            self->moves_active++;
        }
        if (sh->inflight == 0 && sh->q.n == 0)
            cqb_shard_owner(self, s); // completes the move now
    }
}
