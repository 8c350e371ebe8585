namespace Metering.Storage.InMemory;

/// <summary>
/// The reference store: all state in process memory, guarded by one lock, so every operation is
/// atomic and linearizable. Use it in tests and for prototypes; state is lost when the process ends.
/// </summary>
public sealed partial class InMemoryMeteringStore : IMeteringStore, IEventLogSignal
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
    private readonly AppendState _appendState;
    private readonly EventLogSignal _eventsCommitted = new();

    /// <summary>Creates an empty store.</summary>
    public InMemoryMeteringStore() => _appendState = new AppendState(this);

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
    public ValueTask<Customer?> UpdateCustomerAsync(string customerId, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_customers.TryGetValue(customerId, out var current))
            {
                return new((Customer?)null);
            }

            IReadOnlyList<Subscription> subscriptions = _subscriptionsByCustomer.TryGetValue(customerId, out var ids)
                ? ids.Select(id => _subscriptions[id].Subscription).ToArray()
                : [];
            var result = StoreChangeRules.CheckCustomerChange(current, subscriptions, change);
            _customers[customerId] = result.Updated;
            foreach (var subscription in result.Subscriptions)
            {
                _subscriptions[subscription.SubscriptionId].Subscription = subscription;
            }

            return new(result.Updated);
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

    /// <inheritdoc/>
    public Task NextEventsCommitted => _eventsCommitted.NextEventsCommitted;

    private void AppendEvents(IReadOnlyList<BillingEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        // Waiters continue asynchronously, after this lock is released: the events are visible by then.
        _eventsCommitted.Pulse();
        foreach (var e in events)
        {
            var sequence = _events.Count + 1L;
            _events.Add(new StoredBillingEvent(sequence, EventPositions.FromSequence(sequence), e));
        }
    }

    private static Page<T> PageOf<T>(List<T> itemsPlusOne, int limit, Func<T, string> cursorOf) =>
        itemsPlusOne.Count > limit
            ? new Page<T>(itemsPlusOne.Take(limit).ToArray(), cursorOf(itemsPlusOne[limit - 1]))
            : new Page<T>(itemsPlusOne.ToArray(), null);

    private sealed class SubscriptionState(Subscription subscription)
    {
        public Subscription Subscription { get; set; } = subscription;

        public Dictionary<(Instant PeriodStart, AggregateKey Key), UsageAggregate> Aggregates { get; } = [];

        public Dictionary<Instant, List<UsageRecord>> Records { get; } = [];

        public HashSet<Instant> ClosedPeriods { get; } = [];
    }
}
