-- 0001_init.sql: the broker's journal (DESIGN.md §6), SQLite in WAL mode
-- with synchronous=FULL. Applied by broker/journal.c inside one
-- transaction and recorded in schema_version.
--
-- Rows are appended, keyed by the broker's own ids (batch, document,
-- claim: dense from 0, as the wire protocol shows them, schemas/proto.md),
-- which grow as rows are written, so every insert lands at the right edge
-- of its B-tree (an append, not a random-key insert). The broker writes
-- one transaction per turn of its loop (group commit) and sends receipts
-- and decisions only after it; the lookups it needs (claim keys, document
-- digests, queues) are kept in memory and rebuilt from these tables when
-- it starts. Rows are deleted only by compaction (0002), which moves what
-- a restart still needs of a finished batch into the archive.

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
-- document is recognised by it).
CREATE TABLE docs (
    id            INTEGER PRIMARY KEY,
    batch         INTEGER NOT NULL,
    pos           INTEGER NOT NULL,
    name          TEXT NOT NULL,
    first_record  INTEGER NOT NULL,
    received_date INTEGER NOT NULL,       -- days since 1970-01-01
    received_ms   INTEGER NOT NULL,
    digest        BLOB NOT NULL,
    data          BLOB NOT NULL
);

-- A document's intake, once its claims were admitted. seq is the order of
-- admission, which is the order of adjudication. A document released from
-- quarantine is admitted again: its row is replaced.
CREATE TABLE intake (
    doc      INTEGER PRIMARY KEY,
    seq      INTEGER NOT NULL,
    status   INTEGER NOT NULL,            -- 0, or why it failed (cq_err_t)
    message  TEXT,
    n_claims INTEGER NOT NULL
);
CREATE INDEX intake_seq ON intake (seq);

-- Claims, at admission: key payer|npi|claim_id|frequency, shard, the
-- entry (doc, idx) that first carried it, and the normalized claim
-- (msgpack, schemas/proto.md "claim"). Patient data: never logged.
CREATE TABLE claims (
    id        INTEGER PRIMARY KEY,
    claim_key TEXT NOT NULL,
    shard     INTEGER NOT NULL,
    batch     INTEGER NOT NULL,
    doc       INTEGER NOT NULL,
    idx       INTEGER NOT NULL,
    body      BLOB NOT NULL
);

-- Entries whose claim key was already known: they point at that claim
-- and get its one decision.
CREATE TABLE refs (
    doc   INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    claim INTEGER NOT NULL,
    PRIMARY KEY (doc, idx)
) WITHOUT ROWID;

-- The one decision of a claim (the key says: one), seq the order decided
-- (each shard's history, which its next owner replays): which node, which
-- row of which ledger, under which lease token.
CREATE TABLE decisions (
    claim      INTEGER PRIMARY KEY,
    seq        INTEGER NOT NULL,
    node       TEXT NOT NULL,
    ledger_id  TEXT NOT NULL,
    ledger_seq INTEGER NOT NULL,
    lease      INTEGER NOT NULL,
    outcome    INTEGER NOT NULL,          -- 0 accept, 1 reject, 2 pend
    decided_ms INTEGER NOT NULL,
    body       BLOB NOT NULL              -- msgpack decision (proto.md)
);
CREATE INDEX decisions_seq ON decisions (seq);

-- Everything else that changes a claim's or a document's course, and the
-- shard map:
--   claim_attempt / doc_attempt   a delivery lost (target: claim / doc id,
--                                 node, detail: why; attempts = count)
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
