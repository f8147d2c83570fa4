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

//  Decisions recorded but not yet committed.
size_t cq_ledger_pending(const cq_ledger_t *self);
//  Decisions in the ledger (committed or not).
int64_t cq_ledger_count(const cq_ledger_t *self);

//  Checks a ledger's hash chain (read-only; safe while a node writes it):
//  every row's hash = SHA-256(previous hash || decision JSON), seq numbers
//  consecutive. Returns 0 with *rows set, CQ_EPROTO with diag naming the
//  first bad seq, or CQ_EIO when the file cannot be read.
int cq_ledger_verify(const char *path, int64_t *rows, cq_diag_t *diag);

#endif
