namespace Metering;

/// <summary>An invoice stored by Metering for one subscription and one service period. Immutable.</summary>
public sealed record Invoice
{
    /// <summary>Unique id.</summary>
    public required string InvoiceId { get; init; }

    /// <summary>Sequential number, unique per store (1, 2, 3, ...).</summary>
    public required long Number { get; init; }

    /// <summary>The subscription invoiced.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>The customer invoiced.</summary>
    public required string CustomerId { get; init; }

    /// <summary>Plan key the period was billed on.</summary>
    public required string PlanKey { get; init; }

    /// <summary>Plan version the period was billed on.</summary>
    public required int PlanVersion { get; init; }

    /// <summary>The service period this invoice covers (may be shorter than a full period after a plan change or cancellation).</summary>
    public required BillingPeriod Period { get; init; }

    /// <summary>Why it was created.</summary>
    public required InvoiceReason Reason { get; init; }

    /// <summary>Current lifecycle status.</summary>
    public required InvoiceStatus Status { get; init; }

    /// <summary>The computed lines and totals.</summary>
    public required CalculatedInvoice Content { get; init; }

    /// <summary>When it was created.</summary>
    public required Instant CreatedAt { get; init; }

    /// <summary>When it was finalized, if it was.</summary>
    public Instant? FinalizedAt { get; init; }

    /// <summary>When its status last changed after finalization (paid, void, uncollectible).</summary>
    public Instant? SettledAt { get; init; }

    /// <summary>Number of failed payment attempts reported.</summary>
    public int PaymentFailures { get; init; }

    /// <summary>
    /// Everything credit notes have credited on this invoice, in its currency (0 when none): never more than
    /// <see cref="Total"/>. Set by the store with each credit note (<see cref="IInvoiceService.IssueCreditNoteAsync"/>).
    /// </summary>
    public decimal CreditedAmount { get; init; }

    /// <summary>
    /// 0 for the invoice a period close created; n for the n-th replacement of it made by
    /// <see cref="IInvoiceService.VoidAndRegenerateAsync"/>.
    /// </summary>
    public int Revision { get; init; }

    /// <summary>The voided invoice this one replaces (<see cref="IInvoiceService.VoidAndRegenerateAsync"/>), or null.</summary>
    public string? ReplacesInvoiceId { get; init; }

    /// <summary>
    /// The invoice that replaced this one when it was voided and regenerated (<see cref="IInvoiceService.VoidAndRegenerateAsync"/>),
    /// or null. A replaced invoice is <see cref="InvoiceStatus.Void"/>; the replacement is the period's live invoice.
    /// </summary>
    public string? ReplacedByInvoiceId { get; init; }

    /// <summary>
    /// For an <see cref="InvoiceReason.Adjustment"/> invoice (usage backfilled into a closed period,
    /// <see cref="IUsageRecorder.BackfillAsync"/>): the period's live invoice it adjusts; null for other invoices.
    /// Adjustment invoices are not the period's live invoice and are never replaced.
    /// </summary>
    public string? AdjustsInvoiceId { get; init; }

    /// <summary>
    /// For an <see cref="InvoiceReason.Adjustment"/> invoice: the reason given to the backfill that issued it; null for
    /// other invoices.
    /// </summary>
    public string? AdjustmentReason { get; init; }

    /// <summary>The total to pay.</summary>
    public Money Total => Content.Total;

    /// <summary>What credit notes can still credit on this invoice: <see cref="Total"/> minus <see cref="CreditedAmount"/>.</summary>
    public Money CreditableAmount => new(Content.Total.Amount - CreditedAmount, Content.Total.Currency);
}
