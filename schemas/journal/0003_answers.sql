-- 0003_answers.sql: what the submitter is told about its documents
-- (issue 9): X12 transaction sets refused at intake and the 999 of every X12
-- document, the received date a submitter set, and sealed batches (an
-- event 'batch_sealed', target: the batch; no table needed).

-- Transaction sets refused at intake (envelope or syntax errors) and the
-- claims in them, per document.
ALTER TABLE intake ADD COLUMN refused_sets INTEGER NOT NULL DEFAULT 0;
ALTER TABLE intake ADD COLUMN refused_claims INTEGER NOT NULL DEFAULT 0;

-- A document's received date came from its submitter (`claimq submit
-- --received-date`, a back-dated batch or a replay), not from the day the
-- broker first journaled it.
ALTER TABLE docs ADD COLUMN received_set INTEGER NOT NULL DEFAULT 0;

-- The 999 acknowledgment of an X12 document's interchanges (bytes in a
-- segment, as for documents).
CREATE TABLE acks (
    doc INTEGER PRIMARY KEY,
    seg INTEGER NOT NULL,
    off INTEGER NOT NULL,
    len INTEGER NOT NULL
);
