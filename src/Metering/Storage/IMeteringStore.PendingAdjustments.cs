namespace Metering.Storage;

public partial interface IMeteringStore
{
    /// <summary>
    /// Records that the periods in <paramref name="markers"/> are about to receive backfilled usage and must be adjusted
    /// (<see cref="AdjustPeriodAsync"/>), in one transaction, before the records are appended: if the process stops
    /// between the append and the adjustment, <see cref="IPeriodCloser.CloseDueAsync"/> finds the marker and settles the
    /// period. A period that already has a marker keeps it as it is (its reason and age). Every
    /// <see cref="AdjustPeriodAsync"/> that commits removes its period's marker in its own transaction.
    /// </summary>
    /// <param name="markers">The periods (subscription, period start) with the backfill's reason and the time of the call.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask MarkPendingAdjustmentsAsync(IReadOnlyList<PendingAdjustment> markers, CancellationToken cancellationToken);

    /// <summary>The pending adjustment markers created before <paramref name="createdBefore"/>, oldest first, at most <paramref name="limit"/>.</summary>
    /// <param name="createdBefore">Only markers older than this (so a backfill still running is left to finish its own adjustment).</param>
    /// <param name="limit">The most markers to return (at least 1).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<PendingAdjustment>> ListPendingAdjustmentsAsync(Instant createdBefore, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// A closed period that backfilled usage was (or is being) appended to and whose adjustment has not committed yet
/// (<see cref="IMeteringStore.MarkPendingAdjustmentsAsync"/>).
/// </summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="PeriodStart">The start of the closed period.</param>
/// <param name="Reason">The backfill's reason, kept on the adjustment invoice or credit note that settles it.</param>
/// <param name="CreatedAt">When the backfill marked it.</param>
public sealed record PendingAdjustment(string SubscriptionId, Instant PeriodStart, string Reason, Instant CreatedAt);
