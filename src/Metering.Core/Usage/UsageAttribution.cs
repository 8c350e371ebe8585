namespace Metering;

/// <summary>
/// Which subscription period a usage record belongs to, and whether that period still takes records. Decided once,
/// here: the recorder uses it to attribute a record, and every store applies it again to the subscription as stored
/// at append time (it may have been closed, re-planned or ended since). Pure.
/// </summary>
public static class UsageAttribution
{
    /// <summary>
    /// True when a record at <paramref name="timestamp"/> goes to <paramref name="subscription"/>: the subscription covers
    /// it, or it falls in one of its closed periods (such a record still goes to the store, which answers a retry of a
    /// record stored before the close as a Duplicate and rejects anything else as <c>PeriodClosed</c>).
    /// </summary>
    public static bool Claims(Subscription subscription, Instant timestamp)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return subscription.CoversTimestamp(timestamp) || IsInClosedPeriod(subscription, timestamp);
    }

    /// <summary>The start of the period of <paramref name="subscription"/> a record at <paramref name="timestamp"/> lands in.</summary>
    public static Instant PeriodStartOf(Subscription subscription, Instant timestamp)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return IsInClosedPeriod(subscription, timestamp) ? ClosedPeriodContaining(subscription, timestamp).Start
            : timestamp >= subscription.CurrentPeriod.Start ? subscription.OpenPeriodContaining(timestamp).Start
            : subscription.Schedule.PeriodContaining(timestamp).Start;
    }

    /// <summary>
    /// True when <paramref name="timestamp"/> falls in a period of <paramref name="subscription"/> that has been
    /// closed and invoiced: before its current period, or inside its last period once it has ended (canceled now
    /// or at period end), whose final invoice is issued.
    /// </summary>
    public static bool IsInClosedPeriod(Subscription subscription, Instant timestamp)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return timestamp >= subscription.StartedAt
            && (timestamp < subscription.CurrentPeriod.Start || (subscription.EndedAt is { } ended && timestamp < ended));
    }

    /// <summary>
    /// The closed period that contains <paramref name="timestamp"/> (one for which <see cref="IsInClosedPeriod"/> holds).
    /// Before a plan change re-anchored the schedule, the old periods are no longer known: the whole closed span from
    /// the subscription's start to the change is returned.
    /// </summary>
    public static BillingPeriod ClosedPeriodContaining(Subscription subscription, Instant timestamp)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var current = subscription.CurrentPeriod;
        if (timestamp >= current.Start && subscription.EndedAt is { } ended)
        {
            return new BillingPeriod(current.Index, current.Start, ended < current.End ? ended : current.End);
        }

        var scheduleStart = subscription.Schedule.StartOf(0);
        if (timestamp < scheduleStart)
        {
            return new BillingPeriod(0, subscription.StartedAt, scheduleStart);
        }

        // A plan change that kept the anchor closed the schedule period early (the current period starts at the
        // change): the closed part ends there. Its start stays the schedule's, the key its records are stored under.
        var period = subscription.Schedule.PeriodContaining(timestamp);
        return timestamp < current.Start && period.End > current.Start ? new BillingPeriod(period.Index, period.Start, current.Start) : period;
    }

    /// <summary>
    /// Checks a record attributed to <paramref name="subscriptionId"/> against the subscription as stored now
    /// (<paramref name="stored"/>, null when there is none). Null when the record may be stored.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="subscriptionId">The subscription it was attributed to.</param>
    /// <param name="planKey">The plan key it was priced with.</param>
    /// <param name="planVersion">The plan version it was priced with.</param>
    /// <param name="stored">The subscription as stored at append time.</param>
    public static UsageRejection? CheckStored(UsageRecord record, string subscriptionId, string planKey, int planVersion, Subscription? stored) =>
        CheckStored(record, subscriptionId, planKey, planVersion, stored, backfill: false);

    /// <summary>
    /// Checks a record as <see cref="CheckStored(UsageRecord, string, string, int, Subscription?)"/> does, or, when
    /// <paramref name="backfill"/> is true, a backfilled record: it may be stored only when its timestamp falls in a
    /// closed period of the stored subscription (<see cref="IsInClosedPeriod"/>); a record for an open period is
    /// rejected as <see cref="UsageRejectionReason.PeriodNotClosed"/>. The plan a closed period was billed on is checked
    /// by the caller against the period's invoice. Null when the record may be stored.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="subscriptionId">The subscription it was attributed to.</param>
    /// <param name="planKey">The plan key it was priced with.</param>
    /// <param name="planVersion">The plan version it was priced with.</param>
    /// <param name="stored">The subscription as stored at append time.</param>
    /// <param name="backfill">True for a backfilled record.</param>
    public static UsageRejection? CheckStored(UsageRecord record, string subscriptionId, string planKey, int planVersion, Subscription? stored, bool backfill)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (stored is null)
        {
            return UsageRejection.NoActiveSubscription(record.CustomerId, record.Timestamp);
        }

        var timestamp = record.Timestamp;
        if (backfill)
        {
            return IsInClosedPeriod(stored, timestamp)
                ? null
                : stored.CoversTimestamp(timestamp)
                    ? UsageRejection.PeriodNotClosed(record.MeterKey, PeriodStartOf(stored, timestamp), timestamp)
                    : UsageRejection.NoActiveSubscription(record.CustomerId, timestamp);
        }

        if (IsInClosedPeriod(stored, timestamp))
        {
            return PeriodClosed(record.MeterKey, stored, timestamp);
        }

        if (!stored.CoversTimestamp(timestamp))
        {
            return UsageRejection.NoActiveSubscription(record.CustomerId, timestamp);
        }

        if (!string.Equals(stored.PlanKey, planKey, StringComparison.Ordinal) || stored.PlanVersion != planVersion)
        {
            return new UsageRejection(
                UsageRejectionReason.InvalidRecord,
                $"Subscription '{subscriptionId}' moved to plan '{stored.PlanKey}' v{stored.PlanVersion} while this record was being recorded; send it again with the same idempotency key.");
        }

        return null;
    }

    /// <summary>The <c>PeriodClosed</c> rejection of a record at <paramref name="timestamp"/> (see <see cref="IsInClosedPeriod"/>).</summary>
    public static UsageRejection PeriodClosed(string? meterKey, Subscription subscription, Instant timestamp)
    {
        var period = ClosedPeriodContaining(subscription, timestamp);
        return UsageRejection.PeriodClosed(meterKey, period, period.End, timestamp);
    }
}
