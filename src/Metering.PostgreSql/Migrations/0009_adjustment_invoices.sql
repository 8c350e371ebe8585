-- Metering schema v9. {schema} is replaced by the configured schema name (quoted).
-- Backfill into closed periods (issue #16), billed as adjustment invoices. An adjustment invoice belongs to the period
-- it adjusts (same subscription_id, period_start) and names the invoice it adjusts in adjusts; it is not the period's
-- live invoice, so the one-live-invoice-per-period index no longer counts it. Adjustments take their number from the
-- same 'invoice' counter row as period closes, under the subscription's row lock.

ALTER TABLE {schema}.invoices ADD COLUMN adjusts text COLLATE "C" NULL;
DROP INDEX {schema}.invoices_live_period;
CREATE UNIQUE INDEX invoices_live_period ON {schema}.invoices (subscription_id, period_start) WHERE replaced_by IS NULL AND adjusts IS NULL;
