namespace Metering.Storage;

public partial interface IMeteringStore
{
    /// <summary>
    /// Voids an invoice and inserts its replacement in one transaction, exactly once: locks the invoice, then its
    /// subscription and the customer's credit ledger, loads the aggregates of the invoice's period as they are now, runs
    /// <paramref name="decide"/> (pure: <c>BillingEngine.DecideRegeneration</c> refuses an invoice that cannot be
    /// regenerated, such as one already void or replaced, and returns the voided invoice, its replacement, the ledger
    /// after the voided invoice's credits are returned and credits are applied to the replacement, the period's adjustment
    /// invoices voided with it, and the events),
    /// checks the decision with <see cref="StoreChangeRules.DecideRegeneration"/>, numbers the replacement with the next
    /// invoice number (<see cref="StoreChangeRules.WithReplacementNumber"/>, the same gap-free sequence as period
    /// closes) and writes all of it. When <paramref name="decide"/> throws nothing is stored and no number is used.
    /// Concurrent regenerations of one invoice run one after another: the second sees it void and is refused.
    /// </summary>
    /// <param name="invoiceId">The invoice to void and regenerate.</param>
    /// <param name="decide">The pure regeneration decision.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The voided invoice and its replacement, or null when there is no such invoice.</returns>
    ValueTask<InvoiceRegeneration?> RegenerateInvoiceAsync(string invoiceId, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide, CancellationToken cancellationToken);
}

/// <summary>What a store hands the regeneration decision, all read under the invoice's lock.</summary>
/// <param name="Invoice">The invoice to regenerate, as stored (locked).</param>
/// <param name="Subscription">Its subscription as it is now.</param>
/// <param name="Aggregates">The aggregates of the invoice's period (keyed by its start) as they are now.</param>
/// <param name="Ledger">The customer's credit ledger (locked).</param>
public sealed record InvoiceRegenerationContext(Invoice Invoice, Subscription Subscription, IReadOnlyList<StoredAggregate> Aggregates, CreditLedger Ledger)
{
    /// <summary>
    /// The <see cref="InvoiceReason.Adjustment"/> invoices of the invoice's period (backfill), any status, read under the
    /// same lock (their rows locked too when the store can lock rows); empty when there are none.
    /// </summary>
    public IReadOnlyList<Invoice> Adjustments { get; init; } = [];
}

/// <summary>What the runtime decided for a regeneration; the store persists all of it at once.</summary>
/// <param name="Voided">The invoice, now <see cref="InvoiceStatus.Void"/> with <see cref="Invoice.ReplacedByInvoiceId"/> set.</param>
/// <param name="Replacement">The new invoice; the store assigns <see cref="Invoice.Number"/> with <see cref="StoreChangeRules.WithReplacementNumber"/>.</param>
/// <param name="LedgerAfter">The customer's ledger after the voided invoice's credits were returned and the replacement's applied, or null when unchanged.</param>
/// <param name="Events">Events to store with it.</param>
public sealed record InvoiceRegenerationDecision(Invoice Voided, Invoice Replacement, CreditLedger? LedgerAfter, IReadOnlyList<BillingEvent> Events)
{
    /// <summary>
    /// The period's adjustment invoices (from <see cref="InvoiceRegenerationContext.Adjustments"/>) voided with the
    /// invoice, now <see cref="InvoiceStatus.Void"/>; the store writes them in the same transaction. Empty when none.
    /// </summary>
    public IReadOnlyList<Invoice> VoidedAdjustments { get; init; } = [];
}
