-- Metering schema, version 5: credit notes (issue #16). Numbers are their own gap-free sequence: the single writer
-- takes MAX(number) + 1 in the transaction that inserts the note, so a rolled-back note leaves no gap. The amount
-- credited so far on an invoice is kept in the invoice document (CreditedAmount).

CREATE TABLE credit_notes (
    credit_note_id  TEXT NOT NULL PRIMARY KEY,
    number          INTEGER NOT NULL UNIQUE,
    invoice_id      TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX ix_credit_notes_customer ON credit_notes (customer_id, number);
CREATE INDEX ix_credit_notes_invoice ON credit_notes (invoice_id, number);
