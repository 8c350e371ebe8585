-- Metering schema v5. {schema} is replaced by the configured schema name (quoted).
-- Credit notes (issue #16). Their numbers are a gap-free sequence of their own: the 'credit_note' counter row is updated
-- in the transaction that inserts the note (after the invoice row is locked FOR UPDATE), so a rollback leaves no gap.
-- The amount credited so far on an invoice is kept in the invoice document (CreditedAmount).

INSERT INTO {schema}.counters (name, value) VALUES ('credit_note', 0);

CREATE TABLE {schema}.credit_notes (
    credit_note_id text COLLATE "C" PRIMARY KEY,
    number         bigint NOT NULL UNIQUE,
    invoice_id     text COLLATE "C" NOT NULL REFERENCES {schema}.invoices (invoice_id),
    customer_id    text COLLATE "C" NOT NULL,
    doc            jsonb NOT NULL
);
CREATE INDEX credit_notes_by_customer ON {schema}.credit_notes (customer_id, number DESC);
CREATE INDEX credit_notes_by_invoice ON {schema}.credit_notes (invoice_id, number);
