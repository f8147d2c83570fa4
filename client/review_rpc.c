//  review_rpc.c: the review station's calls to the broker (review_rpc.h).
#include "review_rpc.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

//  A request for these tenants (NULL: too many or too long).
static cq_msg_review_t *
s_req(uint32_t op, const char *const *tenants, size_t n_tenants, uint64_t id)
{
    if (n_tenants > CQ_REVIEW_MAX_TENANTS)
        return NULL;
    cq_msg_review_t *m = cq_xcalloc(1, sizeof *m);
    m->op = op;
    m->id = id;
    for (size_t i = 0; i < n_tenants; i++)
        if (cq_strlcpy(m->tenants[i], tenants[i], sizeof m->tenants[i]) != 0) {
            free(m);
            return NULL;
        }
    m->n_tenants = (uint32_t)n_tenants;
    return m;
}

static int
s_claim(const uint8_t *p, size_t n, cq_claim_t *c)
{
    cq_cur_t cur;
    cq_cur_init(&cur, p, n);
    return cq_proto_claim_decode(&cur, c);
}

static int
s_decision(const uint8_t *p, size_t n, cq_decision_t *d)
{
    cq_cur_t cur;
    cq_cur_init(&cur, p, n);
    return cq_proto_decision_decode(&cur, d);
}

int
cq_review_list(cq_bclient_t *bc, const char *const *tenants, size_t n_tenants,
               uint32_t max, cq_review_list_t *out, int timeout_ms)
{
    memset(out, 0, sizeof *out);
    cq_msg_review_t *m = s_req(CQ_ROP_LIST, tenants, n_tenants, 0);
    if (m == NULL)
        return CQ_EINVAL;
    m->max = max < CQ_REVIEW_MAX_ITEMS ? max : CQ_REVIEW_MAX_ITEMS;
    cq_msg_review_reply_t r;
    int rc = cq_bclient_review(bc, m, &r, timeout_ms);
    free(m);
    if (rc != 0)
        return rc;
    if (r.status != 0) {
        rc = r.status;
        cq_proto_review_reply_free(&r);
        return rc;
    }
    out->items = r.items; // taken over
    out->n = r.n_items;
    out->total = r.total;
    memcpy(out->by_kind, r.by_kind, sizeof out->by_kind);
    out->oldest_ms = r.oldest_ms;
    return 0;
}

void
cq_review_list_free(cq_review_list_t *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

int
cq_review_get(cq_bclient_t *bc, const char *const *tenants, size_t n_tenants,
              uint64_t id, bool with_doc, cq_review_claim_t *out,
              int timeout_ms)
{
    memset(out, 0, sizeof *out);
    cq_msg_review_t *m = s_req(CQ_ROP_GET, tenants, n_tenants, id);
    if (m == NULL)
        return CQ_EINVAL;
    m->no_doc = !with_doc;
    cq_msg_review_reply_t r;
    int rc = cq_bclient_review(bc, m, &r, timeout_ms);
    free(m);
    if (rc != 0)
        return rc;
    rc = r.status;
    if (rc == 0 && (r.n_items != 1 || r.claim == NULL || r.pend == NULL ||
                    s_claim(r.claim, r.claim_len, &out->claim) != 0 ||
                    s_decision(r.pend, r.pend_len, &out->pend) != 0))
        rc = CQ_EPROTO;
    if (rc == 0) {
        out->item = r.items[0];
        cq_strlcpy(out->doc_name, r.doc_name, sizeof out->doc_name);
        out->page = r.page;
        if (r.doc != NULL) {
            out->doc = cq_xmalloc(r.doc_len ? r.doc_len : 1);
            memcpy(out->doc, r.doc, r.doc_len);
            out->doc_len = r.doc_len;
        }
        if (r.other != NULL && r.other_dec != NULL &&
            s_claim(r.other, r.other_len, &out->other) == 0 &&
            s_decision(r.other_dec, r.other_dec_len, &out->other_decision) == 0)
            out->has_other = true;
    }
    cq_proto_review_reply_free(&r);
    return rc;
}

void
cq_review_claim_free(cq_review_claim_t *c)
{
    free(c->doc);
    c->doc = NULL;
    c->doc_len = 0;
}

int
cq_review_lock(cq_bclient_t *bc, const char *const *tenants, size_t n_tenants,
               uint64_t id, const char *reviewer, uint32_t ttl_ms,
               uint64_t *token, char holder[CQ_ID_LEN], int64_t *expires_ms,
               int timeout_ms)
{
    cq_msg_review_t *m = s_req(CQ_ROP_LOCK, tenants, n_tenants, id);
    if (m == NULL || cq_strlcpy(m->reviewer, reviewer, sizeof m->reviewer)) {
        free(m);
        return CQ_EINVAL;
    }
    m->ttl_ms = ttl_ms;
    cq_msg_review_reply_t r;
    int rc = cq_bclient_review(bc, m, &r, timeout_ms);
    free(m);
    if (rc != 0)
        return rc;
    *token = r.token;
    if (holder)
        cq_strlcpy(holder, r.holder, CQ_ID_LEN);
    if (expires_ms)
        *expires_ms = r.expires_ms;
    rc = r.status;
    cq_proto_review_reply_free(&r);
    return rc;
}

int
cq_review_unlock(cq_bclient_t *bc, const char *const *tenants, size_t n_tenants,
                 uint64_t id, uint64_t token, int timeout_ms)
{
    cq_msg_review_t *m = s_req(CQ_ROP_UNLOCK, tenants, n_tenants, id);
    if (m == NULL)
        return CQ_EINVAL;
    m->token = token;
    cq_msg_review_reply_t r;
    int rc = cq_bclient_review(bc, m, &r, timeout_ms);
    free(m);
    if (rc != 0)
        return rc;
    rc = r.status;
    cq_proto_review_reply_free(&r);
    return rc;
}

int
cq_review_release(cq_bclient_t *bc, const char *const *tenants,
                  size_t n_tenants, uint64_t id, uint64_t token,
                  const char *reviewer, int action, const cq_claim_t *corrected,
                  const char *changes, char msg[CQ_PROTO_MSG_LEN],
                  int timeout_ms)
{
    msg[0] = '\0';
    cq_msg_review_t *m = s_req(CQ_ROP_RELEASE, tenants, n_tenants, id);
    if (m == NULL || cq_strlcpy(m->reviewer, reviewer, sizeof m->reviewer) ||
        cq_strlcpy(m->changes, changes ? changes : "[]",
                   sizeof m->changes - 128)) {
        cq_strlcpy(msg, m ? "changes: too long" : "tenants: too many or long",
                   CQ_PROTO_MSG_LEN);
        free(m);
        return CQ_EINVAL;
    }
    m->token = token;
    m->action = (uint32_t)action;
    cq_mpw_t w;
    cq_mpw_init(&w);
    if (action == CQ_RELEASE_CORRECTED && corrected != NULL) {
        cq_proto_claim_encode(&w, corrected);
        m->claim = w.data;
        m->claim_len = w.len;
    }
    cq_msg_review_reply_t r;
    int rc = cq_bclient_review(bc, m, &r, timeout_ms);
    free(m);
    cq_mpw_free(&w);
    if (rc != 0)
        return rc;
    rc = r.status;
    cq_strlcpy(msg, r.message, CQ_PROTO_MSG_LEN);
    cq_proto_review_reply_free(&r);
    return rc;
}
