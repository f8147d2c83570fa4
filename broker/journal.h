//  journal.h: the broker's journal (docs/operations.md): DIR/journal.db,
//  SQLite
//  in WAL mode with synchronous=FULL (schemas/journal/), and the documents'
//  bytes in append-only segment files beside it (DIR/docs-NNNNNN.seg).
//
//  The broker adds records as things happen during a turn of its loop;
//  they are buffered (copied) here and written together by a writer thread
//  (group commit): the documents' bytes appended to the current segment
//  and fsynced, then every record in one SQLite transaction. Nothing is
//  written before: a commit that fails (disk full, read-only, I/O error)
//  rolls back and keeps every record buffered, and the next commit tries
//  them all again, so the journal never holds half a group and loses no
//  record the broker made. The broker keeps the lookups in memory and
//  rebuilds them at start with cq_journal_load.
#ifndef CQ_JOURNAL_H
#define CQ_JOURNAL_H

#include "err.h"
#include "metrics.h"

#include <zmq.h>

typedef struct cq_journal cq_journal_t;

//  Opens DIR/journal.db (creating DIR with mode 0700 and the file, then
//  migrating), and records a new start: the epoch. shards: S for a new
//  journal (an existing one keeps its own). Returns NULL and fills diag
//  naming the file when it cannot be opened, is not a journal, is corrupt
//  or is newer than this program (the caller exits 3).
cq_journal_t *cq_journal_open(const char *dir, uint32_t shards,
                              cq_diag_t *diag);
//  Opens a journal to read it (`claimq ledger reconcile`): DIR or the
//  journal.db file itself; nothing is written (safe while a broker runs).
//  NULL with diag when it cannot be read or its schema is not this
//  program's.
cq_journal_t *cq_journal_open_readonly(const char *path, cq_diag_t *diag);
void cq_journal_close(cq_journal_t **self_p);

//  The path of the journal file.
const char *cq_journal_path(const cq_journal_t *self);
//  This start's number (1 for a new journal).
uint64_t cq_journal_epoch(const cq_journal_t *self);
//  S, fixed when the journal was created.
uint32_t cq_journal_shards(const cq_journal_t *self);

//  ---- records (buffered until committed) -------------------------------
//  tenants: who owns it (0005_tenants.sql), "" for none.
void cq_journal_batch(cq_journal_t *self, uint32_t id, const char *batch_id,
                      int64_t created_ms, const char *tenants);
//  A document and its bytes: shared with data (zmq_msg_copy: no copy of
//  the bytes), or copied (cq_journal_doc).
//  received_set: the date came from the submitter.
void cq_journal_doc_msg(cq_journal_t *self, uint32_t id, uint32_t batch,
                        uint32_t pos, const char *name, uint32_t first_record,
                        int32_t received_date, bool received_set,
                        int64_t received_ms, const uint8_t digest[32],
                        zmq_msg_t *data);
void cq_journal_doc(cq_journal_t *self, uint32_t id, uint32_t batch,
                    uint32_t pos, const char *name, uint32_t first_record,
                    int32_t received_date, int64_t received_ms,
                    const uint8_t digest[32], const void *data, size_t len);

//  A document's admission: begin, one entry per record in order, end.
//  seq: the order of admission (a counter the broker keeps).
void cq_journal_intake_begin(cq_journal_t *self, uint32_t doc, uint64_t seq,
                             int32_t status, const char *message,
                             uint32_t n_claims, uint32_t refused_sets,
                             uint32_t refused_claims);
//  A claim first seen here (body: the encoded claim).
void cq_journal_entry_claim(cq_journal_t *self, uint32_t cid, const char *key,
                            uint32_t shard, const void *body, size_t len);
//  An entry whose claim (cid) was known already.
void cq_journal_entry_ref(cq_journal_t *self, uint32_t cid);
void cq_journal_intake_end(cq_journal_t *self);

//  A worker's RESULT: begin, one item per decision taken, end (a result
//  without items is not written). id: the results row (a counter the
//  broker keeps); seq: the order of decisions (another).
void cq_journal_result_begin(cq_journal_t *self, uint32_t id, const char *node,
                             const char *ledger_id, uint64_t lease,
                             int64_t decided_ms);
void cq_journal_result_item(cq_journal_t *self, uint32_t cid, uint64_t seq,
                            uint64_t ledger_seq, int outcome, const void *body,
                            size_t len);
void cq_journal_result_end(cq_journal_t *self);

//  The 999 of an X12 document (schemas/journal/0003_answers.sql).
void cq_journal_ack(cq_journal_t *self, uint32_t doc, const void *ack,
                    size_t len);

//  A person released a pended claim (schemas/journal/0004_review.sql):
//  body is the claim as released (encoded, with its review fields), key
//  and shard its (maybe new) key and shard, pend_seq the decision order of
//  the pend it supersedes.
void cq_journal_release(cq_journal_t *self, uint32_t claim, uint64_t pend_seq,
                        const char *key, uint32_t shard, const char *reviewer,
                        int action, int64_t at_ms, const void *body,
                        size_t len);

//  kind: see schemas/journal/0001_init.sql (events). node, detail: NULL ok.
void cq_journal_event(cq_journal_t *self, const char *kind, uint32_t target,
                      const char *node, uint32_t attempts, const char *detail,
                      int64_t at_ms);

//  Records buffered and not yet committed.
size_t cq_journal_pending(const cq_journal_t *self);
//  Records ever added (a number that grows by one per record): something
//  that depends on everything recorded so far may be made visible once
//  cq_journal_status's committed reaches it.
uint64_t cq_journal_recorded(const cq_journal_t *self);

//  Writes every buffered record, in the calling thread (after the writer
//  thread, if started, finished what it had). Returns 0 (nothing buffered
//  any more), or CQ_ENOSPC (disk full or read-only), CQ_EIO, CQ_EBUSY with
//  diag saying why; the records stay buffered for the next attempt.
int cq_journal_commit(cq_journal_t *self, cq_diag_t *diag);

//  Commit latency of the last successful commit, microseconds.
uint64_t cq_journal_last_commit_us(const cq_journal_t *self);
//  Every commit's latency, from any thread's reading (metrics).
const cq_hist_t *cq_journal_commit_hist(const cq_journal_t *self);

//  ---- group commit in a writer thread -----------------------------------
//  The broker's loop does not wait for the disk: it hands what it recorded
//  to a writer thread, goes on, and makes things visible as their records
//  are committed. Only the loop calls these.

//  Starts the writer thread. 0 or CQ_EIO.
int cq_journal_start(cq_journal_t *self);
//  A file descriptor that becomes readable when the writer finished a
//  commit (for the loop's poll), or -1 before cq_journal_start.
int cq_journal_fd(const cq_journal_t *self);
//  Hands everything recorded so far to the writer when it is idle (else
//  they wait for the next call). After a failed commit the writer keeps
//  its records: with retry they are written again (new ones after them);
//  without, nothing starts and the failure is returned (diag says why).
int cq_journal_kick(cq_journal_t *self, bool retry, cq_diag_t *diag);
//  *committed: records committed so far (cq_journal_recorded's count).
//  Returns 0, or the failure of the last commit that finished (diag says
//  why), also while a retry is under way.
int cq_journal_status(cq_journal_t *self, uint64_t *committed, cq_diag_t *diag);

//  ---- reading it back ---------------------------------------------------
//  Each callback is called per row or item, in this order: batches (by id),
//  documents (by id), admissions (intake, in admission order, each followed
//  by its claims and references), releases, decisions (in the order
//  decided), 999s, events. Ids have gaps where compaction removed a batch.
//  Strings and blobs are valid during the call only. A nonzero return stops the
//  load and is returned.
typedef struct {
    int (*batch)(void *arg, uint32_t id, const char *batch_id,
                 int64_t created_ms, const char *tenants);
    //  data is NULL for documents whose intake is done (their bytes are not
    //  needed again; cq_journal_doc_data reads them if they are).
    int (*doc)(void *arg, uint32_t id, uint32_t batch, uint32_t pos,
               const char *name, uint32_t first_record, int32_t received_date,
               bool received_set, const uint8_t *digest, const void *data,
               size_t len, size_t size);
    int (*intake)(void *arg, uint32_t doc, uint64_t seq, int32_t status,
                  const char *message, uint32_t n_claims, uint32_t refused_sets,
                  uint32_t refused_claims);
    //  A claim, in id order: first seen as entry idx of document doc, or
    //  archived (a compacted batch's: doc and idx UINT32_MAX, its batch's
    //  id in archived_batch, else NULL).
    int (*claim)(void *arg, uint32_t id, const char *key, uint32_t shard,
                 uint32_t batch, uint32_t doc, uint32_t idx, const void *body,
                 size_t len, const char *archived_batch);
    //  Entry idx of document doc points at an earlier claim.
    int (*ref)(void *arg, uint32_t doc, uint32_t idx, uint32_t claim);
    //  A decision, in the order decided; result: its results row
    //  (UINT32_MAX: archived).
    int (*decision)(void *arg, uint32_t claim, uint64_t seq, uint32_t result,
                    const char *node, const char *ledger_id,
                    uint64_t ledger_seq, int outcome, const void *body,
                    size_t len);
    int (*event)(void *arg, const char *kind, uint32_t target, const char *node,
                 uint32_t attempts, const char *detail, int64_t at_ms);
    //  The 999 of an X12 document (after the decisions, before events).
    int (*ack)(void *arg, uint32_t doc, const void *ack, size_t len);
    //  A release of a pended claim, in the order released (after the
    //  claims and references, before the decisions).
    int (*release)(void *arg, uint32_t claim, uint64_t pend_seq,
                   const char *key, uint32_t shard, const void *body,
                   size_t len);
} cq_journal_loader_t;

//  Reads the journal through the loader (NULL callbacks are skipped).
//  Returns 0, a callback's nonzero result, or CQ_EIO / CQ_EPROTO with diag
//  naming the file and what is wrong.
int cq_journal_load(cq_journal_t *self, const cq_journal_loader_t *l, void *arg,
                    cq_diag_t *diag);

//  ---- compaction (schemas/journal/0002_archive.sql) ---------------------
//  Batch and document ids below these were used (compaction may have
//  removed the newest of them: they are never given again).
void cq_journal_id_floors(cq_journal_t *self, uint32_t *batches,
                          uint32_t *docs);

//  One claim of a finished batch, as the broker holds it.
typedef struct {
    uint32_t cid;
    const char *key;
    uint32_t shard;
    const void *body; // the encoded claim
    size_t body_len;
    uint64_t seq;     // its decision's order
    uint32_t result;  // its decision's results row
    const char *node; // the decision's node, ledger and row
    const char *ledger_id;
    uint64_t ledger_seq;
    int outcome;
    const void *decision; // the encoded decision
    size_t decision_len;
} cq_journal_arch_t;

//  Moves what a restart still needs of a finished batch into the archive
//  (its claims' keys, claims and decisions) and deletes the rest: the
//  batch, its documents, their admissions, the items of its claims in the
//  results rows (a row left empty is deleted), and segment files no
//  document uses any more. One transaction, run only when nothing is
//  buffered (else CQ_EBUSY). Returns 0, or an error with nothing changed.
int cq_journal_compact(cq_journal_t *self, uint32_t batch, const char *batch_id,
                       const uint32_t *docs, size_t n_docs,
                       const cq_journal_arch_t *claims, size_t n_claims,
                       int64_t now_ms, cq_diag_t *diag);

//  A document's bytes, read back (a quarantined document being released
//  after a restart). Returns 0 with *out initialized, or CQ_ENOTFOUND /
//  CQ_EIO.
int cq_journal_doc_data(cq_journal_t *self, uint32_t id, zmq_msg_t *out);

//  The disk's fdatasync rate in DIR (appending 400-byte records for about
//  ms milliseconds to a scratch file that is removed): syncs per second,
//  or a negative cq_err_t. For benchmarks, beside the journal's figures.
double cq_journal_fsync_rate(const char *dir, int ms);

//  ---- replication (peer.c, docs/operations.md "Failover") ---------------
//  The tap sees every record as it is handed to the writer, encoded, in
//  order (kind RECORDS: n records, the first at position first, in
//  cq_journal_recorded's units), and every compaction after it committed
//  (kind COMPACT, at the position of the records that preceded it). It is
//  called in the loop's thread; body is valid during the call only.
enum { CQ_JOURNAL_TAP_RECORDS = 0, CQ_JOURNAL_TAP_COMPACT = 1 };
typedef void(cq_journal_tap_fn)(void *arg, int kind, uint64_t first, uint32_t n,
                                const uint8_t *body, size_t len);
void cq_journal_set_tap(cq_journal_t *self, cq_journal_tap_fn *fn, void *arg);
//  A replica: adds the n records a tap encoded (committed with the others
//  by the next kick or commit). Returns 0, or CQ_EPROTO / CQ_ETOOBIG with
//  nothing added.
int cq_journal_apply(cq_journal_t *self, const uint8_t *p, size_t len,
                     uint32_t n, cq_diag_t *diag);
//  A replica: commits what it holds, then runs the compaction a tap
//  encoded.
int cq_journal_apply_compact(cq_journal_t *self, const uint8_t *p, size_t len,
                             cq_diag_t *diag);
//  Commits what is buffered, then writes a copy of the journal into dir (a
//  new directory): journal.db (VACUUM INTO) and hard links to the segment
//  files. *pos: the records it holds (what the tap gives next starts
//  there).
int cq_journal_snapshot(cq_journal_t *self, const char *dir, uint64_t *pos,
                        cq_diag_t *diag);

#endif
