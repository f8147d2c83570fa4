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
//  (one fsync). Returns 0, CQ_EBUSY (still open: retry), or CQ_ENOSPC
//  (disk full, file read-only) / CQ_EIO, after which the ledger refuses
//  writes until cq_ledger_recover (log mode) or a reopen (state mode).
int cq_ledger_commit(cq_ledger_t *self);

//  ---- added with the ledger (issue 2) ---------------------------------------
//  After a failed record or commit the ledger refuses further writes
//  (the error, CQ_EIO or CQ_ENOSPC): its memory may hold decisions the
//  file does not, so the process must reopen it (which rebuilds the memory
//  from the file); a log-mode ledger can cq_ledger_recover instead.

//  The decision JSON the ledger stored (and hashed) for ledger_seq seq,
//  when seq is the last decision recorded; NULL otherwise. Valid until the
//  next decision is recorded. Saves writers encoding it a second time.
const char *cq_ledger_last_json(const cq_ledger_t *self, int64_t seq,
                                size_t *len);

//  Decisions recorded but not yet committed.
size_t cq_ledger_pending(const cq_ledger_t *self);
//  Decisions in the ledger (committed or not; orphans not counted). A
//  log-mode ledger does not count them: there, its last seq.
int64_t cq_ledger_count(const cq_ledger_t *self);

//  Checks a ledger's hash chain (read-only; safe while a node writes it):
//  every row's hash = SHA-256(previous hash || the decision's JSON, made
//  again from the stored decision; or a marker's text, 0002_log.sql), seq
//  numbers consecutive from 1, each marker naming an earlier unmarked
//  decision. Returns 0 with *rows set (rows checked, markers included),
//  CQ_EPROTO with diag naming the first bad seq (diag.offset = that seq),
//  CQ_EUNSUPPORTED for a schema version it does not know, or CQ_EIO when
//  the file cannot be read or is not a ledger.
int cq_ledger_verify(const char *path, int64_t *rows, cq_diag_t *diag);

//  Called per decision that counts (not a marker, not an orphan), in seq
//  order, after its hash checked out: d (with ledger_seq and
//  rules_version) and its JSON line (no newline). Both are valid during
//  the call. Nonzero stops the walk (and is returned).
typedef int(cq_ledger_each_fn)(void *arg, const cq_decision_t *d,
                               const char *json, size_t len);
//  Walks a ledger's decisions as cq_ledger_verify does, calling fn (may
//  be NULL) for each: for `claimq ledger query|reconcile`.
int cq_ledger_each(const char *path, cq_ledger_each_fn *fn, void *arg,
                   int64_t *rows, cq_diag_t *diag);

//  ---- a worker's ledger as a log (issue 8) -----------------------------
//  A worker keeps member state in memory for one session with the broker
//  (rebuilt from the broker's journal when it is given shards:
//  docs/architecture.md), and its ledger is an append-only, hash-chained log of
//  the decisions it made. Rows a node wrote under a lease it lost are marked
//  orphans: a marker row naming the orphan's seq is appended (the chain
//  stays intact), and orphans never count as decisions.

//  Opens (creating and migrating) a ledger without rebuilding state from
//  it (fast whatever its size): cq_ledger_state is NULL for it. Returns
//  NULL and fills diag on failure; the message names the file (a corrupt
//  file: the caller exits 3).
cq_ledger_t *cq_ledger_open_log(const char *path, const char *node_id,
                                cq_diag_t *diag);

//  A new in-memory member state whose decisions are appended to this
//  ledger (with ledger seqs from the ledger, buffered until
//  cq_ledger_commit). The caller owns it (cq_state_destroy) and makes a new
//  one for each session; one at a time, destroyed before the ledger.
//  Decisions recorded while cq_state_set_persist(st, false) (state.h) are
//  kept in memory only (ledger_seq 0). A decision that reverses one of
//  them (a void, a replacement) is written with reverses NULL: the row it
//  reverses is not in this ledger. Log-mode ledgers only.
cq_state_t *cq_ledger_session_state(cq_ledger_t *self);

//  This ledger's id: 32 hex digits made when the file was created.
const char *cq_ledger_id(const cq_ledger_t *self);
//  The newest row's seq (decision or marker; 0 when empty).
int64_t cq_ledger_last_seq(const cq_ledger_t *self);
//  Every row with seq <= this is known to be in the broker's journal or
//  marked orphan (meta.resolved_seq; 0 at first).
int64_t cq_ledger_resolved(const cq_ledger_t *self);

//  Marks each decision row with seq in one of ranges[i] = {from, to} (not a
//  marker, not already marked) as an orphan, appending one marker row each;
//  then, when upto > 0, sets resolved to max(resolved, upto) (upto beyond
//  the last row counts as the last row; when upto covers every row before
//  this call, the markers just written count as resolved too). Commits
//  (one transaction; decisions recorded and not yet committed are
//  committed first, in their own). *marked (may be NULL) counts the rows
//  marked. Idempotent. Returns 0, or CQ_EIO / CQ_ENOSPC / CQ_EBUSY
//  (nothing marked; retry later).
int cq_ledger_mark_orphans(cq_ledger_t *self, const uint64_t (*ranges)[2],
                           size_t n_ranges, int64_t upto, size_t *marked);

//  After a failed write or commit (CQ_EIO, CQ_ENOSPC): drops what was not
//  committed, reads the last seq and hash from the file again and makes
//  the ledger writable again if the file is; 0 when a test write (meta
//  'last_check', committed) succeeded, else the error. A session state
//  made before must not be used after this (it may hold decisions the
//  file lost): make a new one. Log mode only: a state-mode ledger returns
//  its error (reopen it).
int cq_ledger_recover(cq_ledger_t *self);

//  One row of a ledger as cq_ledger_walk reads it.
typedef struct {
    int64_t seq;
    int kind;               // 0 decision, 1 orphan marker
    int64_t orphan_of;      // kind 1: the orphan's seq
    bool orphaned;          // kind 0: a later marker names it
    const char *claim_key;  // payer|npi|claim_id|frequency
    const char *member_id;  // member id, or "" when unknown
    const cq_decision_t *d; // kind 0: the decision (ledger_seq, rules_version
                            // set); kind 1: NULL
    const char *json;       // kind 0: its canonical JSON line (no newline);
    size_t json_len;        // kind 1: the marker's hashed text
} cq_ledger_row_t;

typedef int(cq_ledger_row_fn)(void *arg, const cq_ledger_row_t *row);

//  Walks every row in seq order, checking the hash chain as
//  cq_ledger_verify does (read-only; safe while a node writes it: one read
//  transaction); fn (may be NULL) is called per row after its hash checked
//  out. meta (may be NULL) receives node id, ledger id, resolved seq and
//  schema version ("" / 0 when the file has none). Returns 0 with *rows
//  set, CQ_EPROTO with diag naming the first bad seq, CQ_EUNSUPPORTED (an
//  unknown schema version), CQ_EIO when the file cannot be read or is not
//  a ledger (diag names it), or fn's nonzero result. Reads ledgers of
//  every schema version (a 0001 ledger: no markers).
typedef struct {
    char node_id[CQ_ID_LEN];
    char ledger_id[40];
    int64_t resolved;
    int schema; // schema_version (the newest migration applied)
    //  A copy made by cq_ledger_copy (`claimq ledger export`): what kind
    //  (meta 'export', e.g. "redacted"), and the rows and final chain hash
    //  (hex) of the ledger it was made from. "" / 0 for a node's ledger.
    char export_kind[32];
    int64_t export_of_rows;
    char export_of_hash[72];
} cq_ledger_meta_t;
int cq_ledger_walk(const char *path, cq_ledger_row_fn *fn, void *arg,
                   cq_ledger_meta_t *meta, int64_t *rows, cq_diag_t *diag);

//  ---- a copy with values replaced (claimq ledger export) ------------------

//  What cq_ledger_copy replaces in each row, and what it records.
typedef struct {
    //  The text stored instead of a row's member id v (not NULL, not ""),
    //  written into out (size bytes, NUL-terminated). 0, or an error that
    //  stops the copy. NULL: kept.
    int (*member)(void *arg, const char *v, char *out, size_t size);
    //  Rewrites decision d in place before it is stored and hashed (its
    //  ledger_seq and rules_version are set; they are not stored). 0, or an
    //  error that stops the copy. NULL: kept.
    int (*decision)(void *arg, cq_decision_t *d);
    void *arg;
    const char *kind; // meta 'export', e.g. "redacted" (< 32 bytes)
    //  more meta rows: key, value, key, value, ..., NULL (may be NULL)
    const char *const *meta;
} cq_ledger_rewrite_t;

//  What cq_ledger_copy wrote.
typedef struct {
    int64_t rows;         // rows copied: every row of the source
    int64_t decisions;    // decision rows among them (orphans included)
    char source_hash[72]; // the source's final chain hash, hex (64 zeros:
                          // no rows)
    char hash[72];        // the copy's
    bool dst_error;       // on an error: dst exists or cannot be written
                          // (else src could not be read, or rw failed)
} cq_ledger_copy_info_t;

//  Writes a new ledger at dst holding every row of the ledger at src with
//  its member id and decision rewritten by rw, the hash chain computed
//  again over the rewritten rows (cq_ledger_verify holds on the copy). src
//  is opened read-only and read in one read transaction (safe while a
//  node appends); its chain is checked as it is read. dst must not exist
//  (never overwritten); it is created mode 0600 whatever the umask, as a
//  self-contained file (rollback journal, not WAL), and filled in one
//  transaction: it never held a value of src that rw replaces. Its meta:
//  src's node_id, created_at, ledger_id and resolved_seq; 'export' =
//  rw->kind, 'export_of_rows' and 'export_of_hash' (src's final chain
//  hash), 'exported_at' (UTC), and rw->meta. rules are copied as they are.
//  Returns 0 (info filled; may be NULL), CQ_EEXIST (dst exists), CQ_EPROTO
//  (src's chain breaks: diag.offset = the seq), CQ_EUNSUPPORTED (src's
//  schema), CQ_EIO (src cannot be read or is not a ledger, or dst cannot be
//  written), or rw's error; diag names the file, never a value. On an
//  error dst is removed (when this call made it).
int cq_ledger_copy(const char *src, const char *dst,
                   const cq_ledger_rewrite_t *rw, cq_ledger_copy_info_t *info,
                   cq_diag_t *diag);

#endif
