-- Metering schema, version 8: every customer's invoices by status (IInvoiceService.ListByStatusAsync, e.g. the drafts
-- held for review). An index over the status in the invoice document, so no write path has a column to keep in step.
CREATE INDEX ix_invoices_status ON invoices (json_extract(data, '$.Status'), number);
