namespace Metering;

/// <summary>The result of <see cref="IUsageRecorder.BackfillAsync"/>.</summary>
/// <param name="Outcomes">One outcome per record, in the order given (as <see cref="IUsageRecorder.RecordBatchAsync"/>).</param>
/// <param name="Periods">Each closed period a record of the call is counted in (accepted or duplicate), and how it was settled.</param>
public sealed record BackfillResult(IReadOnlyList<UsageOutcome> Outcomes, IReadOnlyList<BackfillPeriod> Periods)
{
    /// <summary>The adjustment invoices this call issued (one per period at most), in period order.</summary>
    public IReadOnlyList<Invoice> Adjustments => [.. Periods.Where(p => p.Adjustment is not null).Select(p => p.Adjustment!)];

    /// <summary>The credit notes this call issued for periods whose corrected usage prices lower, in period order.</summary>
    public IReadOnlyList<CreditNote> CreditNotes => [.. Periods.SelectMany(p => p.CreditNotes)];
}

/// <summary>How one closed period was settled by a backfill.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="PeriodStart">The start of the period.</param>
/// <param name="Difference">
/// The priced corrected usage minus what the period's invoices (not void) billed before this settlement: positive when
/// <paramref name="Adjustment"/> bills it; zero when there was nothing to bill (all duplicates, or a concurrent backfill
/// billed it first); negative when the corrected usage prices below what was billed (a Set, Last or Max aggregate lowered),
/// which is credited back by <see cref="CreditNotes"/> (as far as the period's Finalized or Paid invoices are still creditable).
/// </param>
/// <param name="Adjustment">The adjustment invoice issued for the period, or null.</param>
public sealed record BackfillPeriod(string SubscriptionId, Instant PeriodStart, Money Difference, Invoice? Adjustment)
{
    /// <summary>
    /// The <see cref="CreditNoteReason.Backfill"/> credit notes issued for a negative <see cref="Difference"/> (one per
    /// invoice credited, latest invoice first, to the customer's balance, with the backfill reason as memo); empty otherwise.
    /// </summary>
    public IReadOnlyList<CreditNote> CreditNotes { get; init; } = [];
}
