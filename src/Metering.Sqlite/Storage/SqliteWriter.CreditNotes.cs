using Metering.Storage;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's credit notes: the note, its invoice, ledger grant and events in one request.</summary>
internal sealed partial class SqliteWriter
{
    public CreditNoteResult? IssueCreditNote(string invoiceId, Func<CreditNoteContext, CreditNoteDecision> decide)
    {
        var current = StoreQueries.LoadInvoice(_connection, invoiceId);
        if (current is null)
        {
            return null;
        }

        var issued = StoreQueries.LoadInvoiceCreditNotes(_connection, invoiceId);
        var decided = StoreChangeRules.DecideCreditNote(new CreditNoteContext(current, issued), decide);
        if (decided.AlreadyIssued)
        {
            return new CreditNoteResult(decided.CreditNote, current);
        }

        return WriteCreditNote(decided);
    }

    /// <summary>
    /// Writes a decided new note (<see cref="StoreChangeRules.DecideCreditNote"/>): checks its id is free, changes the
    /// ledger, numbers it and stores it with its invoice and events. Issuing a note and a backfill's credit both use it.
    /// </summary>
    private CreditNoteResult WriteCreditNote(CreditNoteDecision decided)
    {
        if (StoreQueries.LoadCreditNote(_connection, decided.CreditNote.CreditNoteId) is not null)
        {
            throw StoreChangeRules.CreditNoteIdTaken(decided.CreditNote.CreditNoteId);
        }

        if (decided.LedgerChange is { } ledgerChange)
        {
            var ledger = GetLedger(decided.CreditNote.CustomerId);
            var changed = StoreChangeRules.DecideLedgerChange(ledger, ledgerChange);
            PersistLedger(ledger, changed.Updated);
            AppendEvents(changed.Events);
        }

        // The single writer runs one request at a time, so MAX + 1 inside its transaction is the next gap-free number.
        var number = (long)Sql("SELECT COALESCE(MAX(number), 0) + 1 FROM credit_notes").ExecuteScalar()!;
        var decision = StoreChangeRules.WithCreditNoteNumber(decided, number);
        var note = decision.CreditNote;
        Sql("INSERT INTO credit_notes (credit_note_id, number, invoice_id, customer_id, data) VALUES ($id, $number, $invoice, $customer, $data)", "$id", "$number", "$invoice", "$customer", "$data")
            .With(note.CreditNoteId, number, note.InvoiceId, note.CustomerId, StoreDocuments.Json(note))
            .ExecuteNonQuery();
        Sql("UPDATE invoices SET data = $data WHERE invoice_id = $id", "$data", "$id")
            .With(StoreDocuments.Json(decision.Invoice), note.InvoiceId)
            .ExecuteNonQuery();
        AppendEvents(decision.Events);
        return new CreditNoteResult(note, decision.Invoice);
    }
}
