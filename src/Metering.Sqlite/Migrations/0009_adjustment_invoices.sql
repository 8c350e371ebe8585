-- Metering schema, version 9: backfill into closed periods (issue #16), billed as adjustment invoices. An adjustment
-- invoice belongs to the period it adjusts (same subscription_id, period_start) and names the invoice it adjusts in
-- adjusts; it is not the period's live invoice, so the one-live-invoice-per-period index no longer counts it.

ALTER TABLE invoices ADD COLUMN adjusts TEXT NULL;
DROP INDEX ux_invoices_live_period;
CREATE UNIQUE INDEX ux_invoices_live_period ON invoices (subscription_id, period_start) WHERE replaced_by IS NULL AND adjusts IS NULL;
