-- 0001_init.sql: a worker node's ledger (DESIGN.md §6), SQLite in WAL mode.
--
-- Every table is append-only and keyed by rowid: the lookups the engine
-- needs (claim keys, duplicate and frequency history, accumulators) are
-- rebuilt in memory when the ledger is opened, so writes never pay for a
-- random-key B-tree insert (shared/notes/limits.md). Applied by
-- common/ledger.c inside one transaction and recorded in schema_version.

-- Which node this ledger belongs to, and when it was created.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Rules versions ("sha256:" + SHA-256 of the plan file) decisions were
-- made under.
CREATE TABLE rules (
    id        INTEGER PRIMARY KEY,
    version   TEXT NOT NULL UNIQUE,
    first_seq INTEGER NOT NULL,       -- first decision made under it
    seen_at   TEXT NOT NULL           -- UTC, ISO 8601
);

-- One row per decision, in decision order. seq is the decision's
-- ledger_seq. hash chains the rows: hash = SHA-256(previous row's hash ||
-- decision), with 32 zero bytes before the first row.
CREATE TABLE decisions (
    seq       INTEGER PRIMARY KEY,
    claim_key TEXT NOT NULL,          -- payer|npi|claim_id|frequency
    keyed     INTEGER NOT NULL,       -- 0: claim without a usable id
    outcome   INTEGER NOT NULL,       -- 0 accept, 1 reject, 2 pend
    original  TEXT,                   -- frequency 7/8: payer|npi|original id
    reverses  INTEGER,                -- seq whose effects it reversed
    rules_id  INTEGER NOT NULL REFERENCES rules (id),
    hash      BLOB NOT NULL,          -- 32 bytes
    decision  TEXT NOT NULL,          -- the decision JSON (FORMATS.md)
    body      BLOB NOT NULL           -- packed decision, for resubmissions
);
CREATE INDEX decisions_reverses ON decisions (reverses)
    WHERE reverses IS NOT NULL;

-- Accepted service lines: the history duplicates and frequency limits
-- look at, and the cost share each added to its member's plan year. The
-- lines of a decision that a later row reverses (decisions.reverses) no
-- longer count.
CREATE TABLE lines (
    id           INTEGER PRIMARY KEY,
    seq          INTEGER NOT NULL,    -- decisions.seq
    line         INTEGER NOT NULL,    -- 1-based line of the claim
    payer        TEXT NOT NULL,
    member       TEXT NOT NULL,
    npi          TEXT NOT NULL,       -- billing provider
    service_date TEXT NOT NULL,       -- YYYY-MM-DD
    procedure    TEXT NOT NULL,
    modifiers    TEXT NOT NULL,       -- "25,59" or ""
    charge       INTEGER NOT NULL,    -- cents
    plan         TEXT NOT NULL,
    plan_year    TEXT NOT NULL,       -- first day of the plan year
    copay        INTEGER NOT NULL,    -- cents (PR-3)
    deductible   INTEGER NOT NULL,    -- cents (PR-1)
    coinsurance  INTEGER NOT NULL     -- cents (PR-2)
);

-- Member accumulators per plan year, as the engine sees them.
CREATE VIEW member_accumulators AS
SELECT payer, member, plan, plan_year,
       SUM(deductible) AS deductible_used,
       SUM(copay + deductible + coinsurance) AS out_of_pocket_used
FROM lines AS l
WHERE NOT EXISTS (SELECT 1 FROM decisions AS d WHERE d.reverses = l.seq)
GROUP BY payer, member, plan, plan_year;
