-- 0002_archive.sql: compaction (claimq-broker --retain-days).
--
-- A batch whose documents are all through intake and whose claims are all
-- decided, older than the retention, leaves the hot tables: its batch,
-- documents, admissions (with its claims and references) and its claims'
-- items in the results rows are deleted (segment files no document names
-- any more go too), and what a restart still needs of each of its claims
-- moves here in one row: the key (a resubmission is still
-- recognised and answered with the decision made then) and the claim and
-- its decision (the shard's history, from which a shard's next owner
-- rebuilds member accumulators and duplicate history). `claimq status` of
-- a compacted batch answers "not found"; `claimq ledger reconcile` reads
-- the archive like the decisions table.
CREATE TABLE archive (
    claim      INTEGER PRIMARY KEY,       -- the claim's id (kept: history)
    seq        INTEGER NOT NULL,          -- its decision's order
    claim_key  TEXT NOT NULL,
    shard      INTEGER NOT NULL,
    batch_id   TEXT NOT NULL,             -- the batch it came in (audit)
    body       BLOB NOT NULL,             -- the claim (msgpack)
    node       TEXT NOT NULL,
    ledger_id  TEXT NOT NULL,
    ledger_seq INTEGER NOT NULL,
    lease      INTEGER NOT NULL,
    outcome    INTEGER NOT NULL,
    decided_ms INTEGER NOT NULL,
    decision   BLOB NOT NULL              -- the decision (msgpack)
);
CREATE INDEX archive_seq ON archive (seq);

-- Batches compacted, and when.
CREATE TABLE compacted (
    batch     INTEGER PRIMARY KEY,
    batch_id  TEXT NOT NULL,
    claims    INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL
);
