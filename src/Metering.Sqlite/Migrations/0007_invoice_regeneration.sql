-- Metering schema, version 7: void and regenerate (issue #16). A period can now have several invoices: the voided ones
-- that were replaced (replaced_by names the replacement) and one live invoice. The UNIQUE (subscription_id,
-- period_start) of version 1 becomes a unique index over live invoices only, so a period never has two live invoices.
-- SQLite cannot drop a table constraint, so the table is rebuilt (credit_notes has no foreign key to it).

CREATE TABLE invoices_v7 (
    invoice_id       TEXT NOT NULL PRIMARY KEY,
    number           INTEGER NOT NULL UNIQUE,
    subscription_id  TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    period_start     INTEGER NOT NULL,
    data             TEXT NOT NULL,
    replaced_by      TEXT NULL
);
INSERT INTO invoices_v7 (invoice_id, number, subscription_id, customer_id, period_start, data, replaced_by)
    SELECT invoice_id, number, subscription_id, customer_id, period_start, data, NULL FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_v7 RENAME TO invoices;
CREATE INDEX ix_invoices_customer ON invoices (customer_id, number);
CREATE UNIQUE INDEX ux_invoices_live_period ON invoices (subscription_id, period_start) WHERE replaced_by IS NULL;
CREATE INDEX ix_invoices_period ON invoices (subscription_id, period_start);
