-- 0001_init.sql: a worker node's ledger (docs/operations.md), SQLite in WAL mode.
--
-- One append-only row per decision, keyed by rowid: the lookups the engine
-- needs (claim keys, duplicate and frequency history, accumulators) are
-- rebuilt in memory when the ledger is opened, so writes never pay for a
-- random-key B-tree insert or a second row per service line
-- (measured 4-10x faster). The views below give auditors the line history
-- and the accumulators as tables. Applied by common/ledger.c inside one
-- transaction and recorded in schema_version.

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

-- One row per decision, in decision order; seq is its ledger_seq. body is
-- the decision, packed (common/state.c, cq_decision_pack); its canonical
-- JSON (docs/formats.md "Decision", cq_decision_to_json, with this seq and the
-- rules version of rules_id) is the line the node wrote out. hash chains
-- the rows: hash = SHA-256(previous row's hash || that JSON), with 32 zero
-- bytes before the first row. The JSON is not stored twice: it is made
-- again from body to check the chain (cq_ledger_verify, cq_ledger_each).
--
-- history holds the claim's accepted service lines (what duplicates and
-- frequency limits look at, and what each added to the member's plan
-- year), a JSON array with one array per line:
--   [line, service_date, procedure, modifiers, charge, plan, plan_year,
--    copay, deductible, coinsurance]
-- (money in cents; modifiers "25,59"). A later row whose reverses names
-- this seq (a void or an accepted replacement) takes them out again.
CREATE TABLE decisions (
    seq       INTEGER PRIMARY KEY,
    claim_key TEXT NOT NULL,          -- payer|npi|claim_id|frequency
    keyed     INTEGER NOT NULL,       -- 0: claim without a usable id
    outcome   INTEGER NOT NULL,       -- 0 accept, 1 reject, 2 pend
    original  TEXT,                   -- frequency 7/8: payer|npi|original id
    reverses  INTEGER,                -- seq whose effects it reversed
    rules_id  INTEGER NOT NULL REFERENCES rules (id),
    member    TEXT,                   -- member id (with history)
    history   TEXT,                   -- accepted lines (above), or NULL
        hash      BLOB NOT NULL,          -- 32 bytes
    body      BLOB NOT NULL           -- the packed decision
);
CREATE INDEX decisions_reverses ON decisions (reverses)
    WHERE reverses IS NOT NULL;

-- The line history as a table.
CREATE VIEW lines AS
SELECT d.seq AS seq,
       j.value ->> 0 AS line,
       substr(d.claim_key, 1, instr(d.claim_key, '|') - 1) AS payer,
       d.member AS member,
       substr(substr(d.claim_key, instr(d.claim_key, '|') + 1), 1,
              instr(substr(d.claim_key, instr(d.claim_key, '|') + 1), '|')
                  - 1) AS npi,
       j.value ->> 1 AS service_date,
       j.value ->> 2 AS procedure,
       j.value ->> 3 AS modifiers,
       j.value ->> 4 AS charge,
       j.value ->> 5 AS plan,
       j.value ->> 6 AS plan_year,
       j.value ->> 7 AS copay,
       j.value ->> 8 AS deductible,
       j.value ->> 9 AS coinsurance,
       NOT EXISTS (SELECT 1 FROM decisions AS r WHERE r.reverses = d.seq)
           AS in_effect
FROM decisions AS d, json_each(d.history) AS j
WHERE d.history IS NOT NULL;

-- Member accumulators per plan year, as the engine sees them.
CREATE VIEW member_accumulators AS
SELECT payer, member, plan, plan_year,
       SUM(deductible) AS deductible_used,
       SUM(copay + deductible + coinsurance) AS out_of_pocket_used
FROM lines
WHERE in_effect
GROUP BY payer, member, plan, plan_year;
