//  state.h: member state the engine reads and updates: plan-year
//  accumulators, accepted-line history (duplicates, frequency limits),
//  and decisions by claim key (resubmissions, voids, replacements).
//  Two implementations: in memory (claimq adjudicate without --ledger) and
//  the SQLite ledger (ledger.h), so the worker and the offline tool share
//  the same engine code.
#ifndef CQ_STATE_H
#define CQ_STATE_H

#include "decision.h"

typedef struct cq_state cq_state_t;

//  A state kept only in memory. Caller owns it.
cq_state_t *cq_state_new_memory(void);
void cq_state_destroy(cq_state_t **self_p);

//  Suspends (false) or resumes (true, the default) writing decisions
//  through the store's persistence: while suspended, decisions update
//  memory only (a worker replaying a shard's history from the journal).
void cq_state_set_persist(cq_state_t *st, bool on);

#endif
