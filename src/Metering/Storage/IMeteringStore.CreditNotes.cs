namespace Metering.Storage;

public partial interface IMeteringStore
{
    /// <summary>
    /// Issues a credit note in one transaction: locks the invoice, loads the notes already issued on it, runs
    /// <paramref name="decide"/> (pure: checks the amount against what is still creditable, builds the note, the invoice
    /// with its new <see cref="Invoice.CreditedAmount"/> and the events), numbers the note with the next credit note
    /// number (<see cref="StoreChangeRules.WithCreditNoteNumber"/>), and stores the note, the invoice and the events;
    /// when the decision has a <see cref="CreditNoteDecision.LedgerChange"/>, the customer's ledger is locked, changed
    /// and written in the same transaction. When <paramref name="decide"/> throws nothing is stored and no number is
    /// used. Concurrent notes on one invoice run one after another, so together they never exceed it.
    /// Stores decide with <see cref="StoreChangeRules.DecideCreditNote"/>.
    /// </summary>
    /// <param name="invoiceId">The invoice credited.</param>
    /// <param name="decide">The pure credit note decision.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored note and invoice, or null when there is no such invoice.</returns>
    /// <exception cref="MeteringException">The decided note's id is already used by a note of another invoice (<see cref="MeteringErrorCode.AlreadyExists"/>).</exception>
    ValueTask<CreditNoteResult?> IssueCreditNoteAsync(string invoiceId, Func<CreditNoteContext, CreditNoteDecision> decide, CancellationToken cancellationToken);

    /// <summary>A credit note by id.</summary>
    ValueTask<CreditNote?> FindCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken);

    /// <summary>
    /// A customer's credit notes, or only those of one of its invoices when <paramref name="invoiceId"/> is set, newest
    /// number first, paginated by an opaque cursor.
    /// </summary>
    ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? invoiceId, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <summary>What a store hands the credit note decision: the locked invoice and the notes issued on it so far.</summary>
/// <param name="Invoice">The invoice as stored (locked).</param>
/// <param name="Issued">The notes already issued on it, oldest first.</param>
public sealed record CreditNoteContext(Invoice Invoice, IReadOnlyList<CreditNote> Issued);

/// <summary>What the runtime decided for a credit note; the store persists all of it at once.</summary>
/// <param name="Invoice">The invoice after the note (its <see cref="Invoice.CreditedAmount"/> raised by the note's amount).</param>
/// <param name="CreditNote">The note; the store assigns <see cref="CreditNote.Number"/> with <see cref="StoreChangeRules.WithCreditNoteNumber"/>.</param>
/// <param name="Events">Events to store with it.</param>
public sealed record CreditNoteDecision(Invoice Invoice, CreditNote CreditNote, IReadOnlyList<BillingEvent> Events)
{
    /// <summary>A change of the invoice customer's credit ledger made with the note (the grant of a customer-balance note), or null.</summary>
    public Func<CreditLedger, LedgerChange>? LedgerChange { get; init; }

    /// <summary>
    /// True when <see cref="CreditNote"/> is a note already issued on the invoice (a retried request with the same id):
    /// the store writes nothing and returns it with the stored invoice.
    /// </summary>
    public bool AlreadyIssued { get; init; }
}

/// <summary>The result of <see cref="IMeteringStore.IssueCreditNoteAsync"/>.</summary>
/// <param name="CreditNote">The stored note, with its number.</param>
/// <param name="Invoice">The invoice after the note.</param>
public sealed record CreditNoteResult(CreditNote CreditNote, Invoice Invoice);
