namespace Metering;

/// <summary>
/// A credit note: a document that credits part or all of a finalized or paid <see cref="Invoice"/>, without voiding it
/// (Stripe and Lago credit notes). The notes of one invoice never add up to more than its total. Immutable.
/// </summary>
public sealed record CreditNote
{
    /// <summary>Unique id.</summary>
    public required string CreditNoteId { get; init; }

    /// <summary>Sequential number, unique and gap-free per store (1, 2, 3, ...), a sequence of its own apart from invoice numbers.</summary>
    public required long Number { get; init; }

    /// <summary>The invoice credited.</summary>
    public required string InvoiceId { get; init; }

    /// <summary>That invoice's number.</summary>
    public required long InvoiceNumber { get; init; }

    /// <summary>The customer of the invoice.</summary>
    public required string CustomerId { get; init; }

    /// <summary>The subscription the invoice bills.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>The amount credited, positive, in the invoice currency: the sum of <see cref="Lines"/> when there are lines.</summary>
    public required Money Amount { get; init; }

    /// <summary>The invoice lines credited, when the note credits chosen lines; empty for a whole-invoice or plain-amount note.</summary>
    public required IReadOnlyList<CreditNoteLine> Lines { get; init; }

    /// <summary>Why it was issued.</summary>
    public required CreditNoteReason Reason { get; init; }

    /// <summary>Free text for the customer or the books (e.g. what <see cref="CreditNoteReason.Other"/> stands for); null when none.</summary>
    public string? Memo { get; init; }

    /// <summary>A refund to make, or a credit to the customer's balance.</summary>
    public required CreditNoteOutcome Outcome { get; init; }

    /// <summary>
    /// The credit grant made on the customer's balance for outcome <see cref="CreditNoteOutcome.CustomerBalance"/>
    /// (category <see cref="CreditCategory.Paid"/>, in the invoice currency); null for a refund.
    /// </summary>
    public string? GrantId { get; init; }

    /// <summary>When it was issued.</summary>
    public required Instant CreatedAt { get; init; }

    /// <summary>The currency of the note (the invoice currency).</summary>
    public Currency Currency => Amount.Currency;

    /// <summary>Equal in every member; lines compare element by element.</summary>
    public bool Equals(CreditNote? other) =>
        other is not null
        && string.Equals(CreditNoteId, other.CreditNoteId, StringComparison.Ordinal)
        && Number == other.Number
        && string.Equals(InvoiceId, other.InvoiceId, StringComparison.Ordinal)
        && InvoiceNumber == other.InvoiceNumber
        && string.Equals(CustomerId, other.CustomerId, StringComparison.Ordinal)
        && string.Equals(SubscriptionId, other.SubscriptionId, StringComparison.Ordinal)
        && Amount == other.Amount
        && Lines.SequenceEqual(other.Lines)
        && Reason == other.Reason
        && string.Equals(Memo, other.Memo, StringComparison.Ordinal)
        && Outcome == other.Outcome
        && string.Equals(GrantId, other.GrantId, StringComparison.Ordinal)
        && CreatedAt == other.CreatedAt;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(CreditNoteId, Number, InvoiceId, Amount);
}

/// <summary>One invoice line credited by a <see cref="CreditNote"/>.</summary>
/// <param name="InvoiceLineIndex">The position of the line in the invoice's <see cref="CalculatedInvoice.Lines"/> (0-based).</param>
/// <param name="Description">The line's description, as on the invoice.</param>
/// <param name="Amount">The amount credited on that line (positive, at most the line's amount over all notes).</param>
public sealed record CreditNoteLine(int InvoiceLineIndex, string Description, Money Amount);

/// <summary>
/// What to credit on an invoice (<see cref="IInvoiceService.IssueCreditNoteAsync"/>): the whole invoice (neither
/// <see cref="Amount"/> nor <see cref="Lines"/>), chosen lines (<see cref="Lines"/>), or a plain amount (<see cref="Amount"/>).
/// </summary>
public sealed record CreditNoteRequest
{
    /// <summary>The invoice to credit (Finalized or Paid).</summary>
    public required string InvoiceId { get; init; }

    /// <summary>A refund to make (a Paid invoice only), or a credit to the customer's balance.</summary>
    public required CreditNoteOutcome Outcome { get; init; }

    /// <summary>Why.</summary>
    public CreditNoteReason Reason { get; init; } = CreditNoteReason.Other;

    /// <summary>Free text kept with the note; optional.</summary>
    public string? Memo { get; init; }

    /// <summary>A plain amount to credit, in the invoice currency and its minor units; null for a whole-invoice or lines note.</summary>
    public Money? Amount { get; init; }

    /// <summary>Invoice lines to credit; null (or empty) for a whole-invoice or plain-amount note.</summary>
    public IReadOnlyList<CreditNoteLineRequest>? Lines { get; init; }

    /// <summary>
    /// The note's id, to make the call safe to retry: issuing again with an id already issued on the invoice returns that
    /// note and changes nothing. Null for a new random id.
    /// </summary>
    public string? CreditNoteId { get; init; }
}

/// <summary>An invoice line to credit.</summary>
/// <param name="InvoiceLineIndex">The position of the line in the invoice's <see cref="CalculatedInvoice.Lines"/> (0-based); not a credit line.</param>
/// <param name="Amount">The amount to credit on it; null for all that the line still has creditable.</param>
public sealed record CreditNoteLineRequest(int InvoiceLineIndex, Money? Amount = null);

/// <summary>
/// Thrown when a credit note would take what is credited on an invoice (or one of its lines) past its amount: the notes
/// of an invoice never exceed it. The message names what is still creditable.
/// </summary>
public sealed class CreditNoteExceedsInvoiceException : MeteringException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="invoiceId">The invoice.</param>
    /// <param name="invoiceNumber">Its number.</param>
    /// <param name="requested">The amount asked for.</param>
    /// <param name="creditable">What is still creditable on the invoice or the line.</param>
    /// <param name="lineIndex">The invoice line, when a line's amount is exceeded; null for the invoice.</param>
    /// <param name="lineDescription">That line's description.</param>
    public CreditNoteExceedsInvoiceException(string invoiceId, long invoiceNumber, Money requested, Money creditable, int? lineIndex = null, string? lineDescription = null)
        : base(MeteringErrorCode.InvalidState, Describe(invoiceId, invoiceNumber, requested, creditable, lineIndex, lineDescription))
    {
        InvoiceId = invoiceId;
        InvoiceNumber = invoiceNumber;
        Requested = requested;
        Creditable = creditable;
        LineIndex = lineIndex;
    }

    /// <summary>The invoice.</summary>
    public string InvoiceId { get; }

    /// <summary>Its number.</summary>
    public long InvoiceNumber { get; }

    /// <summary>The amount asked for.</summary>
    public Money Requested { get; }

    /// <summary>What is still creditable (on the invoice, or on <see cref="LineIndex"/>).</summary>
    public Money Creditable { get; }

    /// <summary>The invoice line whose amount would be exceeded; null when the invoice's is.</summary>
    public int? LineIndex { get; }

    private static string Describe(string invoiceId, long invoiceNumber, Money requested, Money creditable, int? lineIndex, string? lineDescription) =>
        lineIndex is { } line
            ? $"Crediting {requested} on line {line} ({lineDescription}) of invoice {invoiceNumber} ('{invoiceId}') exceeds the {creditable} still creditable on that line; credit at most {creditable} on it."
            : $"A credit note of {requested} exceeds the {creditable} still creditable on invoice {invoiceNumber} ('{invoiceId}'); credit at most {creditable}.";
}
