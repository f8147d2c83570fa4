//  claim_json.h: the claim JSON codec (FORMATS.md "Claim"), on jansson.
#ifndef CQ_CLAIM_JSON_H
#define CQ_CLAIM_JSON_H

#include "claim.h"
#include "err.h"
#include "mem.h"

#define CQ_JSON_MAX_DOC (256u << 20) // a JSON document is at most 256 MiB
#define CQ_JSON_MAX_LINE (1u << 20)  // one JSON Lines record is at most 1 MiB

//  Called once per claim found; c is only valid during the call. Return
//  nonzero to stop parsing (that value is returned by the parser).
typedef int(cq_claim_fn)(void *arg, cq_claim_t *c);

//  Parses a JSON document holding one claim object, an array of claim
//  objects, or JSON Lines (one object per line; blank lines skipped).
//  Every record becomes a claim passed to fn: a record with bad content
//  (missing or mistyped field, bad date, negative or non-numeric money,
//  over-long value) is passed with c->invalid set and c->invalid_msg naming
//  the field, so the engine rejects it CO-16. A record that is not JSON at
//  all, or has no usable claim_id, still yields an invalid claim whose
//  claim_id is "#<record number>" (1-based) so that it gets an answer.
//  Returns the number of claims passed (>= 0), fn's nonzero value, or
//  CQ_ETOOBIG / CQ_EPROTO when the document as a whole is unusable.
int cq_claim_json_parse(const char *buf, size_t len, cq_claim_fn *fn,
                        void *arg, cq_diag_t *diag);

//  Appends c as one JSON object (FORMATS.md key order, no newline).
int cq_claim_to_json(const cq_claim_t *c, cq_buf_t *out);

#endif
