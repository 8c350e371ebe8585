namespace Metering;

/// <summary>The result of <see cref="IUsageRecorder.BackfillAsync"/>.</summary>
/// <param name="Outcomes">One outcome per record, in the order given (as <see cref="IUsageRecorder.RecordBatchAsync"/>).</param>
/// <param name="Periods">Each closed period a record of the call is counted in (accepted or duplicate), and how it was settled.</param>
public sealed record BackfillResult(IReadOnlyList<UsageOutcome> Outcomes, IReadOnlyList<BackfillPeriod> Periods)
{
    /// <summary>The adjustment invoices this call issued (one per period at most), in period order.</summary>
    public IReadOnlyList<Invoice> Adjustments => [.. Periods.Where(p => p.Adjustment is not null).Select(p => p.Adjustment!)];
}

/// <summary>How one closed period was settled by a backfill.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="PeriodStart">The start of the period.</param>
/// <param name="Difference">
/// The priced corrected usage minus what the period's invoices (not void) billed before this settlement: positive when
/// <paramref name="Adjustment"/> bills it; zero when there was nothing to bill (all duplicates, or a concurrent backfill
/// billed it first); negative when the corrected usage prices below what was billed (a Set, Last or Max aggregate lowered),
/// which is not credited automatically: issue a credit note for it (<see cref="IInvoiceService.IssueCreditNoteAsync"/>).
/// </param>
/// <param name="Adjustment">The adjustment invoice issued for the period, or null.</param>
public sealed record BackfillPeriod(string SubscriptionId, Instant PeriodStart, Money Difference, Invoice? Adjustment);
