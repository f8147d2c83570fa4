//  journal.h: the broker's journal (DESIGN.md §6): an SQLite file in WAL
//  mode, synchronous=FULL, DIR/journal.db, schema in schemas/journal/.
//
//  The broker adds records as things happen during a turn of its loop;
//  they are buffered (copied) here and written in one transaction by
//  cq_journal_commit (group commit: one fsync per turn). Nothing is
//  written before: a commit that fails (disk full, read-only, I/O error)
//  rolls back and keeps every record buffered, and the next commit tries
//  them all again, so the journal never holds half a turn and loses no
//  record the broker made. Every table is append-only (rowid order is the
//  order of events); the broker keeps the lookups in memory and rebuilds
//  them at start with cq_journal_load.
#ifndef CQ_JOURNAL_H
#define CQ_JOURNAL_H

#include "err.h"

#include <zmq.h>

typedef struct cq_journal cq_journal_t;

//  Opens DIR/journal.db (creating DIR with mode 0700 and the file, then
//  migrating), and records a new start: the epoch. shards: S for a new
//  journal (an existing one keeps its own). Returns NULL and fills diag
//  naming the file when it cannot be opened, is not a journal, is corrupt
//  (quick check) or is newer than this program (the caller exits 3).
cq_journal_t *cq_journal_open(const char *dir, uint32_t shards,
                              cq_diag_t *diag);
void cq_journal_close(cq_journal_t **self_p);

//  The path of the journal file.
const char *cq_journal_path(const cq_journal_t *self);
//  This start's number (1 for a new journal).
uint64_t cq_journal_epoch(const cq_journal_t *self);
//  S, fixed when the journal was created.
uint32_t cq_journal_shards(const cq_journal_t *self);

//  ---- records (buffered until cq_journal_commit) ------------------------
void cq_journal_batch(cq_journal_t *self, uint32_t id, const char *batch_id,
                      int64_t created_ms);
void cq_journal_doc(cq_journal_t *self, uint32_t id, uint32_t batch,
                    uint32_t pos, const char *name, uint32_t first_record,
                    int32_t received_date, int64_t received_ms,
                    const uint8_t digest[32], const void *data, size_t len);
//  seq: the order of admission (a counter the broker keeps).
void cq_journal_intake(cq_journal_t *self, uint32_t doc, uint64_t seq,
                       int32_t status, const char *message, uint32_t n_claims);
void cq_journal_claim(cq_journal_t *self, uint32_t id, const char *key,
                      uint32_t shard, uint32_t batch, uint32_t doc,
                      uint32_t idx, const void *body, size_t len);
void cq_journal_ref(cq_journal_t *self, uint32_t doc, uint32_t idx,
                    uint32_t claim);
//  seq: the order of decisions (a counter the broker keeps).
void cq_journal_decision(cq_journal_t *self, uint32_t claim, uint64_t seq,
                         const char *node, const char *ledger_id,
                         uint64_t ledger_seq, uint64_t lease, int outcome,
                         int64_t decided_ms, const void *body, size_t len);
//  kind: see schemas/journal/0001_init.sql (events). node, detail: NULL ok.
void cq_journal_event(cq_journal_t *self, const char *kind, uint32_t target,
                      const char *node, uint32_t attempts, const char *detail,
                      int64_t at_ms);

//  Records buffered and not yet committed.
size_t cq_journal_pending(const cq_journal_t *self);

//  Writes every buffered record in one transaction. Returns 0 (the buffer
//  is empty), or CQ_ENOSPC (disk full or read-only), CQ_EIO, CQ_EBUSY with
//  diag saying why; the records stay buffered for the next attempt.
int cq_journal_commit(cq_journal_t *self, cq_diag_t *diag);

//  Commit latency of the last successful commit, microseconds.
uint64_t cq_journal_last_commit_us(const cq_journal_t *self);

//  ---- reading it back at start ------------------------------------------
//  Each callback is called per row, tables in this order: batches, docs,
//  intake, claims, refs, decisions, events; rows in the order each says.
//  Ids may have gaps where compaction removed a batch. Strings
//  and blobs are valid during the call only. A nonzero return stops the
//  load and is returned.
typedef struct {
    int (*batch)(void *arg, uint32_t id, const char *batch_id,
                 int64_t created_ms);
    //  data is NULL for documents whose intake is done (their bytes are
    //  not needed again).
    int (*doc)(void *arg, uint32_t id, uint32_t batch, uint32_t pos,
               const char *name, uint32_t first_record, int32_t received_date,
               const uint8_t *digest, const void *data, size_t len,
               size_t size);
    //  in admission order (seq)
    int (*intake)(void *arg, uint32_t doc, uint64_t seq, int32_t status,
                  const char *message, uint32_t n_claims);
    //  in id order; archived claims (compacted batches) have batch, doc and
    //  idx UINT32_MAX and their batch's id in archived_batch (else NULL)
    int (*claim)(void *arg, uint32_t id, const char *key, uint32_t shard,
                 uint32_t batch, uint32_t doc, uint32_t idx, const void *body,
                 size_t len, const char *archived_batch);
    int (*ref)(void *arg, uint32_t doc, uint32_t idx, uint32_t claim);
    //  in decision order (seq), archived ones included
    int (*decision)(void *arg, uint32_t claim, uint64_t seq, const char *node,
                    const char *ledger_id, uint64_t ledger_seq, int outcome,
                    const void *body, size_t len);
    int (*event)(void *arg, const char *kind, uint32_t target, const char *node,
                 uint32_t attempts, const char *detail, int64_t at_ms);
} cq_journal_loader_t;

//  Reads the journal through the loader. Returns 0, a callback's nonzero
//  result, or CQ_EIO / CQ_EPROTO with diag naming the file and table.
int cq_journal_load(cq_journal_t *self, const cq_journal_loader_t *l,
                    void *arg, cq_diag_t *diag);

//  Compaction (schemas/journal/0002_archive.sql): moves what a restart
//  still needs of a finished batch (its claims' keys, claims and
//  decisions) into the archive and deletes the rest of it: the batch, its
//  documents (bytes included), their intake rows and references, its
//  claims and decisions. claims: the claims whose first batch it is (all
//  decided); docs: its documents. One transaction, run only when nothing
//  is buffered (else CQ_EBUSY). Returns 0, or an error with nothing
//  changed.
int cq_journal_compact(cq_journal_t *self, uint32_t batch,
                       const char *batch_id, const uint32_t *docs,
                       size_t n_docs, const uint32_t *claims, size_t n_claims,
                       int64_t now_ms, cq_diag_t *diag);

//  A document's bytes, read back (a quarantined document being released
//  after a restart). Returns 0 with *out initialized, or CQ_ENOTFOUND /
//  CQ_EIO.
int cq_journal_doc_data(cq_journal_t *self, uint32_t id, zmq_msg_t *out);

//  The disk's fdatasync rate in DIR (appending 400-byte records for about
//  ms milliseconds to a scratch file that is removed): syncs per second,
//  or a negative cq_err_t. For benchmarks, beside the journal's figures.
double cq_journal_fsync_rate(const char *dir, int ms);

#endif
