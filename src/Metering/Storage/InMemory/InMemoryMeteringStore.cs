using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Metering.Storage.InMemory;

/// <summary>
/// The reference store: all state in process memory, guarded by one lock, so every operation is
/// atomic and linearizable. Use it in tests and for prototypes; state is lost when the process ends.
/// </summary>
public sealed class InMemoryMeteringStore : IMeteringStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Meter> _meters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Plan>> _plans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Customer> _customers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SubscriptionState> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _subscriptionsByCustomer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClaimedKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Invoice> _invoices = new(StringComparer.Ordinal);
    private readonly HashSet<(string SubscriptionId, Instant PeriodStart)> _invoicedPeriods = [];
    private readonly Dictionary<string, List<string>> _invoicesByCustomer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CreditLedger> _ledgers = new(StringComparer.Ordinal);
    private readonly List<StoredBillingEvent> _events = [];
    private long _lastInvoiceNumber;

    /// <inheritdoc/>
    public ValueTask InitializeAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask UpsertMeterAsync(Meter meter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _meters[meter.Key] = meter;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new([.. _meters.Values.OrderBy(m => m.Key, StringComparer.Ordinal)]);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_plans.TryGetValue(plan.Key, out var versions))
            {
                _plans[plan.Key] = versions = [];
            }

            if (versions.Count > 0 && versions[^1].DefinitionEquals(plan))
            {
                return new(versions[^1]);
            }

            var published = plan.WithVersion(versions.Count + 1);
            versions.Add(published);
            return new(published);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Plan?> FindPlanAsync(string planKey, int? version, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(FindPlan(planKey, version));
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> AddCustomerAsync(Customer customer, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_customers.TryAdd(customer.CustomerId, customer));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Customer?> FindCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_customers.GetValueOrDefault(customerId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> AddSubscriptionAsync(Subscription subscription, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_subscriptions.TryAdd(subscription.SubscriptionId, new SubscriptionState(subscription)))
            {
                return new(false);
            }

            if (!_subscriptionsByCustomer.TryGetValue(subscription.CustomerId, out var list))
            {
                _subscriptionsByCustomer[subscription.CustomerId] = list = [];
            }

            list.Add(subscription.SubscriptionId);
            AppendEvents(events);
            return new(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Subscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_subscriptions.GetValueOrDefault(subscriptionId)?.Subscription);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_subscriptionsByCustomer.TryGetValue(customerId, out var ids))
            {
                return new(Array.Empty<Subscription>());
            }

            return new(ids.Select(id => _subscriptions[id].Subscription).ToArray());
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> UpdateSubscriptionAsync(Subscription updated, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(updated.SubscriptionId, out var state) || state.Subscription.Revision != updated.Revision - 1)
            {
                return new(false);
            }

            state.Subscription = updated;
            AppendEvents(events);
            return new(true);
        }
    }

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
            outcome = AppendNew(in item);
        }
        catch
        {
            _keys.Remove(record.IdempotencyKey);
            throw;
        }

        if (outcome.Kind == UsageOutcomeKind.Accepted)
        {
            claimed = new ClaimedKey(record, item.SubscriptionId, item.PeriodStart);
        }
        else
        {
            _keys.Remove(record.IdempotencyKey);
        }

        return outcome;
    }

    private UsageOutcome AppendNew(in PreparedUsage item)
    {
        var record = item.Record;

        if (!_subscriptions.TryGetValue(item.SubscriptionId, out var state))
        {
            return UsageOutcome.Rejected(UsageRejection.NoActiveSubscription(record.CustomerId, record.Timestamp));
        }

        if (UsageAppendRules.CheckSubscription(in item, state.Subscription) is { } rejection)
        {
            return UsageOutcome.Rejected(rejection, item.SubscriptionId);
        }

        // One target and no burn (the usual case): the bound is checked in the loop below, before anything changes.
        bool checkedBounds = item.Targets.Length > 1 || item.BurnsCredits;
        if (checkedBounds && CheckBounds(in item, state) is { } bound)
        {
            return UsageOutcome.Rejected(bound, item.SubscriptionId);
        }

        if (item.BurnsCredits && TryBurnCredits(in item, state) is { } creditRejection)
        {
            return UsageOutcome.Rejected(creditRejection, item.SubscriptionId);
        }

        foreach (var target in item.Targets)
        {
            ref var aggregate = ref CollectionsMarshal.GetValueRefOrAddDefault(state.Aggregates, (item.PeriodStart, target.AggregateKey), out bool exists);
            if (!exists)
            {
                aggregate = UsageAggregate.Empty(target.Aggregation);
            }
            else if (!checkedBounds && UsageAppendRules.CheckBounds(aggregate, target, record) is { } overLimit)
            {
                return UsageOutcome.Rejected(overLimit, item.SubscriptionId);
            }

            aggregate = UsageAppendRules.Apply(aggregate, target, record);
        }

        ref var records = ref CollectionsMarshal.GetValueRefOrAddDefault(state.Records, item.PeriodStart, out bool hasRecords);
        if (!hasRecords)
        {
            records = [];
        }

        records!.Add(record);
        return UsageOutcome.Accepted(item.SubscriptionId, item.PeriodStart);
    }

    private static UsageRejection? CheckBounds(in PreparedUsage item, SubscriptionState state)
    {
        foreach (var target in item.Targets)
        {
            if (state.Aggregates.TryGetValue((item.PeriodStart, target.AggregateKey), out var current)
                && UsageAppendRules.CheckBounds(current, target, item.Record) is { } rejection)
            {
                return rejection;
            }
        }

        return null;
    }

    private UsageRejection? TryBurnCredits(in PreparedUsage item, SubscriptionState state)
    {
        var targets = item.Targets;
        var before = new UsageAggregate[targets.Length];
        var after = new UsageAggregate[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            before[i] = state.Aggregates.TryGetValue((item.PeriodStart, targets[i].AggregateKey), out var current)
                ? current
                : UsageAggregate.Empty(targets[i].Aggregation);
            after[i] = UsageAppendRules.Apply(before[i], targets[i], item.Record);
        }

        var customerId = state.Subscription.CustomerId;
        var ledger = LedgerOf(customerId);
        var burn = UsageAppendRules.Burn(in item, before, after, ledger, item.Record.Timestamp);
        if (burn.Rejection is not null)
        {
            return burn.Rejection;
        }

        if (burn.LedgerAfter is { } updated)
        {
            _ledgers[customerId] = updated;
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i].BurningCharge is { } charge && burn.PrepaidPerTarget[i] != 0m)
            {
                var key = (item.PeriodStart, UsageAppendRules.PrepaidAggregateKey(charge.Key));
                var prepaid = state.Aggregates.TryGetValue(key, out var existing) ? existing : UsageAggregate.Empty(Aggregation.Sum);
                state.Aggregates[key] = prepaid.Apply(burn.PrepaidPerTarget[i], item.Record.Timestamp, UsageAction.Increment);
            }
        }

        return null;
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

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return new(Array.Empty<string>());
        }

        lock (_gate)
        {
            // The first `limit` due subscriptions by (period end, id), kept in a bounded max-heap: one pass over all
            // subscriptions, O(n log limit), instead of sorting every due subscription on every call of the closer.
            var firstDue = new PriorityQueue<Subscription, Subscription>(limit + 1, DueOrder.Descending);
            foreach (var state in _subscriptions.Values)
            {
                var subscription = state.Subscription;
                if (subscription.EndedAt is not null || subscription.CurrentPeriod.End > periodEndAtOrBefore)
                {
                    continue;
                }

                if (firstDue.Count < limit)
                {
                    firstDue.Enqueue(subscription, subscription);
                }
                else if (DueOrder.Ascending.Compare(subscription, firstDue.Peek()) < 0)
                {
                    firstDue.EnqueueDequeue(subscription, subscription);
                }
            }

            var due = new string[firstDue.Count];
            for (int i = due.Length - 1; i >= 0; i--)
            {
                due[i] = firstDue.Dequeue().SubscriptionId;
            }

            return new(due);
        }
    }

    /// <inheritdoc/>
    public ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(subscriptionId, out var state))
            {
                return new(new PeriodCloseResult(PeriodCloseStatus.NotFound, null, null));
            }

            var subscription = state.Subscription;
            if (subscription.CurrentPeriod.Start != expectedPeriodStart || subscription.EndedAt is not null
                || _invoicedPeriods.Contains((subscriptionId, expectedPeriodStart)))
            {
                return new(new PeriodCloseResult(PeriodCloseStatus.AlreadyClosed, null, subscription));
            }

            var plan = FindPlan(subscription.PlanKey, subscription.PlanVersion)
                ?? throw new InvalidOperationException($"Plan '{subscription.PlanKey}' v{subscription.PlanVersion} of subscription '{subscriptionId}' is missing from the store.");
            var ledger = LedgerOf(subscription.CustomerId);
            var decision = decide(new PeriodCloseContext(subscription, plan, AggregatesOf(subscriptionId, expectedPeriodStart), ledger));

            var invoice = decision.Invoice with { Number = ++_lastInvoiceNumber };
            _invoices.Add(invoice.InvoiceId, invoice);
            _invoicedPeriods.Add((subscriptionId, expectedPeriodStart));
            if (!_invoicesByCustomer.TryGetValue(invoice.CustomerId, out var customerInvoices))
            {
                _invoicesByCustomer[invoice.CustomerId] = customerInvoices = [];
            }

            customerInvoices.Add(invoice.InvoiceId);
            state.ClosedPeriods.Add(expectedPeriodStart);
            state.Subscription = decision.Next;
            if (decision.LedgerAfter is { } ledgerAfter)
            {
                _ledgers[subscription.CustomerId] = ledgerAfter;
            }

            AppendEvents(decision.Events);
            return new(new PeriodCloseResult(PeriodCloseStatus.Closed, invoice, decision.Next));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_invoices.GetValueOrDefault(invoiceId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var before = PageCursor.Decode(cursor, long.MaxValue);
            var invoices = (_invoicesByCustomer.GetValueOrDefault(customerId) ?? [])
                .Select(id => _invoices[id])
                .Where(i => i.Number < before)
                .OrderByDescending(i => i.Number)
                .Take(limit + 1)
                .ToList();
            return new(PageOf(invoices, limit, i => i.Number.ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_invoices.TryGetValue(invoiceId, out var current))
            {
                return new((Invoice?)null);
            }

            var change = transition(current);
            _invoices[invoiceId] = change.Updated;
            AppendEvents(change.Events);
            return new(change.Updated);
        }
    }

    /// <inheritdoc/>
    public ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(LedgerOf(customerId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var current = LedgerOf(customerId);
            var result = change(current);
            if (result.Updated.Transactions.Count < current.Transactions.Count)
            {
                throw new InvalidOperationException("A credit ledger change must only append transactions.");
            }

            _ledgers[customerId] = result.Updated;
            AppendEvents(result.Events);
            return new(result.Updated);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindCustomersWithExpiringCreditsAsync(Instant at, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_ledgers
                .Where(pair => pair.Value.Grants.Any(g => g.ExpiresAt is { } expiry && expiry <= at && pair.Value.RemainingOf(g.GrantId, expiry - Duration.Epsilon) > 0m
                    && !pair.Value.Transactions.Any(t => t.GrantId == g.GrantId && t.Type == CreditTransactionType.Expiration)))
                .Select(pair => pair.Key)
                .Order(StringComparer.Ordinal)
                .Take(limit)
                .ToArray());
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredBillingEvent>> ReadEventsAsync(long afterSequence, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_events.Where(e => e.Sequence > afterSequence).Take(limit).ToArray());
        }
    }

    private Plan? FindPlan(string planKey, int? version)
    {
        if (!_plans.TryGetValue(planKey, out var versions) || versions.Count == 0)
        {
            return null;
        }

        return version is { } v ? (v >= 1 && v <= versions.Count ? versions[v - 1] : null) : versions[^1];
    }

    private CreditLedger LedgerOf(string customerId) =>
        _ledgers.TryGetValue(customerId, out var ledger) ? ledger : CreditLedger.Empty(customerId);

    private StoredAggregate[] AggregatesOf(string subscriptionId, Instant periodStart) =>
        _subscriptions.TryGetValue(subscriptionId, out var state)
            ? state.Aggregates.Where(p => p.Key.PeriodStart == periodStart)
                .Select(p => new StoredAggregate(p.Key.AggregateKey, p.Value))
                .OrderBy(a => a.AggregateKey, StringComparer.Ordinal)
                .ToArray()
            : [];

    private void AppendEvents(IReadOnlyList<BillingEvent> events)
    {
        foreach (var e in events)
        {
            _events.Add(new StoredBillingEvent(_events.Count + 1, e));
        }
    }

    private static Page<T> PageOf<T>(List<T> itemsPlusOne, int limit, Func<T, string> cursorOf) =>
        itemsPlusOne.Count > limit
            ? new Page<T>(itemsPlusOne.Take(limit).ToArray(), cursorOf(itemsPlusOne[limit - 1]))
            : new Page<T>(itemsPlusOne.ToArray(), null);

    /// <summary>Order in which due periods are closed: earliest period end first, then subscription id (ordinal).</summary>
    private sealed class DueOrder(int sign) : IComparer<Subscription>
    {
        public static readonly DueOrder Ascending = new(1);
        public static readonly DueOrder Descending = new(-1);

        public int Compare(Subscription? x, Subscription? y)
        {
            int byEnd = x!.CurrentPeriod.End.CompareTo(y!.CurrentPeriod.End);
            return sign * (byEnd != 0 ? byEnd : string.CompareOrdinal(x.SubscriptionId, y.SubscriptionId));
        }
    }

    private readonly record struct ClaimedKey(UsageRecord Record, string SubscriptionId, Instant PeriodStart);

    private sealed class SubscriptionState(Subscription subscription)
    {
        public Subscription Subscription { get; set; } = subscription;

        public Dictionary<(Instant PeriodStart, string AggregateKey), UsageAggregate> Aggregates { get; } = [];

        public Dictionary<Instant, List<UsageRecord>> Records { get; } = [];

        public HashSet<Instant> ClosedPeriods { get; } = [];
    }
}
