using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    /// <inheritdoc/>
    public ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var source = items.Span;
        var results = outcomes.Span;
        lock (_gate)
        {
            for (int i = 0; i < source.Length; i++)
            {
                results[i] = AppendOne(in source[i]);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<UsageOutcome> AppendUsageAsync(PreparedUsage item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return new(AppendOne(in item));
        }
    }

    private UsageOutcome AppendOne(in PreparedUsage item)
    {
        var record = item.Record;

        // One hash of the key on the accepted path: claim the slot now, give it back if the record is rejected.
        ref var claimed = ref CollectionsMarshal.GetValueRefOrAddDefault(_keys, record.IdempotencyKey, out bool exists);
        if (exists)
        {
            return UsageAppendRules.ForExistingKey(claimed.Record, claimed.SubscriptionId, claimed.PeriodStart, record);
        }

        UsageOutcome outcome;
        try
        {
            outcome = UsageAppendRules.Decide(in item, _appendState);
        }
        catch
        {
            _keys.Remove(record.IdempotencyKey);
            throw;
        }

        if (outcome.Kind != UsageOutcomeKind.Accepted)
        {
            _keys.Remove(record.IdempotencyKey);
            return outcome;
        }

        claimed = new ClaimedKey(record, item.SubscriptionId, item.PeriodStart);
        var state = _appendState.StateOf(item.SubscriptionId);
        ref var records = ref CollectionsMarshal.GetValueRefOrAddDefault(state.Records, item.PeriodStart, out bool hasRecords);
        if (!hasRecords)
        {
            records = [];
        }

        records!.Add(record);
        return outcome;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(AggregatesOf(subscriptionId, periodStart));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Page<Instant>> ListUsagePeriodsAsync(string subscriptionId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(subscriptionId, out var state))
            {
                return new(new Page<Instant>([], null));
            }

            var after = PageCursor.Decode(cursor, long.MaxValue);
            var starts = state.Aggregates.Keys.Select(k => k.PeriodStart)
                .Concat(state.ClosedPeriods)
                .Distinct()
                .Where(s => s.ToUnixTimeTicks() < after)
                .OrderByDescending(s => s)
                .Take(limit + 1)
                .ToList();
            return new(PageOf(starts, limit, s => s.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> ReadUsageRecordsAsync(string subscriptionId, Instant periodStart, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        UsageRecord[] snapshot;
        lock (_gate)
        {
            snapshot = _subscriptions.TryGetValue(subscriptionId, out var state) && state.Records.TryGetValue(periodStart, out var records)
                ? [.. records]
                : [];
        }

        foreach (var record in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private StoredAggregate[] AggregatesOf(string subscriptionId, Instant periodStart) =>
        _subscriptions.TryGetValue(subscriptionId, out var state)
            ? state.Aggregates.Where(p => p.Key.PeriodStart == periodStart)
                .Select(p => new StoredAggregate(p.Key.Key, p.Value))
                .OrderBy(a => a.Key)
                .ToArray()
            : [];

    private readonly record struct ClaimedKey(UsageRecord Record, string SubscriptionId, Instant PeriodStart);

    /// <summary>The store's state as <see cref="UsageAppendRules.Decide"/> sees it; used under <c>_gate</c> only.</summary>
    private sealed class AppendState(InMemoryMeteringStore store) : IUsageAppendState
    {
        // The subscription the current decision is about (Decide looks it up first), to spare a lookup per aggregate.
        private SubscriptionState? _last;

        public SubscriptionState StateOf(string subscriptionId) =>
            _last is { } last && string.Equals(last.Subscription.SubscriptionId, subscriptionId, StringComparison.Ordinal) ? last : store._subscriptions[subscriptionId];

        public Subscription? FindSubscription(string subscriptionId)
        {
            _last = store._subscriptions.GetValueOrDefault(subscriptionId);
            return _last?.Subscription;
        }

        public bool TryGetAggregate(in PreparedUsage item, AggregateKey key, out UsageAggregate aggregate) =>
            StateOf(item.SubscriptionId).Aggregates.TryGetValue((item.PeriodStart, key), out aggregate);

        public void SetAggregate(in PreparedUsage item, AggregateTarget? target, AggregateKey key, UsageAggregate before, UsageAggregate after) =>
            StateOf(item.SubscriptionId).Aggregates[(item.PeriodStart, key)] = after;

        public int CountGroups(in PreparedUsage item)
        {
            var periodStart = item.PeriodStart;
            return StateOf(item.SubscriptionId).Aggregates.Count(p => p.Key.PeriodStart == periodStart && p.Key.Key.Kind == AggregateKeyKind.GroupedCharge && !p.Value.IsEmpty);
        }

        public CreditLedger GetLedger(string customerId) => store.LedgerOf(customerId);

        public void SetLedger(CreditLedger before, CreditLedger after) => store._ledgers[after.CustomerId] = after;

        public void AddEvent(BillingEvent billingEvent) => store.AppendEvents([billingEvent]);
    }
}
