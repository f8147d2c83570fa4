//  engine.h: the adjudication engine's public face (FORMATS.md
//  "Adjudication"). Pure: no I/O of its own beyond loading its inputs at
//  construction; member state comes through a cq_state_t (state.h).
#ifndef CQ_ENGINE_H
#define CQ_ENGINE_H

#include "decision.h"
#include "err.h"
#include "state.h"

typedef struct cq_engine cq_engine_t;

//  Loads a plan rules file (plan.schema.json) and a member roster (JSON
//  Lines or CSV, by content). On a bad file returns NULL and fills diag
//  with the file, line and field (the caller exits 3).
cq_engine_t *cq_engine_new(const char *plan_path, const char *members_path,
                           cq_diag_t *diag);
void cq_engine_destroy(cq_engine_t **self_p);

//  "sha256:<hex of the plan file's bytes>".
const char *cq_engine_rules_version(const cq_engine_t *self);

//  Decides one claim against the member state and records the decision in
//  the state (which may assign ledger_seq). received_default is used when
//  the claim carries no received_date (CQ_DATE_NONE = today).
//  A claim key already decided returns the decision made then, unchanged
//  (and *replayed = true when replayed is not NULL).
//  Returns 0, or a retryable error from the state store (CQ_EIO, CQ_EBUSY);
//  bad claim content is never an error here, it is a reject.
int cq_engine_decide(cq_engine_t *self, cq_state_t *state,
                     const cq_claim_t *claim, int32_t received_default,
                     cq_decision_t *out, bool *replayed);

#endif
