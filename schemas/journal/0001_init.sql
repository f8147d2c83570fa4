-- 0001_init.sql: the broker's journal (docs/operations.md): DIR/journal.db,
-- SQLite in WAL mode with synchronous=FULL, and DIR/docs-NNNNNN.seg, the
-- documents' bytes. Applied by broker/journal.c inside one transaction and
-- recorded in schema_version.
--
-- The broker writes one transaction per group of records (group commit,
-- in its writer thread) and sends receipts and decisions only after it.
-- Rows are appended, keyed by the broker's own ids (batch, document, claim,
-- result: dense from 0, as the wire protocol shows them), which grow as
-- rows are written, so every insert lands at the right edge of its B-tree.
-- What is written per claim is grouped: one intake row per document holds
-- its claims, one results row per worker RESULT holds its decisions, so a
-- commit costs a few rows, not a few per claim (a row costs far more than
-- its bytes). The lookups the broker needs (claim keys, digests, queues)
-- are kept in memory and rebuilt from these tables when it starts. Rows
-- are deleted only by compaction (0002).
--
-- Bulk bytes are not stored in SQLite pages: documents, a document's
-- claims and a result's decisions are appended to the current segment
-- file (docs-NNNNNN.seg, a new one every 64 MiB), which is fsynced before
-- the transaction that names them commits, so a row always points at
-- bytes on disk (seg, off, len). Written once, they are not copied again
-- into the database at each checkpoint, and a commit's transaction stays
-- a few small rows. Bytes past the last that a segment's rows name (a
-- commit that failed after the append) are cut off when the journal is
-- opened.
--
-- msgpack (schemas/proto.md §1) is the encoding of the blobs below.

-- journal_id, created_at, shards (S, fixed at creation).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per broker start on this journal: epoch is the fencing number
-- that every lease token of that run carries (token >> 40).
CREATE TABLE starts (
    epoch      INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,            -- UTC, ISO 8601
    pid        INTEGER NOT NULL,
    version    TEXT NOT NULL             -- claimq version
);

CREATE TABLE batches (
    id         INTEGER PRIMARY KEY,
    batch_id   TEXT NOT NULL,
    created_ms INTEGER NOT NULL           -- wall clock, ms since 1970
);

-- Documents as received (before the receipt). pos: place in its batch.
-- digest: SHA-256 of batch id, name, first record and bytes (a resubmitted
-- document is recognised by it). Its bytes: seg, off, len.
CREATE TABLE docs (
    id            INTEGER PRIMARY KEY,
    batch         INTEGER NOT NULL,
    pos           INTEGER NOT NULL,
    name          TEXT NOT NULL,
    first_record  INTEGER NOT NULL,
    received_date INTEGER NOT NULL,       -- days since 1970-01-01
    received_ms   INTEGER NOT NULL,
    digest        BLOB NOT NULL,
    seg           INTEGER NOT NULL,
    off           INTEGER NOT NULL,
    len           INTEGER NOT NULL
);

-- A document's intake, once its claims were admitted. seq: the order of
-- admission, which is the order of adjudication. entries (in a segment):
-- one per record of the document, in order, [cid, claim_key, shard, claim] for a claim first
-- seen here (claim: the normalized claim, schemas/proto.md "claim"; patient
-- data, never logged) or [cid] for an entry whose key was already known
-- (it gets that claim's one decision). A document released from quarantine
-- is admitted again: its row is replaced.
CREATE TABLE intake (
    doc      INTEGER PRIMARY KEY,
    seq      INTEGER NOT NULL,
    status   INTEGER NOT NULL,            -- 0, or why it failed (cq_err_t)
    message  TEXT,
    n_claims INTEGER NOT NULL,
    seg      INTEGER NOT NULL,            -- entries: msgpack array
    off      INTEGER NOT NULL,
    len      INTEGER NOT NULL
);

-- Decisions as a worker reported them, one row per RESULT taken: which
-- node, which ledger, under which lease token. items (in a segment): [cid,
-- seq,
-- ledger_seq, outcome, decision] (seq: the order decided, across rows;
-- outcome 0 accept, 1 reject, 2 pend; decision: schemas/proto.md
-- "decision"). A claim has one decision in the whole journal.
CREATE TABLE results (
    id         INTEGER PRIMARY KEY,
    node       TEXT NOT NULL,
    ledger_id  TEXT NOT NULL,
    lease      INTEGER NOT NULL,
    decided_ms INTEGER NOT NULL,
    seg        INTEGER NOT NULL,          -- items: msgpack array
    off        INTEGER NOT NULL,
    len        INTEGER NOT NULL
);

-- Everything else that changes a claim's or a document's course, and the
-- shard map:
--   claim_attempt / doc_attempt   a delivery that failed because of it
--                                 (target: claim / doc id, node, detail:
--                                 why; attempts: its strikes so far)
--   claim_quarantined / doc_quarantined   given up after --max-attempts
--   claim_released / doc_released         `claimq quarantine release`
--   shard                         target: shard, node: its new owner
CREATE TABLE events (
    kind     TEXT NOT NULL,
    target   INTEGER NOT NULL,
    node     TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail   TEXT,
    at_ms    INTEGER NOT NULL
);
