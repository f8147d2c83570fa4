//  review_rpc.h: the review station's calls to the broker (REVIEW /
//  REVIEW_REPLY, schemas/proto.md): the queue of pended claims, one
//  claim with its document, locks, and the release of a corrected claim.
//
//  Every call names the tenants (payer ids) the signed-in reviewer may
//  see; "*" is every tenant. A claim of another tenant is answered
//  CQ_ENOTFOUND, exactly as an id that does not exist.
//
//  Claims, documents, field values and changes are patient data: show
//  them to the reviewer, never log them.
#ifndef CQ_REVIEW_RPC_H
#define CQ_REVIEW_RPC_H

#include "bclient.h"

#define CQ_REVIEW_LOCK_MS 300000 // default lock: 5 minutes

//  cq_review_kind_t, cq_release_action_t, cq_review_item_t and their
//  names are proto.h's (the wire carries them).

typedef struct {
    cq_review_item_t *items; // oldest first (owned)
    uint32_t n;
    uint64_t total;      // items waiting for these tenants (n may be less)
    uint64_t by_kind[5]; // waiting, by cq_review_kind_t (index 0 unused)
    int64_t oldest_ms;   // when the oldest waiting claim pended (wall
                         // clock, ms); 0 when none waits or the broker
                         // does not say (older than this field)
} cq_review_list_t;

//  The queue for these tenants, oldest first, at most max items (more
//  than CQ_REVIEW_MAX_ITEMS asks for that many); max 0: the counts alone
//  (total, by_kind, oldest_ms), no item. Returns 0, CQ_EINVAL (a tenant
//  too long or too many), CQ_ETIMEDOUT, CQ_EPROTO.
int cq_review_list(cq_bclient_t *bc, const char *const *tenants,
                   size_t n_tenants, uint32_t max, cq_review_list_t *out,
                   int timeout_ms);
void cq_review_list_free(cq_review_list_t *l);

typedef struct {
    cq_review_item_t item;
    cq_claim_t claim;   // as it pended (the decoder's output)
    cq_decision_t pend; // the pend decision (its reasons)
    char doc_name[CQ_DOC_NAME_LEN];
    uint8_t *doc; // the document's bytes (owned), or NULL
    size_t doc_len;
    uint32_t page;  // 1-based page (record) of the document
    bool has_other; // a suspect duplicate: the earlier claim
    cq_claim_t other;
    cq_decision_t other_decision;
} cq_review_claim_t;

//  One waiting claim, with its document's bytes when with_doc (up to
//  CQ_PROTO_MAX_FRAME: ask only to render a page not read yet); without,
//  out->doc is NULL. Returns 0, CQ_ENOTFOUND (no such waiting claim for
//  these tenants), CQ_ETIMEDOUT, CQ_EPROTO.
int cq_review_get(cq_bclient_t *bc, const char *const *tenants,
                  size_t n_tenants, uint64_t id, bool with_doc,
                  cq_review_claim_t *out, int timeout_ms);
void cq_review_claim_free(cq_review_claim_t *c);

//  Takes (or renews, for the same reviewer) the lock on a waiting claim
//  for ttl_ms. Returns 0 (*token set: releases must show it), CQ_EBUSY
//  (another reviewer holds it: holder and *expires_ms say who and until
//  when), CQ_ENOTFOUND, CQ_ETIMEDOUT, CQ_EPROTO.
int cq_review_lock(cq_bclient_t *bc, const char *const *tenants,
                   size_t n_tenants, uint64_t id, const char *reviewer,
                   uint32_t ttl_ms, uint64_t *token, char holder[CQ_ID_LEN],
                   int64_t *expires_ms, int timeout_ms);
//  Gives a lock back (nothing when it is not held with token). 0,
//  CQ_ENOTFOUND, CQ_ETIMEDOUT, CQ_EPROTO.
int cq_review_unlock(cq_bclient_t *bc, const char *const *tenants,
                     size_t n_tenants, uint64_t id, uint64_t token,
                     int timeout_ms);

//  Releases a waiting claim: the broker journals the release and sends
//  the claim to its shard's owner, whose decision supersedes the pend.
//  corrected: the claim as the reviewer left it (for CORRECTED; ignored
//  otherwise: NULL ok). changes: JSON array of the changed fields,
//  [{"field":"member.id","old":"…","new":"…"}, …] ("[]" when none), at
//  most CQ_REVIEW_AUDIT_LEN - 128 bytes (the broker adds its header).
//  Returns 0, CQ_EBUSY (the lock is not held with token: expired or
//  taken; msg says), CQ_ENOTFOUND (not waiting: released already, or
//  never), CQ_EINVAL (msg names what is wrong), CQ_ETIMEDOUT, CQ_EPROTO.
int cq_review_release(cq_bclient_t *bc, const char *const *tenants,
                      size_t n_tenants, uint64_t id, uint64_t token,
                      const char *reviewer, int action,
                      const cq_claim_t *corrected, const char *changes,
                      char msg[CQ_PROTO_MSG_LEN], int timeout_ms);

#endif
