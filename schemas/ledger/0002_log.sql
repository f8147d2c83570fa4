-- 0002_log.sql: the ledger as an append-only log (issue 8;
-- docs/architecture.md, "Guarantees" and "Durability"). Applied by common/ledger.c inside one transaction, like 0001.
--
-- A worker keeps member state in memory, one state per session with the
-- broker, rebuilt from the broker's journal; its ledger is the
-- hash-chained log of the decisions it made (cq_ledger_open_log). A row a
-- node wrote under a lease it lost (it died before reporting, or the
-- broker refused its result) is an orphan. Rows are never updated: an
-- orphan is marked by appending a marker row that names it, so the hash
-- chain stays intact. Orphans and markers never count as decisions (the
-- views below leave them out).
--
-- decisions.kind       0 a decision, 1 an orphan marker
-- decisions.orphan_of  kind 1: the seq of the decision row it marks (an
--                      earlier kind 0 row; each is marked at most once)
--
-- A marker row shares the seq numbering and the hash chain with the
-- decisions. Its claim_key, outcome, rules_id and member are the orphan's
-- (for audits); keyed 0; original, reverses and history NULL; body is an
-- empty blob. Its hashed text, the marker's canonical form, is this JSON
-- object, without spaces or newline:
--   {"orphan_of":17,"claim_key":"PAYER|1234567893|CLM-1|1"}
-- (orphan_of in decimal, claim_key as a JSON string escaped as in the
-- decision JSON), and hash = SHA-256(previous row's hash || that text), as
-- for a decision row. cq_ledger_verify makes the text again from the
-- orphan_of and claim_key columns.
--
-- decisions.member is now written for every decision (the claim's member
-- id, '' when the claim names none), not only with history; rows written
-- before this migration keep NULL there when they have no history.
--
-- meta rows added:
--   ledger_id     32 random hex digits, made here (for a new ledger and
--                 for one made before this migration): the broker's
--                 journal names a ledger by it
--   resolved_seq  every row with seq <= it is known to be in the broker's
--                 journal or is marked orphan (or is a marker); '0' at first
--   last_check    UTC time of the last test write (cq_ledger_recover)

ALTER TABLE decisions ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
ALTER TABLE decisions ADD COLUMN orphan_of INTEGER;
CREATE UNIQUE INDEX decisions_orphan_of ON decisions (orphan_of)
    WHERE orphan_of IS NOT NULL;

INSERT OR IGNORE INTO meta VALUES ('ledger_id', lower(hex(randomblob(16))));
INSERT OR IGNORE INTO meta VALUES ('resolved_seq', '0');

DROP VIEW member_accumulators;
DROP VIEW lines;

-- The decisions that count: decision rows (kind 0) that no marker names.
CREATE VIEW effective_decisions AS
SELECT d.seq, d.claim_key, d.keyed, d.outcome, d.original, d.reverses,
       d.rules_id, d.member, d.history, d.hash, d.body
FROM decisions AS d
WHERE d.kind = 0
  AND NOT EXISTS (SELECT 1 FROM decisions AS m WHERE m.orphan_of = d.seq);

-- The orphans: seq of the orphaned decision, seq of the marker naming it.
CREATE VIEW orphans AS
SELECT orphan_of AS seq, seq AS marker_seq, claim_key
FROM decisions
WHERE kind = 1;

-- The line history as a table (as in 0001, over the decisions that count:
-- an orphaned void or replacement reverses nothing either).
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
       NOT EXISTS (SELECT 1 FROM effective_decisions AS r
                   WHERE r.reverses = d.seq) AS in_effect
FROM effective_decisions AS d, json_each(d.history) AS j
WHERE d.history IS NOT NULL;

-- Member accumulators per plan year, as the engine sees them.
CREATE VIEW member_accumulators AS
SELECT payer, member, plan, plan_year,
       SUM(deductible) AS deductible_used,
       SUM(copay + deductible + coinsurance) AS out_of_pocket_used
FROM lines
WHERE in_effect
GROUP BY payer, member, plan, plan_year;
