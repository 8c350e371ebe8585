namespace Metering.Storage;

public partial interface IMeteringStore
{
    /// <summary>
    /// Bills what a closed period's invoices do not bill yet, in one transaction, exactly once: locks the subscription (as
    /// a period close does, so concurrent adjustments of its periods run one after another and see each other's
    /// invoices), loads the period's invoices (all of them, any status) and its aggregates as they are now, runs
    /// <paramref name="decide"/> (pure: <c>BillingEngine.DecideAdjustment</c>), checks the decision with
    /// <see cref="StoreChangeRules.DecideAdjustment"/> and, when it has an adjustment invoice, numbers it with the next
    /// invoice number (<see cref="StoreChangeRules.WithAdjustmentNumber"/>, the same gap-free sequence as period closes)
    /// and writes it with its events; writes the decision's <see cref="PeriodAdjustmentDecision.CreditNotes"/> (a negative
    /// difference) as <see cref="IssueCreditNoteAsync"/> does, in the same transaction. When <paramref name="decide"/>
    /// throws or decides nothing, nothing is stored and no number is used. Every call that commits (whatever it decided)
    /// also removes the period's pending marker (<see cref="MarkPendingAdjustmentsAsync"/>) in the same transaction, and
    /// a subscription that is not stored has its period's marker removed too.
    /// </summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="periodStart">The start of the closed period.</param>
    /// <param name="decide">The pure adjustment decision.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>
    /// The stored adjustment invoice, or null when none was needed (or the subscription is not stored); the credit notes
    /// written are found by their decided ids (<see cref="FindCreditNoteAsync"/>).
    /// </returns>
    ValueTask<Invoice?> AdjustPeriodAsync(string subscriptionId, Instant periodStart, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide, CancellationToken cancellationToken);
}

/// <summary>What a store hands the adjustment decision, all read under the subscription's lock.</summary>
/// <param name="Subscription">The subscription as stored (locked).</param>
/// <param name="PeriodStart">The start of the period being adjusted.</param>
/// <param name="Invoices">Every invoice of the period (keyed by its start), in number order, whatever their status.</param>
/// <param name="Aggregates">The period's aggregates as they are now.</param>
public sealed record PeriodAdjustmentContext(Subscription Subscription, Instant PeriodStart, IReadOnlyList<Invoice> Invoices, IReadOnlyList<StoredAggregate> Aggregates)
{
    /// <summary>
    /// The credit notes issued on the period's invoices, oldest first, read under the same lock (the invoices' rows are
    /// locked too when the store can lock rows); empty when there are none.
    /// </summary>
    public IReadOnlyList<CreditNote> CreditNotes { get; init; } = [];
}

/// <summary>What the runtime decided for a closed period's adjustment; the store persists it at once.</summary>
/// <param name="Adjustment">
/// The adjustment invoice (<see cref="InvoiceReason.Adjustment"/>, <see cref="Invoice.AdjustsInvoiceId"/> set, number 0:
/// the store numbers it), or null when nothing is to be billed.
/// </param>
/// <param name="Difference">
/// The priced corrected usage minus what the period's invoices (not void) bill already; positive when
/// <paramref name="Adjustment"/> bills it, zero or negative (credited by <see cref="PeriodAdjustmentDecision.CreditNotes"/>) otherwise.
/// </param>
/// <param name="Events">Events to store with it.</param>
public sealed record PeriodAdjustmentDecision(Invoice? Adjustment, Money Difference, IReadOnlyList<BillingEvent> Events)
{
    /// <summary>
    /// The credit notes that credit a negative <see cref="Difference"/> (<see cref="CreditNoteReason.Backfill"/>, one per
    /// credited invoice, decided by <c>CreditNoteRules</c> on the invoice and the notes in
    /// <see cref="PeriodAdjustmentContext.CreditNotes"/>); the store checks each with
    /// <see cref="StoreChangeRules.DecideCreditNote"/>, numbers it in the credit note sequence
    /// (<see cref="StoreChangeRules.WithCreditNoteNumber"/>) and writes it, its invoice, its ledger change and its events
    /// as <see cref="IMeteringStore.IssueCreditNoteAsync"/> does, in the adjustment's transaction. Empty when nothing is credited.
    /// </summary>
    public IReadOnlyList<CreditNoteDecision> CreditNotes { get; init; } = [];
}
