using Metering.Storage;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Validates, attributes and appends usage records (see <see cref="IUsageRecorder"/>).</summary>
internal sealed partial class UsageRecorder(
    IMeteringStore store,
    MeteringCatalog catalog,
    SubscriptionCache subscriptions,
    IClock clock,
    IOptions<MeteringOptions> options,
    BillingEngine engine,
    CreditService wallets) : IUsageRecorder
{
    private readonly Duration _futureTolerance = options.Value.FutureTolerance;
    private readonly string? _defaultRateCard = options.Value.DefaultCreditRateCard;
    private readonly Duration _walletBackdate = DefaultWalletBackdate(options.Value);
    private readonly IReadOnlyDictionary<string, decimal> _lowCreditThresholds = options.Value.LowCreditThresholdsSnapshot();

    public async ValueTask<UsageOutcome> RecordAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!catalog.IsInitialized)
        {
            await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        }

        for (int attempt = 0; ; attempt++)
        {
            var now = clock.GetCurrentInstant();
            if (!TryPrepareFromCache(record, now, out var item, out var rejection))
            {
                (item, rejection) = await PrepareAsync(record, cancellationToken).ConfigureAwait(false);
            }

            if (rejection is { } outcome)
            {
                return outcome;
            }

            var stored = await store.AppendUsageAsync(item, cancellationToken).ConfigureAwait(false);
            if (attempt == 0 && IsStaleAttribution(stored))
            {
                await subscriptions.RefreshAsync(record.CustomerId, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return stored;
        }
    }

    public ValueTask<IReadOnlyList<UsageOutcome>> RecordBatchAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken = default) =>
        AppendBatchAsync(records, null, cancellationToken);

    /// <summary>
    /// The batch path of <see cref="RecordBatchAsync"/> and, with <paramref name="backfill"/> set, of
    /// <see cref="BackfillAsync"/>: each prepared item is then marked <see cref="PreparedUsage.Backfill"/> and checked by
    /// <paramref name="backfill"/> before it goes to the store.
    /// </summary>
    private async ValueTask<IReadOnlyList<UsageOutcome>> AppendBatchAsync(IReadOnlyList<UsageRecord> records, BackfillCheck? backfill, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var results = new UsageOutcome[records.Count];
        var prepared = new List<PreparedUsage>(records.Count);
        var positions = new List<int>(records.Count);
        var seenKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record is null)
            {
                results[i] = UsageOutcome.Rejected(new UsageRejection(UsageRejectionReason.InvalidRecord, $"Item {i} of the batch is null; remove it or send a record."));
                continue;
            }

            var now = clock.GetCurrentInstant();
            if (!TryPrepareFromCache(record, now, out var item, out var rejection))
            {
                (item, rejection) = await PrepareAsync(record, cancellationToken).ConfigureAwait(false);
            }

            if (backfill is not null && rejection is null)
            {
                item = item with { Backfill = true };
                rejection = await backfill.CheckAsync(item, cancellationToken).ConfigureAwait(false);
            }

            if (rejection is { } outcome)
            {
                results[i] = outcome;
                continue;
            }

            if (seenKeys.TryGetValue(record.IdempotencyKey, out var first))
            {
                // The same key twice in one batch: decided against the first occurrence after it is stored.
                results[i] = default;
                positions.Add(-1 - i);
                continue;
            }

            seenKeys[record.IdempotencyKey] = i;
            prepared.Add(item);
            positions.Add(i);
        }

        var toStore = prepared.ToArray();
        var stored = new UsageOutcome[toStore.Length];
        if (backfill is not null)
        {
            await backfill.MarkAsync(cancellationToken).ConfigureAwait(false);
        }

        await store.AppendUsageAsync(toStore, stored, cancellationToken).ConfigureAwait(false);

        int next = 0;
        foreach (var position in positions)
        {
            if (position >= 0)
            {
                results[position] = stored[next++];
            }
        }

        await RetryStaleAttributionsAsync(records, results, positions, backfill, cancellationToken).ConfigureAwait(false);

        foreach (var position in positions)
        {
            if (position < 0)
            {
                int index = -1 - position;
                var record = records[index];
                var firstIndex = seenKeys[record.IdempotencyKey];
                var firstOutcome = results[firstIndex];
                results[index] = !firstOutcome.IsCounted ? firstOutcome
                    : records[firstIndex].ContentEquals(record) ? UsageOutcome.Duplicate(firstOutcome.SubscriptionId!, firstOutcome.PeriodStart!.Value)
                    : UsageOutcome.Conflict(record.IdempotencyKey);
            }
        }

        return results;
    }

    /// <summary>
    /// Sends once more, after refreshing their customers' cached subscriptions, the batch items the store refused
    /// because the cache was stale (another instance changed the subscription, or a change's answer was lost),
    /// as <see cref="RecordAsync"/> does for a single record.
    /// </summary>
    private async ValueTask RetryStaleAttributionsAsync(IReadOnlyList<UsageRecord> records, UsageOutcome[] results, List<int> positions, BackfillCheck? backfill, CancellationToken cancellationToken)
    {
        List<int>? stale = null;
        foreach (var position in positions)
        {
            if (position >= 0 && IsStaleAttribution(results[position]))
            {
                (stale ??= []).Add(position);
            }
        }

        if (stale is null)
        {
            return;
        }

        foreach (var customerId in stale.Select(i => records[i].CustomerId).Distinct(StringComparer.Ordinal))
        {
            await subscriptions.RefreshAsync(customerId, cancellationToken).ConfigureAwait(false);
        }

        var retry = new List<PreparedUsage>(stale.Count);
        var retryPositions = new List<int>(stale.Count);
        foreach (var position in stale)
        {
            var (item, rejection) = await PrepareAsync(records[position], cancellationToken).ConfigureAwait(false);
            if (backfill is not null && rejection is null)
            {
                item = item with { Backfill = true };
                rejection = await backfill.CheckAsync(item, cancellationToken).ConfigureAwait(false);
            }

            if (rejection is { } outcome)
            {
                results[position] = outcome;
                continue;
            }

            retry.Add(item);
            retryPositions.Add(position);
        }

        var stored = new UsageOutcome[retry.Count];
        await store.AppendUsageAsync(retry.ToArray(), stored, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < stored.Length; i++)
        {
            results[retryPositions[i]] = stored[i];
        }
    }

    private static bool IsStaleAttribution(UsageOutcome outcome) =>
        outcome.Kind == UsageOutcomeKind.Rejected
        && outcome.Rejection is { Reason: UsageRejectionReason.InvalidRecord or UsageRejectionReason.NoActiveSubscription };

    /// <summary>
    /// The allocation-free path: prepares the record when its meter, customer and plans are all cached (the usual case).
    /// False when something must be read from the store first; then <see cref="PrepareAsync"/> does the same steps.
    /// </summary>
    private bool TryPrepareFromCache(UsageRecord record, Instant now, out PreparedUsage item, out UsageOutcome? rejection)
    {
        item = default;
        rejection = null;
        if (UsageRecordRules.CheckShape(record, now, _futureTolerance) is { } shape)
        {
            rejection = UsageOutcome.Rejected(shape);
            return true;
        }

        if (!catalog.TryGetMeter(record.MeterKey, out var meter) || !subscriptions.TryGetCached(record.CustomerId, out var candidates))
        {
            return false;
        }

        if (UsageRecordRules.CheckAgainstMeter(record, meter) is { } meterRejection)
        {
            rejection = UsageOutcome.Rejected(meterRejection);
            return true;
        }

        if (Attribute(record, meter, candidates, out item, out rejection, out _)
            && rejection is { } cached
            && cached.Rejection?.Reason == UsageRejectionReason.NoActiveSubscription)
        {
            // "No subscription covers it" from the cache may be stale (another instance subscribed the customer since):
            // drop the entry so PrepareAsync reads the store. Only rejections pay the read, never the hot path.
            subscriptions.Invalidate(record.CustomerId);
            (item, rejection) = (default, null);
            return false;
        }

        return true;
    }

    /// <summary>The path that reads from the store what is not cached; the record's shape has been checked already.</summary>
    private async ValueTask<(PreparedUsage Item, UsageOutcome? Rejection)> PrepareAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        if (!catalog.TryGetMeter(record.MeterKey, out var meter))
        {
            meter = (await catalog.FindMeterAsync(record.MeterKey, cancellationToken).ConfigureAwait(false))!;
        }

        if (UsageRecordRules.CheckAgainstMeter(record, meter) is { } meterRejection)
        {
            return (default, UsageOutcome.Rejected(meterRejection));
        }

        var candidates = await subscriptions.GetAsync(record.CustomerId, cancellationToken).ConfigureAwait(false);
        if (candidates is null)
        {
            return (default, UsageOutcome.Rejected(UsageRejection.UnknownCustomer(record.CustomerId)));
        }

        // Attribution needs each candidate's plan; load a missing one into the catalog and start again.
        PreparedUsage item;
        UsageOutcome? rejection;
        while (!Attribute(record, meter, candidates, out item, out rejection, out var missingPlan))
        {
            await catalog.GetPlanAsync(missingPlan.Key, missingPlan.Version, cancellationToken).ConfigureAwait(false);
        }

        if (rejection is { Rejection.Reason: UsageRejectionReason.NoActiveSubscription } && ShouldAttachDefaultWallet(record, candidates))
        {
            // No subscription covers it and a default credit rate card is set: attach the wallet, then attribute again.
            var (withWallet, failure) = await AttachDefaultWalletAsync(record, cancellationToken).ConfigureAwait(false);
            if (failure is not null)
            {
                return (default, failure);
            }

            while (!Attribute(record, meter, withWallet!, out item, out rejection, out var missingPlan))
            {
                await catalog.GetPlanAsync(missingPlan.Key, missingPlan.Version, cancellationToken).ConfigureAwait(false);
            }
        }

        return (item, rejection);
    }

    /// <summary>The subscription's contract when it applies to the open period of <paramref name="timestamp"/> (the invoice's rule).</summary>
    private static ContractTerms? ContractFor(Subscription subscription, Instant timestamp)
    {
        if (subscription.Contract is not { } terms || timestamp < subscription.CurrentPeriod.Start)
        {
            return null; // A record for a closed period is rejected by the store anyway.
        }

        var period = subscription.OpenPeriodContaining(timestamp);
        return terms.AppliesTo(period.End) ? terms : null;
    }

    /// <summary>
    /// Picks the one subscription of the customer that covers the record's timestamp and prices its meter, and the
    /// period the record lands in. False, with <paramref name="missingPlan"/> set, when a candidate's plan is not cached.
    /// </summary>
    private bool Attribute(UsageRecord record, Meter meter, Subscription[] candidates, out PreparedUsage item, out UsageOutcome? rejection, out (string Key, int Version) missingPlan)
    {
        item = default;
        rejection = null;
        missingPlan = default;
        Subscription? match = null;
        Plan? matchPlan = null;
        AggregateTarget[]? targets = null;
        bool coveredButUnpriced = false;
        foreach (var subscription in candidates)
        {
            if (record.SubscriptionId is { } wanted && !string.Equals(wanted, subscription.SubscriptionId, StringComparison.Ordinal))
            {
                continue;
            }

            // A closed period (also the last one of an ended subscription) still goes to the store: a retry there is a Duplicate.
            if (!UsageAttribution.Claims(subscription, record.Timestamp))
            {
                continue;
            }

            if (!catalog.TryGetPlan(subscription.PlanKey, subscription.PlanVersion, out var plan))
            {
                missingPlan = (subscription.PlanKey, subscription.PlanVersion);
                return false;
            }

            var found = catalog.TargetsFor(plan, meter, record.Properties);
            if (found is null)
            {
                coveredButUnpriced = true;
                continue;
            }

            if (plan.HasGroupedCharges && UsageRecordRules.CheckGroupValues(record, plan) is { } tooLong)
            {
                rejection = UsageOutcome.Rejected(tooLong, subscription.SubscriptionId);
                return true;
            }

            if (match is not null && matchPlan!.IsCreditRateCard != plan.IsCreditRateCard)
            {
                // A billing subscription and a credit wallet both price the meter: the billing subscription wins
                // (a rate card prices the usage of customers without one).
                if (matchPlan.IsCreditRateCard)
                {
                    (match, matchPlan, targets) = (subscription, plan, found);
                }

                continue;
            }

            if (match is not null)
            {
                rejection = UsageOutcome.Rejected(new UsageRejection(
                    UsageRejectionReason.InvalidRecord,
                    $"Customer '{record.CustomerId}' has more than one active subscription pricing meter '{record.MeterKey}' ('{match.SubscriptionId}', '{subscription.SubscriptionId}'); set UsageRecord.SubscriptionId to choose one."));
                return true;
            }

            (match, matchPlan, targets) = (subscription, plan, found);
        }

        if (match is null)
        {
            rejection = UsageOutcome.Rejected(coveredButUnpriced
                ? new UsageRejection(UsageRejectionReason.UnknownMeter, $"Meter '{record.MeterKey}' is not priced by the plan of customer '{record.CustomerId}'s subscription; add a charge for it to the plan or record against another meter.")
                : UsageRejection.NoActiveSubscription(record.CustomerId, record.Timestamp));
            return true;
        }

        // A record for a closed period still goes to the store, which looks its key up first: a retry of a record
        // stored before the close is a Duplicate (counted once, on that invoice); anything else is rejected there
        // as PeriodClosed (UsageAttribution.CheckStored), so nothing is stored.
        var periodStart = UsageAttribution.PeriodStartOf(match, record.Timestamp);
        item = new PreparedUsage(record, match.SubscriptionId, periodStart, targets!, matchPlan!)
        {
            LowCreditThresholds = _lowCreditThresholds,
            Contract = ContractFor(match, record.Timestamp),
        };
        return true;
    }
}
