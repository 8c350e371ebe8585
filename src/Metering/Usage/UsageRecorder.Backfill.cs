using Metering.Storage;

namespace Metering;

// Backfill (issue #16): usage recorded into closed periods, the difference billed as adjustment invoices.
internal sealed partial class UsageRecorder
{
    public async ValueTask<BackfillResult> BackfillAsync(IReadOnlyList<UsageRecord> records, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        InputChecks.Required(reason, "backfill reason");
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, "A backfill needs a reason (it is kept on the adjustment invoices); say why the usage is recorded late, e.g. \"usage export from region X arrived after the close\".");
        }
        var check = new BackfillCheck(store, clock, reason);
        var outcomes = await AppendBatchAsync(records, check, cancellationToken).ConfigureAwait(false);

        // Every period a record of this call is counted in is settled, duplicates too: a retry after a crash between the
        // append and the adjustment bills what the first call stored (and so does the closer, from the period's marker).
        var periods = outcomes
            .Where(o => o.IsCounted)
            .Select(o => (SubscriptionId: o.SubscriptionId!, PeriodStart: o.PeriodStart!.Value))
            .Distinct()
            .OrderBy(p => p.SubscriptionId, StringComparer.Ordinal)
            .ThenBy(p => p.PeriodStart)
            .ToArray();
        // A record moved to another period on a retry of a stale attribution is marked now.
        await check.MarkAsync(cancellationToken).ConfigureAwait(false);
        var settled = new List<BackfillPeriod>(periods.Length);
        var settlement = new BackfillSettlement(store, catalog, engine, clock);
        foreach (var (subscriptionId, periodStart) in periods)
        {
            var live = await check.LiveInvoiceAsync(subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
            if (live is not null && await settlement.SettleAsync(subscriptionId, periodStart, live, reason, cancellationToken).ConfigureAwait(false) is { } period)
            {
                settled.Add(period);
            }
        }

        return new BackfillResult(outcomes, settled);
    }

    /// <summary>
    /// The recorder-side checks of a backfilled record, after it was attributed: a plan that burns credits in real time
    /// cannot be backfilled, and the record must be priced on the plan version its period's invoice was billed on.
    /// The store then checks that the period is closed (<see cref="UsageAttribution.CheckStored(UsageRecord, string, string, int, Subscription?, bool)"/>).
    /// </summary>
    private sealed class BackfillCheck(IMeteringStore store, IClock clock, string reason)
    {
        private readonly Dictionary<(string, Instant), Invoice?> _live = [];
        private readonly HashSet<(string SubscriptionId, Instant PeriodStart)> _toMark = [];
        private readonly HashSet<(string SubscriptionId, Instant PeriodStart)> _marked = [];

        /// <summary>
        /// Marks the closed periods the checked records go to as pending adjustment
        /// (<see cref="IMeteringStore.MarkPendingAdjustmentsAsync"/>) before they are appended, so a crash between the
        /// append and the adjustment leaves a marker for the closer; each period once per call.
        /// </summary>
        public async ValueTask MarkAsync(CancellationToken cancellationToken)
        {
            var now = clock.GetCurrentInstant();
            var markers = _toMark.Where(p => !_marked.Contains(p)).Select(p => new PendingAdjustment(p.SubscriptionId, p.PeriodStart, reason, now)).ToArray();
            if (markers.Length == 0)
            {
                return;
            }

            await store.MarkPendingAdjustmentsAsync(markers, cancellationToken).ConfigureAwait(false);
            _marked.UnionWith(_toMark);
        }

        public async ValueTask<UsageOutcome?> CheckAsync(PreparedUsage item, CancellationToken cancellationToken)
        {
            if (item.BurnsCredits)
            {
                return UsageOutcome.Rejected(
                    new UsageRejection(UsageRejectionReason.InvalidRecord, $"Plan '{item.Plan.Key}' v{item.Plan.Version} burns credits in real time; such usage cannot be backfilled. Correct the period with a credit note or VoidAndRegenerateAsync instead."),
                    item.SubscriptionId);
            }

            var live = await LiveInvoiceAsync(item.SubscriptionId, item.PeriodStart, cancellationToken).ConfigureAwait(false);
            if (live is not null && (!string.Equals(live.PlanKey, item.Plan.Key, StringComparison.Ordinal) || live.PlanVersion != item.Plan.Version))
            {
                return UsageOutcome.Rejected(
                    new UsageRejection(UsageRejectionReason.InvalidRecord, $"The period starting {item.PeriodStart} of subscription '{item.SubscriptionId}' was billed on plan '{live.PlanKey}' v{live.PlanVersion}, and the subscription is now on '{item.Plan.Key}' v{item.Plan.Version}; usage cannot be backfilled across a plan change. Correct that period with a credit note or VoidAndRegenerateAsync instead."),
                    item.SubscriptionId);
            }

            if (live is not null)
            {
                _toMark.Add((item.SubscriptionId, item.PeriodStart));
            }

            return null;
        }

        public async ValueTask<Invoice?> LiveInvoiceAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
        {
            if (!_live.TryGetValue((subscriptionId, periodStart), out var live))
            {
                live = await LiveInvoices.FindAsync(store, subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
                _live[(subscriptionId, periodStart)] = live;
            }

            return live;
        }
    }
}
