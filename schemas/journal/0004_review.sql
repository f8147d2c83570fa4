-- 0004_review.sql: the review queue (issue 12). A pended claim waits for a
-- person; the queue itself is the claims whose current decision is a pend
-- (nothing to store). What is stored is each release: the claim as the
-- reviewer left it (encoded, with the pend it supersedes, the reviewer and
-- the changes in it), its key and shard (a corrected member id or claim id
-- may change them), and which pend decision (results order, `seq`) it
-- supersedes. At start a release whose pend is still the claim's current
-- decision is queued again for its shard's owner.
CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    claim INTEGER NOT NULL,
    pend_seq INTEGER NOT NULL,
    claim_key TEXT NOT NULL,
    shard INTEGER NOT NULL,
    reviewer TEXT NOT NULL,
    action INTEGER NOT NULL,
    released_ms INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX releases_claim ON releases (claim);
