//  review.c: the review queue (docs/review.md): pended claims waiting for
//  a person, their locks, and their release.
//
//  Guarantee 2 (decided once) with a person in the loop: a pended claim is
//  released at most once per pend. A release needs the lock's token (a
//  second reviewer sees the claim taken; an expired lock releases nothing),
//  is journaled before it is answered or acted on, and queues the claim
//  again for its shard's owner, whose decision supersedes the pend (a new
//  ledger row naming the pend's row; the engine decides it again instead
//  of replaying the pend). The queue itself is not stored: it is the claims
//  whose current decision is a pend, rebuilt at start; locks live in
//  memory only (a restart frees them, which loses nothing: a release is
//  all or nothing).
//
//  Tenants: every request names the payer ids the reviewer may see; a
//  claim of another payer is "not found", as an id that does not exist.
//  Nothing here logs a field value: claim ids, reviewers, counts.
#include "broker_int.h"
#include "log.h"
#include "shard.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The payer of a claim key "payer|npi|claim_id|f" is one of the
//  reviewer's tenants and, with CURVE, one of the station's key's payers.
static bool
s_tenant_ok(const cq_broker_t *self, const cq_msg_review_t *m, const char *key)
{
    const char *bar = strchr(key, '|');
    size_t n = bar ? (size_t)(bar - key) : strlen(key);
    if (self->who && self->who->role != CQB_ROLE_ADMIN &&
        !cqb_auth_list_has(self->who->payers, key, n))
        return false;
    for (uint32_t i = 0; i < m->n_tenants; i++) {
        const char *t = m->tenants[i];
        if (strcmp(t, "*") == 0 || (strlen(t) == n && memcmp(t, key, n) == 0))
            return true;
    }
    return false;
}

static uint32_t
s_find(const cq_broker_t *self, uint32_t cid)
{
    for (uint32_t i = 0; i < self->n_reviews; i++)
        if (self->reviews[i].cid == cid)
            return i;
    return S_NONE;
}

static void
s_drop(cq_broker_t *self, uint32_t ri)
{
    memmove(&self->reviews[ri], &self->reviews[ri + 1],
            (self->n_reviews - ri - 1) * sizeof *self->reviews);
    self->n_reviews--;
}

//  Why the claim pended, from its claim and its pend decision.
static void
s_classify(cqb_review_t *r, const cq_claim_t *c, const cq_decision_t *d)
{
    r->kind = CQ_REVIEW_OTHER;
    for (uint16_t i = 0; i < d->n_reasons; i++)
        if (strcmp(d->reasons[i].carc, "133") == 0 &&
            strstr(d->reasons[i].message, "duplicate") != NULL)
            r->kind = CQ_REVIEW_DUPLICATE;
    if (r->kind == CQ_REVIEW_OTHER && c->source == CQ_SOURCE_OCR &&
        c->n_pend > 0) {
        r->kind = CQ_REVIEW_OCR;
        for (uint8_t i = 0; i < c->n_pend; i++)
            if (strstr(c->pend_fields[i], "registration") != NULL)
                r->kind = CQ_REVIEW_REGISTRATION;
    }
    cq_strlcpy(r->reason, d->n_reasons > 0 ? d->reasons[0].message : "pended",
               sizeof r->reason);
}

static int
s_decode_claim(const uint8_t *p, size_t n, cq_claim_t *c)
{
    cq_cur_t cur;
    cq_cur_init(&cur, p, n);
    return cq_proto_claim_decode(&cur, c);
}

static int
s_decode_decision(const uint8_t *p, size_t n, cq_decision_t *d)
{
    cq_cur_t cur;
    cq_cur_init(&cur, p, n);
    return cq_proto_decision_decode(&cur, d);
}

void
cqb_review_pended(cq_broker_t *self, uint32_t cid, int64_t at_ms)
{
    const cqb_claim_t *c = &self->claims[cid];
    if (c->state != C_DECIDED || c->outcome != CQ_DECISION_PEND ||
        s_find(self, cid) != S_NONE)
        return;
    cq_claim_t *claim = cq_xmalloc(sizeof *claim);
    cq_decision_t *dec = cq_xmalloc(sizeof *dec);
    S_GROW(self->reviews, self->n_reviews, self->cap_reviews);
    cqb_review_t *r = &self->reviews[self->n_reviews];
    memset(r, 0, sizeof *r);
    r->cid = cid;
    r->pended_ms = at_ms;
    if (s_decode_claim(c->blob, c->blob_len, claim) == 0 &&
        s_decode_decision(c->dec, c->dec_len, dec) == 0) {
        s_classify(r, claim, dec);
        self->n_reviews++;
    } else {
        cq_log_warn(NULL,
                    "claim %u: pended, but its record cannot be read "
                    "for review",
                    cid);
    }
    free(claim);
    free(dec);
}

void
cqb_review_rebuild(cq_broker_t *self)
{
    self->n_reviews = 0;
    for (uint32_t cid = 0; cid < self->n_claims; cid++) {
        const cqb_claim_t *c = &self->claims[cid];
        if (c->state != C_DECIDED || c->outcome != CQ_DECISION_PEND ||
            c->ref_doc == UINT32_MAX || c->ref_doc >= self->n_docs ||
            self->docs[c->ref_doc]->gone)
            continue;
        uint32_t bi = self->docs[c->ref_doc]->batch;
        cqb_review_pended(
            self, cid, bi < self->n_batches ? self->batches[bi].created_ms : 0);
    }
}

bool
cqb_review_batch_waiting(const cq_broker_t *self, uint32_t bi)
{
    for (uint32_t i = 0; i < self->n_reviews; i++) {
        const cqb_claim_t *c = &self->claims[self->reviews[i].cid];
        if (c->ref_doc < self->n_docs && self->docs[c->ref_doc]->batch == bi)
            return true;
    }
    for (uint32_t cid = 0; cid < self->n_claims; cid++) {
        //  released, and its new decision not in yet
        const cqb_claim_t *c = &self->claims[cid];
        if (c->release_of != 0 && c->state != C_DECIDED &&
            c->ref_doc < self->n_docs && self->docs[c->ref_doc]->batch == bi)
            return true;
    }
    return false;
}

static void
s_item(const cq_broker_t *self, const cqb_review_t *r, cq_review_item_t *it)
{
    const cqb_claim_t *c = &self->claims[r->cid];
    memset(it, 0, sizeof *it);
    it->id = r->cid;
    //  payer and claim id from the key "payer|npi|claim_id|f"
    const char *k = c->key, *b1 = strchr(k, '|');
    const char *b2 = b1 ? strchr(b1 + 1, '|') : NULL;
    const char *b3 = b2 ? strrchr(b2 + 1, '|') : NULL;
    if (b1 && b2 && b3) {
        snprintf(it->payer_id, sizeof it->payer_id, "%.*s", (int)(b1 - k), k);
        snprintf(it->claim_id, sizeof it->claim_id, "%.*s", (int)(b3 - b2 - 1),
                 b2 + 1);
    }
    uint32_t bi =
        c->ref_doc < self->n_docs ? self->docs[c->ref_doc]->batch : S_NONE;
    if (bi != S_NONE && bi < self->n_batches)
        cq_strlcpy(it->batch_id, self->batches[bi].id, sizeof it->batch_id);
    it->kind = r->kind;
    cq_strlcpy(it->reason, r->reason, sizeof it->reason);
    it->pended_ms = r->pended_ms;
    if (r->token != 0 && r->lock_expires > self->wall) {
        cq_strlcpy(it->locked_by, r->locked_by, sizeof it->locked_by);
        it->lock_expires_ms = r->lock_expires;
    }
}

static int
s_by_age(const void *a, const void *b)
{
    const cq_review_item_t *x = a, *y = b;
    if (x->pended_ms != y->pended_ms)
        return x->pended_ms < y->pended_ms ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

//  The queue for the request's tenants: its counts (total, by kind, the
//  oldest's age) and its first max items, oldest first. max 0 asks for
//  the counts alone (claimq status): no item is made.
static void
s_list(cq_broker_t *self, const cq_msg_review_t *m, cq_msg_review_reply_t *r)
{
    uint32_t cap = m->max;
    cq_review_item_t *all = NULL;
    uint32_t n = 0, ncap = 0;
    for (uint32_t i = 0; i < self->n_reviews; i++) {
        const cqb_review_t *x = &self->reviews[i];
        if (!s_tenant_ok(self, m, self->claims[x->cid].key))
            continue;
        r->total++;
        r->by_kind[x->kind < 5 ? x->kind : CQ_REVIEW_OTHER]++;
        if (r->total == 1 || x->pended_ms < r->oldest_ms)
            r->oldest_ms = x->pended_ms;
        if (cap == 0)
            continue;
        S_GROW(all, n, ncap);
        s_item(self, x, &all[n++]);
    }
    if (n > 1)
        qsort(all, n, sizeof *all, s_by_age);
    r->items = all;
    r->n_items = n < cap ? n : cap;
}

//  The earlier claim a suspect duplicate's reason names ("... of claim
//  ID ..."), of the same payer: a linear search (reviews are rare).
static uint32_t
s_other(const cq_broker_t *self, uint32_t cid, const cq_decision_t *pend)
{
    const char *key = self->claims[cid].key;
    const char *bar = strchr(key, '|');
    size_t plen = bar ? (size_t)(bar - key) : 0;
    for (uint16_t i = 0; i < pend->n_reasons; i++) {
        const char *msg = pend->reasons[i].message;
        const char *p = strstr(msg, "of claim ");
        if (strcmp(pend->reasons[i].carc, "133") != 0 || p == NULL)
            continue;
        p += 9;
        size_t n = strcspn(p, " (");
        for (uint32_t x = 0; x < self->n_claims; x++) {
            const cqb_claim_t *o = &self->claims[x];
            if (x == cid || o->state != C_DECIDED ||
                strncmp(o->key, key, plen + 1) != 0)
                continue;
            const char *b2 = strchr(o->key + plen + 1, '|');
            if (b2 && strncmp(b2 + 1, p, n) == 0 && b2[1 + n] == '|')
                return x;
        }
    }
    return S_NONE;
}

//  The lock of review ri, when held and not expired.
static bool
s_locked(const cq_broker_t *self, const cqb_review_t *r)
{
    return r->token != 0 && r->lock_expires > self->wall;
}

//  {"reviewer":..,"action":..,"changes":[..]} from the request, compact,
//  into out. changes must be an array of {"field","old","new"} strings.
static int
s_audit(const cq_msg_review_t *m, char *out, size_t size, char *why,
        size_t why_size)
{
    json_error_t e;
    json_t *ch = json_loads(m->changes[0] ? m->changes : "[]",
                            JSON_REJECT_DUPLICATES, &e);
    int rc = 0;
    if (ch == NULL || !json_is_array(ch)) {
        snprintf(why, why_size, "changes: not a JSON array");
        rc = CQ_EINVAL;
    }
    size_t i;
    json_t *v;
    if (rc == 0)
        json_array_foreach(ch, i, v)
        {
            if (!json_is_object(v) ||
                !json_is_string(json_object_get(v, "field")) ||
                !json_is_string(json_object_get(v, "old")) ||
                !json_is_string(json_object_get(v, "new")) ||
                json_object_size(v) != 3) {
                snprintf(why, why_size,
                         "changes[%zu]: expected {\"field\", \"old\", "
                         "\"new\"} strings",
                         i);
                rc = CQ_EINVAL;
                break;
            }
        }
    if (rc == 0) {
        json_t *a =
            json_pack("{s:s, s:s, s:O}", "reviewer", m->reviewer, "action",
                      cq_release_action_name((int)m->action), "changes", ch);
        char *txt =
            a ? json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (txt == NULL || strlen(txt) >= size) {
            snprintf(why, why_size,
                     "changes: the audit trail is longer than %zu bytes",
                     size - 1);
            rc = CQ_EINVAL;
        } else {
            memcpy(out, txt, strlen(txt) + 1);
        }
        free(txt);
        json_decref(a);
    }
    json_decref(ch);
    return rc;
}

static int
s_release(cq_broker_t *self, const cq_msg_review_t *m, uint32_t ri,
          cq_msg_review_reply_t *r)
{
    cqb_review_t *rv = &self->reviews[ri];
    uint32_t cid = rv->cid;
    cqb_claim_t *c = &self->claims[cid];
    if (!s_locked(self, rv) || rv->token != m->token ||
        strcmp(rv->locked_by, m->reviewer) != 0) {
        if (s_locked(self, rv)) {
            cq_strlcpy(r->holder, rv->locked_by, sizeof r->holder);
            r->expires_ms = rv->lock_expires;
        }
        snprintf(r->message, sizeof r->message,
                 s_locked(self, rv) ? "the claim is taken by another reviewer"
                                    : "the lock expired: open the claim again");
        return CQ_EBUSY;
    }
    if (m->action < CQ_RELEASE_CORRECTED ||
        m->action > CQ_RELEASE_NOT_DUPLICATE) {
        snprintf(r->message, sizeof r->message, "action: unknown");
        return CQ_EINVAL;
    }
    cq_claim_t *claim = cq_xmalloc(sizeof *claim);
    cq_decision_t *pend = cq_xmalloc(sizeof *pend);
    int rc = 0;
    if (s_decode_decision(c->dec, c->dec_len, pend) != 0 ||
        s_decode_claim(c->blob, c->blob_len, claim) != 0) {
        snprintf(r->message, sizeof r->message,
                 "the pended claim cannot be "
                 "read");
        rc = CQ_EIO;
        goto out;
    }
    if (m->action == CQ_RELEASE_CORRECTED) {
        cq_source_t source = claim->source;
        int32_t received = claim->received_date;
        if (m->claim == NULL ||
            s_decode_claim(m->claim, m->claim_len, claim) != 0) {
            snprintf(r->message, sizeof r->message,
                     "claim: missing or malformed");
            rc = CQ_EINVAL;
            goto out;
        }
        //  what the document said, not what the station may say
        claim->source = source;
        if (claim->received_date == CQ_DATE_NONE)
            claim->received_date = received;
        claim->n_pend = 0;
        claim->invalid = false;
        claim->invalid_rarc[0] = claim->invalid_msg[0] = '\0';
        if (claim->claim_id[0] == '\0' || claim->payer_id[0] == '\0') {
            snprintf(r->message, sizeof r->message, "claim: %s is required",
                     claim->claim_id[0] ? "payer_id" : "claim_id");
            rc = CQ_EINVAL;
            goto out;
        }
    }
    if (cq_claim_check_key(claim, 0)) {
        snprintf(r->message, sizeof r->message,
                 "claim: '|' is not allowed in claim ids, payer ids or NPIs");
        rc = CQ_EINVAL;
        goto out;
    }
    //  the claim's payer stays one of the reviewer's tenants
    char key[CQ_KEY_LEN];
    cq_claim_key(claim, key);
    if (!s_tenant_ok(self, m, key)) {
        snprintf(r->message, sizeof r->message,
                 "payer_id: not one of your tenants");
        rc = CQ_EINVAL;
        goto out;
    }
    size_t klen = strlen(key);
    uint32_t same = cqb_claim_by_key(self, key, klen, cqb_str_hash(key));
    if (same != S_NONE && same != cid) {
        snprintf(r->message, sizeof r->message,
                 "claim_id: another claim with this payer, provider and id "
                 "is known (claim %u)",
                 same);
        rc = CQ_EINVAL;
        goto out;
    }
    claim->review = (uint8_t)m->action;
    cq_strlcpy(claim->supersedes_node, pend->node,
               sizeof claim->supersedes_node);
    claim->supersedes_seq = pend->ledger_seq;
    if ((rc = s_audit(m, claim->review_audit, sizeof claim->review_audit,
                      r->message, sizeof r->message)) != 0)
        goto out;
    uint32_t shard = cq_shard_of(cq_claim_member_hash(claim), self->n_shards);
    cq_mpw_t w;
    cq_mpw_init(&w);
    cq_proto_claim_encode(&w, claim);
    if (self->journal)
        cq_journal_release(self->journal, cid, c->dec_seq, key, shard,
                           m->reviewer, (int)m->action, self->wall, w.data,
                           w.len);
    //  not final any more: queued for the shard's owner
    cqb_claim_unfinal(self, cid);
    cqb_shard_hist_drop(self, c->shard, cid);
    cqb_claim_rekey(self, cid, key, klen);
    c = &self->claims[cid];
    c->blob = cq_arena_dup(&self->arena, w.data, w.len);
    c->blob_len = (uint32_t)w.len;
    c->shard = shard;
    c->release_of = c->dec_seq;
    c->state = C_QUEUED;
    c->strikes = c->deliveries = 0;
    cq_deque_push_back(&self->shards[shard].q, cid);
    self->adj_queued++;
    cq_mpw_free(&w);
    s_drop(self, ri);
    self->k[K_REVIEW_RELEASED]++;
    cq_log_notice(NULL, "claim %u released by reviewer %s (%s)", cid,
                  m->reviewer, cq_release_action_name((int)m->action));
out:
    free(claim);
    free(pend);
    return rc;
}

void
cqb_on_review(cq_broker_t *self, uint32_t ci, cq_wire_msg_t *in)
{
    cq_msg_review_t *m = cq_xmalloc(sizeof *m);
    cq_msg_review_reply_t r;
    memset(&r, 0, sizeof r);
    cq_diag_t diag = {0};
    if (cq_proto_review_decode(in->body, in->body_len, m, &diag) != 0) {
        cqb_count_drop(self, CQ_EPROTO, &diag, "client");
        free(m);
        return;
    }
    r.req_id = m->req_id;
    zmq_msg_t doc;
    bool have_doc = false;
    uint32_t ri = S_NONE;
    if (m->op != CQ_ROP_LIST) {
        ri = m->id < self->n_claims ? s_find(self, (uint32_t)m->id) : S_NONE;
        if (ri != S_NONE &&
            !s_tenant_ok(self, m, self->claims[self->reviews[ri].cid].key))
            ri = S_NONE; // another tenant's: as absent
        if (ri == S_NONE) {
            r.status = CQ_ENOTFOUND;
            snprintf(r.message, sizeof r.message,
                     "no claim %" PRIu64 " waits for review", m->id);
        }
    }
    bool durable = false;
    if (r.status == 0) {
        switch (m->op) {
        case CQ_ROP_LIST:
            s_list(self, m, &r);
            break;
        case CQ_ROP_GET: {
            cqb_review_t *rv = &self->reviews[ri];
            const cqb_claim_t *c = &self->claims[rv->cid];
            cq_review_item_t *it = cq_xmalloc(sizeof *it);
            s_item(self, rv, it);
            r.items = it;
            r.n_items = 1;
            r.claim = c->blob;
            r.claim_len = c->blob_len;
            r.pend = c->dec;
            r.pend_len = c->dec_len;
            cqb_doc_t *d = self->docs[c->ref_doc];
            cq_strlcpy(r.doc_name, d->name ? d->name : "", sizeof r.doc_name);
            r.page = c->ref_index + 1; // one claim per page, in order
            //  no_doc: the station has the page already, or needs none
            if (!m->no_doc && d->has_data) {
                r.doc = zmq_msg_data(&d->data);
                r.doc_len = zmq_msg_size(&d->data);
            } else if (!m->no_doc && self->journal &&
                       cq_journal_doc_data(self->journal, c->ref_doc, &doc) ==
                           0) {
                have_doc = true;
                r.doc = zmq_msg_data(&doc);
                r.doc_len = zmq_msg_size(&doc);
            }
            if (rv->kind == CQ_REVIEW_DUPLICATE) {
                cq_decision_t *pend = cq_xmalloc(sizeof *pend);
                if (s_decode_decision(c->dec, c->dec_len, pend) == 0) {
                    uint32_t o = s_other(self, rv->cid, pend);
                    if (o != S_NONE) {
                        r.other = self->claims[o].blob;
                        r.other_len = self->claims[o].blob_len;
                        r.other_dec = self->claims[o].dec;
                        r.other_dec_len = self->claims[o].dec_len;
                    }
                }
                free(pend);
            }
            break;
        }
        case CQ_ROP_LOCK: {
            cqb_review_t *rv = &self->reviews[ri];
            if (m->reviewer[0] == '\0') {
                r.status = CQ_EINVAL;
                snprintf(r.message, sizeof r.message, "reviewer: required");
            } else if (s_locked(self, rv) &&
                       strcmp(rv->locked_by, m->reviewer) != 0) {
                r.status = CQ_EBUSY;
                snprintf(r.message, sizeof r.message,
                         "the claim is taken by another reviewer");
            } else {
                if (!s_locked(self, rv))
                    rv->token = (self->epoch << S_TOKEN_SHIFT) |
                                (++self->review_tokens & ((1ull << 40) - 1));
                cq_strlcpy(rv->locked_by, m->reviewer, sizeof rv->locked_by);
                uint32_t ttl = m->ttl_ms ? m->ttl_ms : 300000;
                rv->lock_expires = self->wall + ttl;
                r.token = rv->token;
            }
            cq_strlcpy(r.holder, rv->locked_by, sizeof r.holder);
            r.expires_ms = rv->lock_expires;
            break;
        }
        case CQ_ROP_UNLOCK: {
            cqb_review_t *rv = &self->reviews[ri];
            if (rv->token == m->token) {
                rv->token = 0;
                rv->locked_by[0] = '\0';
                rv->lock_expires = 0;
            }
            break;
        }
        case CQ_ROP_RELEASE:
            r.status = s_release(self, m, ri, &r);
            //  answered once the release is journaled
            durable = r.status == 0;
            break;
        default:
            r.status = CQ_EINVAL;
            break;
        }
    }
    cq_proto_review_reply_encode(&self->w, &r);
    cqb_send_client(self, ci, CQ_CMD_REVIEW_REPLY, &self->w, durable);
    if (have_doc)
        zmq_msg_close(&doc);
    cq_proto_review_reply_free(&r);
    free(m);
}
