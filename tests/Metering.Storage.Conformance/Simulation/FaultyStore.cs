using Microsoft.Extensions.DependencyInjection;

namespace Metering.Storage.Conformance.Simulation;

/// <summary>The failure a <see cref="FaultyStore"/> injects: the call failed before reaching the store, or after it committed.</summary>
public sealed class InjectedFaultException(string operation, bool afterCommit)
    : Exception($"Injected fault {(afterCommit ? "after" : "before")} {operation}.")
{
    /// <summary>True when the store did the work and only the answer was lost (an ambiguous outcome).</summary>
    public bool AfterCommit { get; } = afterCommit;

    /// <summary>True when <paramref name="exception"/> is, or wraps, an injected fault.</summary>
    public static bool IsInjected(Exception? exception) => exception switch
    {
        null => false,
        InjectedFaultException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsInjected),
        _ => IsInjected(exception.InnerException),
    };
}

/// <summary>
/// Decides when a <see cref="FaultyStore"/> fails: each mutating call fails with probability <see cref="Rate"/>,
/// half of the time before delegating (nothing happened) and half after (it happened but the caller never hears).
/// Seeded, so a run replays exactly. Thread-safe.
/// </summary>
public sealed class FaultPlan(int seed, double rate)
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();

    /// <summary>Probability that one mutating call fails.</summary>
    public double Rate { get; } = rate;

    /// <summary>False to let every call through (set up and final checks).</summary>
    public bool Enabled { get; set; }

    /// <summary>Faults injected so far, before and after the store did the work.</summary>
    public (int Before, int After) Injected { get; private set; }

    /// <summary>Null when the call goes through; otherwise whether it fails after the work (true) or before (false).</summary>
    public bool? Next()
    {
        lock (_gate)
        {
            if (!Enabled || _random.NextDouble() >= Rate)
            {
                return null;
            }

            var after = _random.Next(2) == 0;
            Injected = after ? (Injected.Before, Injected.After + 1) : (Injected.Before + 1, Injected.After);
            return after;
        }
    }

    /// <summary>
    /// Wraps the store the builder has chosen so far in a <see cref="FaultyStore"/>; call it after the provider's
    /// <c>UseXxx</c>. The inner store is built exactly as the provider registered it.
    /// </summary>
    public void Wrap(MeteringBuilder builder)
    {
        var inner = builder.Services.Last(d => d.ServiceType == typeof(IMeteringStore));
        builder.UseStore(provider => new FaultyStore(Build(inner, provider), this));
    }

    private static IMeteringStore Build(ServiceDescriptor descriptor, IServiceProvider provider) =>
        descriptor.ImplementationInstance as IMeteringStore
        ?? (IMeteringStore?)descriptor.ImplementationFactory?.Invoke(provider)
        ?? (IMeteringStore)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!);
}

/// <summary>
/// An <see cref="IMeteringStore"/> decorator that fails mutating calls before or after delegating, as a crashed
/// connection or a lost acknowledgement would. Reads always go through.
/// </summary>
public sealed class FaultyStore(IMeteringStore inner, FaultPlan faults) : IMeteringStore, IAsyncDisposable
{
    /// <summary>The decorated store.</summary>
    public IMeteringStore Inner => inner;

    /// <inheritdoc/>
    public ValueTask InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask UpsertMeterAsync(Meter meter, CancellationToken cancellationToken) => inner.UpsertMeterAsync(meter, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken) => inner.ListMetersAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken) => inner.PublishPlanAsync(plan, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Plan?> FindPlanAsync(string planKey, int? version, CancellationToken cancellationToken) => inner.FindPlanAsync(planKey, version, cancellationToken);

    public ValueTask<IReadOnlyList<CatalogPlan>> ListPlansAsync(CancellationToken cancellationToken) => inner.ListPlansAsync(cancellationToken);

    public ValueTask<IReadOnlyList<Plan>> ListPlanVersionsAsync(string planKey, CancellationToken cancellationToken) => inner.ListPlanVersionsAsync(planKey, cancellationToken);

    public ValueTask<bool> SetPlanArchivedAsync(string planKey, bool archived, CancellationToken cancellationToken) => inner.SetPlanArchivedAsync(planKey, archived, cancellationToken);

    public ValueTask<bool> IsPlanArchivedAsync(string planKey, CancellationToken cancellationToken) => inner.IsPlanArchivedAsync(planKey, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> AddCustomerAsync(Customer customer, CancellationToken cancellationToken) =>
        FaultAsync(nameof(AddCustomerAsync), () => inner.AddCustomerAsync(customer, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<Customer?> FindCustomerAsync(string customerId, CancellationToken cancellationToken) => inner.FindCustomerAsync(customerId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Customer?> UpdateCustomerAsync(string customerId, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change, CancellationToken cancellationToken) =>
        FaultAsync(nameof(UpdateCustomerAsync), () => inner.UpdateCustomerAsync(customerId, change, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<bool> AddSubscriptionAsync(Subscription subscription, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken) =>
        FaultAsync(nameof(AddSubscriptionAsync), () => inner.AddSubscriptionAsync(subscription, events, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<Subscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken) => inner.FindSubscriptionAsync(subscriptionId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken cancellationToken) => inner.ListSubscriptionsAsync(customerId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> UpdateSubscriptionAsync(Subscription updated, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken) =>
        FaultAsync(nameof(UpdateSubscriptionAsync), () => inner.UpdateSubscriptionAsync(updated, events, cancellationToken));

    /// <inheritdoc/>
    public async ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        var fault = faults.Next();
        if (fault is false)
        {
            throw new InjectedFaultException("AppendUsageAsync(batch)", afterCommit: false);
        }

        await inner.AppendUsageAsync(items, outcomes, cancellationToken).ConfigureAwait(false);
        if (fault is true)
        {
            throw new InjectedFaultException("AppendUsageAsync(batch)", afterCommit: true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<UsageOutcome> AppendUsageAsync(PreparedUsage item, CancellationToken cancellationToken) =>
        FaultAsync("AppendUsageAsync(single)", () => inner.AppendUsageAsync(item, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken) => inner.GetAggregatesAsync(subscriptionId, periodStart, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Instant>> ListUsagePeriodsAsync(string subscriptionId, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListUsagePeriodsAsync(subscriptionId, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<UsageRecord> ReadUsageRecordsAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken) => inner.ReadUsageRecordsAsync(subscriptionId, periodStart, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken) => inner.FindSubscriptionsDueAsync(periodEndAtOrBefore, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken) =>
        FaultAsync(nameof(ClosePeriodAsync), () => inner.ClosePeriodAsync(subscriptionId, expectedPeriodStart, plan, decide, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PeriodCloseAttempt>> ClosePeriodsAsync(IReadOnlyList<PeriodCloseItem> closes, CancellationToken cancellationToken) =>
        FaultAsync(nameof(ClosePeriodsAsync), () => inner.ClosePeriodsAsync(closes, cancellationToken));

    /// <inheritdoc/>
    public int MaxClosesPerCall => inner.MaxClosesPerCall;

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Subscription>> FindSubscriptionsAsync(IReadOnlyList<string> subscriptionIds, CancellationToken cancellationToken) =>
        inner.FindSubscriptionsAsync(subscriptionIds, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Customer>> FindCustomersAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken) =>
        inner.FindCustomersAsync(customerIds, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<CurrentUsageState?> ReadCurrentUsageStateAsync(string subscriptionId, CancellationToken cancellationToken) =>
        inner.ReadCurrentUsageStateAsync(subscriptionId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken) => inner.FindInvoiceAsync(invoiceId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListInvoicesAsync(customerId, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesByStatusAsync(InvoiceStatus status, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListInvoicesByStatusAsync(status, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken) =>
        FaultAsync(nameof(UpdateInvoiceAsync), () => inner.UpdateInvoiceAsync(invoiceId, transition, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<CreditNoteResult?> IssueCreditNoteAsync(string invoiceId, Func<CreditNoteContext, CreditNoteDecision> decide, CancellationToken cancellationToken) =>
        FaultAsync(nameof(IssueCreditNoteAsync), () => inner.IssueCreditNoteAsync(invoiceId, decide, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<InvoiceRegeneration?> RegenerateInvoiceAsync(string invoiceId, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide, CancellationToken cancellationToken) =>
        FaultAsync(nameof(RegenerateInvoiceAsync), () => inner.RegenerateInvoiceAsync(invoiceId, decide, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<Invoice?> AdjustPeriodAsync(string subscriptionId, Instant periodStart, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide, CancellationToken cancellationToken) =>
        FaultAsync(nameof(AdjustPeriodAsync), () => inner.AdjustPeriodAsync(subscriptionId, periodStart, decide, cancellationToken));

    /// <inheritdoc/>
    public ValueTask MarkPendingAdjustmentsAsync(IReadOnlyList<PendingAdjustment> markers, CancellationToken cancellationToken) =>
        inner.MarkPendingAdjustmentsAsync(markers, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingAdjustment>> ListPendingAdjustmentsAsync(Instant createdBefore, int limit, CancellationToken cancellationToken) =>
        inner.ListPendingAdjustmentsAsync(createdBefore, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<CreditNote?> FindCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken) => inner.FindCreditNoteAsync(creditNoteId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? invoiceId, string? cursor, int limit, CancellationToken cancellationToken) =>
        inner.ListCreditNotesAsync(customerId, invoiceId, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken) => inner.LoadLedgerAsync(customerId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken) =>
        FaultAsync(nameof(UpdateLedgerAsync), () => inner.UpdateLedgerAsync(customerId, change, cancellationToken));

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindCustomersWithExpiringCreditsAsync(Instant at, int limit, CancellationToken cancellationToken) => inner.FindCustomersWithExpiringCreditsAsync(at, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredBillingEvent>> ReadEventsAsync(string? afterPosition, int limit, CancellationToken cancellationToken) => inner.ReadEventsAsync(afterPosition, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<EventHandlerCheckpoint?> TryAcquireEventLeaseAsync(string handler, string owner, Instant now, Duration ttl, EventHandlerStart start, CancellationToken cancellationToken) => inner.TryAcquireEventLeaseAsync(handler, owner, now, ttl, start, cancellationToken);

    /// <inheritdoc/>
    public ValueTask ReleaseEventLeaseAsync(string handler, string owner, CancellationToken cancellationToken) => inner.ReleaseEventLeaseAsync(handler, owner, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> AdvanceEventCheckpointAsync(string handler, string owner, string position, CancellationToken cancellationToken) => inner.AdvanceEventCheckpointAsync(handler, owner, position, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> ParkEventAsync(string handler, string owner, StoredBillingEvent stored, int attempts, string error, Instant parkedAt, CancellationToken cancellationToken) => inner.ParkEventAsync(handler, owner, stored, attempts, error, parkedAt, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<ParkedBillingEvent>> ListParkedEventsAsync(string? handler, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListParkedEventsAsync(handler, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<int> RequestRedeliveryAsync(string handler, long? sequence, CancellationToken cancellationToken) => inner.RequestRedeliveryAsync(handler, sequence, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ParkedBillingEvent>> ReadRedeliveriesAsync(string handler, int limit, CancellationToken cancellationToken) => inner.ReadRedeliveriesAsync(handler, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> CompleteRedeliveryAsync(string handler, string owner, long sequence, CancellationToken cancellationToken) => inner.CompleteRedeliveryAsync(handler, owner, sequence, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<EventHandlerCheckpoint>> ListEventHandlersAsync(CancellationToken cancellationToken) => inner.ListEventHandlersAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    private async ValueTask<T> FaultAsync<T>(string operation, Func<ValueTask<T>> call)
    {
        var fault = faults.Next();
        if (fault is false)
        {
            throw new InjectedFaultException(operation, afterCommit: false);
        }

        var result = await call().ConfigureAwait(false);
        if (fault is true)
        {
            throw new InjectedFaultException(operation, afterCommit: true);
        }

        return result;
    }
}
