using System.Globalization;

namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    // Credit notes by id, and their ids per customer in number order; numbers come from their own counter.
    private readonly Dictionary<string, CreditNote> _creditNotes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _creditNotesByCustomer = new(StringComparer.Ordinal);
    private long _lastCreditNoteNumber;

    /// <inheritdoc/>
    public ValueTask<CreditNoteResult?> IssueCreditNoteAsync(string invoiceId, Func<CreditNoteContext, CreditNoteDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_invoices.TryGetValue(invoiceId, out var current))
            {
                return new((CreditNoteResult?)null);
            }

            var issued = NotesOf(current.CustomerId).Where(n => string.Equals(n.InvoiceId, invoiceId, StringComparison.Ordinal)).ToList();
            var decided = DecideCreditNote(current, issued, decide);
            if (decided.AlreadyIssued)
            {
                return new(new CreditNoteResult(decided.CreditNote, current));
            }

            // Everything that can throw runs before the first write, so a refused ledger change leaves no trace.
            LedgerChange? ledger = decided.LedgerChange is { } ledgerChange
                ? StoreChangeRules.DecideLedgerChange(LedgerOf(current.CustomerId), ledgerChange)
                : null;
            return new(WriteCreditNote(decided, ledger));
        }
    }

    // Runs and checks a credit note decision on a stored invoice and its notes; a new note's id must be free (the caller holds the gate).
    private CreditNoteDecision DecideCreditNote(Invoice current, IReadOnlyList<CreditNote> issued, Func<CreditNoteContext, CreditNoteDecision> decide)
    {
        var decided = StoreChangeRules.DecideCreditNote(new CreditNoteContext(current, issued), decide);
        if (!decided.AlreadyIssued && _creditNotes.ContainsKey(decided.CreditNote.CreditNoteId))
        {
            throw StoreChangeRules.CreditNoteIdTaken(decided.CreditNote.CreditNoteId);
        }

        return decided;
    }

    // Numbers and writes a decided note, its invoice, its ledger change and events (the caller holds the gate and decided everything first).
    private CreditNoteResult WriteCreditNote(CreditNoteDecision decided, LedgerChange? ledger)
    {
        var decision = StoreChangeRules.WithCreditNoteNumber(decided, ++_lastCreditNoteNumber);
        var note = decision.CreditNote;
        _creditNotes.Add(note.CreditNoteId, note);
        if (!_creditNotesByCustomer.TryGetValue(note.CustomerId, out var customerNotes))
        {
            _creditNotesByCustomer[note.CustomerId] = customerNotes = [];
        }

        customerNotes.Add(note.CreditNoteId);
        _invoices[note.InvoiceId] = decision.Invoice;
        if (ledger is not null)
        {
            _ledgers[note.CustomerId] = ledger.Updated;
            AppendEvents(ledger.Events);
        }

        AppendEvents(decision.Events);
        return new CreditNoteResult(note, decision.Invoice);
    }

    /// <inheritdoc/>
    public ValueTask<CreditNote?> FindCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_creditNotes.GetValueOrDefault(creditNoteId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? invoiceId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            var before = PageCursor.Decode(cursor, long.MaxValue);
            var notes = NotesOf(customerId)
                .Where(n => n.Number < before && (invoiceId is null || string.Equals(n.InvoiceId, invoiceId, StringComparison.Ordinal)))
                .OrderByDescending(n => n.Number)
                .Take(limit + 1)
                .ToList();
            return new(PageOf(notes, limit, n => n.Number.ToString(CultureInfo.InvariantCulture)));
        }
    }

    // A customer's notes, oldest first (the caller holds the gate).
    private IEnumerable<CreditNote> NotesOf(string customerId) =>
        (_creditNotesByCustomer.GetValueOrDefault(customerId) ?? []).Select(id => _creditNotes[id]);
}
