//  ledger.h: a node's SQLite ledger (WAL): decisions with a hash chain,
//  member accumulators and history of its shards, rules version. Numbered
//  migrations in schemas/ledger/ are applied in order at open.
#ifndef CQ_LEDGER_H
#define CQ_LEDGER_H

#include "err.h"
#include "state.h"

typedef struct cq_ledger cq_ledger_t;

//  Opens (creating and migrating) the ledger at path for node_id. Returns
//  NULL and fills diag on failure (the caller exits 3).
cq_ledger_t *cq_ledger_open(const char *path, const char *node_id,
                            cq_diag_t *diag);
void cq_ledger_destroy(cq_ledger_t **self_p);

//  The ledger seen as engine state. Borrowed; lives as long as the ledger.
//  Decisions recorded through it get consecutive ledger_seq numbers and
//  are buffered until cq_ledger_commit.
cq_state_t *cq_ledger_state(cq_ledger_t *self);

//  Commits everything recorded since the last commit in one transaction
//  (one fsync). Returns 0 or CQ_EIO / CQ_EBUSY.
int cq_ledger_commit(cq_ledger_t *self);

//  ---- added with the ledger (issue 2) ---------------------------------------
//  After a failed record or commit the ledger refuses further writes
//  (CQ_EIO): its memory may hold decisions the file does not, so the
//  process must reopen it (which rebuilds the memory from the file).

//  The decision JSON the ledger stored (and hashed) for ledger_seq seq,
//  when seq is the last decision recorded; NULL otherwise. Valid until the
//  next decision is recorded. Saves writers encoding it a second time.
const char *cq_ledger_last_json(const cq_ledger_t *self, int64_t seq,
                                size_t *len);

//  Decisions recorded but not yet committed.
size_t cq_ledger_pending(const cq_ledger_t *self);
//  Decisions in the ledger (committed or not).
int64_t cq_ledger_count(const cq_ledger_t *self);

//  Checks a ledger's hash chain (read-only; safe while a node writes it):
//  every row's hash = SHA-256(previous hash || the decision's JSON, made
//  again from the stored decision), seq numbers consecutive. Returns 0
//  with *rows set, CQ_EPROTO with diag naming the first bad seq, or CQ_EIO
//  when the file cannot be read.
int cq_ledger_verify(const char *path, int64_t *rows, cq_diag_t *diag);

//  Called per decision, in seq order, after its hash checked out: d (with
//  ledger_seq and rules_version) and its JSON line (no newline). Both are
//  valid during the call. Nonzero stops the walk (and is returned).
typedef int(cq_ledger_each_fn)(void *arg, const cq_decision_t *d,
                               const char *json, size_t len);
//  Walks a ledger's decisions as cq_ledger_verify does, calling fn (may
//  be NULL) for each: for `claimq ledger query|reconcile`.
int cq_ledger_each(const char *path, cq_ledger_each_fn *fn, void *arg,
                   int64_t *rows, cq_diag_t *diag);

#endif
