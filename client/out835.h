//  out835.h: writes claim + decision pairs as X12 835 remittance (the
//  X12 engineer's cq_x12_835_write; or as a 277CA, cq_x12_277_write),
//  streaming: pairs are buffered and
//  written as one interchange per CQ_OUT835_CHUNK pairs, so a batch of any
//  size needs bounded memory. Used by `claimq adjudicate --format 835` and
//  `claimq results --format 835`.
#ifndef CQ_OUT835_H
#define CQ_OUT835_H

#include "decision.h"

#include <stdio.h>

#define CQ_OUT835_CHUNK 1000

typedef struct cq_out835 cq_out835_t;

//  Writes to out (borrowed). date is the production date of the 835
//  (CQ_DATE_NONE: today).
cq_out835_t *cq_out835_new(FILE *out, int32_t date);
//  The same streaming for a 277CA claim acknowledgment (cq_x12_277_write:
//  every pair, pended ones too; one interchange per CQ_OUT835_CHUNK pairs).
//  Used by `claimq results --format 277ca`.
cq_out835_t *cq_out835_new_277ca(FILE *out, int32_t date);
//  Appends to buf (borrowed) instead, for a caller that writes its output
//  only after something else (a ledger commit) happened.
cq_out835_t *cq_out835_new_buf(cq_buf_t *buf, int32_t date);
//  Adds one pair; claim may be NULL (then no service lines). Returns 0, or
//  an error from the writer or CQ_EIO (stdio).
int cq_out835_add(cq_out835_t *self, const cq_claim_t *claim,
                  const cq_decision_t *decision);
//  Writes what is buffered. Returns 0 or an error.
int cq_out835_finish(cq_out835_t *self);
void cq_out835_destroy(cq_out835_t **self_p);

#endif
