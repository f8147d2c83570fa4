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

//  ---- added with the engine (issue 2) -------------------------------------

//  Per-call settings of a decision. NULL fields take the defaults.
typedef struct {
    const char *batch_id; // decision's batch_id ("" / NULL: none)
    const char *node;     // deciding node (NULL: cq_engine_set_node's)
} cq_decide_opts_t;

//  cq_engine_decide with options (cq_engine_decide = opts NULL).
int cq_engine_decide_with(cq_engine_t *self, cq_state_t *state,
                          const cq_claim_t *claim, int32_t received_default,
                          const cq_decide_opts_t *opts, cq_decision_t *out,
                          bool *replayed);

//  The node id written into decisions (default ""; `claimq adjudicate`
//  uses "local").
void cq_engine_set_node(cq_engine_t *self, const char *node);

//  Starts loading what deciding claim c will read first (its claim key's
//  and its member's hash slots) into the cache: call it for the next
//  claim before deciding the current one (software pipelining). Changes
//  nothing; cheap.
void cq_engine_prefetch(const cq_engine_t *self, const cq_state_t *state,
                        const cq_claim_t *claim);

struct cq_plan_rules;
struct cq_roster;
//  Builds an engine from rules and a roster already loaded (plan.h,
//  roster.h); takes both (the pointers are set to NULL). Never fails.
cq_engine_t *cq_engine_new_from(struct cq_plan_rules **rules_p,
                                struct cq_roster **roster_p);

#endif
