-- Metering schema v7. {schema} is replaced by the configured schema name (quoted).
-- Void and regenerate (issue #16). A period can now have several invoices: the voided ones that were replaced
-- (replaced_by names the replacement) and one live invoice. The UNIQUE (subscription_id, period_start) of version 1
-- becomes a unique index over live invoices only, so a period never has two live invoices. Replacements take their
-- number from the same 'invoice' counter row as period closes, in the transaction that voids the original.

ALTER TABLE {schema}.invoices ADD COLUMN replaced_by text COLLATE "C" NULL;
ALTER TABLE {schema}.invoices DROP CONSTRAINT invoices_subscription_id_period_start_key;
CREATE UNIQUE INDEX invoices_live_period ON {schema}.invoices (subscription_id, period_start) WHERE replaced_by IS NULL;
CREATE INDEX invoices_by_period ON {schema}.invoices (subscription_id, period_start);
