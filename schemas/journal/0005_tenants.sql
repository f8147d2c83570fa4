-- 0005_tenants.sql: who owns a batch (issue 13). With CURVE, the payer ids
-- of the client key that created the batch ("P1,P2", "*" for an admin key);
-- '' for a batch created by a plain client (admin keys only then see it).
-- A client key sees a batch only when every payer of the batch is one of
-- its own.
ALTER TABLE batches ADD COLUMN tenants TEXT NOT NULL DEFAULT '';
