-- Metering schema v8. {schema} is replaced by the configured schema name (quoted).
-- Every customer's invoices by status (IInvoiceService.ListByStatusAsync, e.g. the drafts held for review): an index
-- over the status in the invoice document, so no write path has a column to keep in step.
CREATE INDEX invoices_by_status ON {schema}.invoices ((doc->>'Status'), number);
