using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Storage.Conformance;

/// <summary>
/// Wraps the store under test and injects faults by subscription or customer id: a close fault throws inside the
/// store's own close transaction (from the decision callback, like a corrupt row or a time zone missing from tzdb),
/// a ledger fault throws inside the ledger update. Everything else goes straight to the real store.
/// </summary>
public sealed class FaultInjectingStore(IMeteringStore inner) : IMeteringStore, IAsyncDisposable
{
    /// <summary>Given a subscription id, the exception its close throws, or null to close normally.</summary>
    public Func<string, Exception?> CloseFault { get; set; } = _ => null;

    /// <summary>
    /// Given a subscription id, the exception its period adjustments (backfill) throw inside the store's transaction, or
    /// null to adjust normally: a crash between a backfill's append and its adjustment.
    /// </summary>
    public Func<string, Exception?> AdjustFault { get; set; } = _ => null;

    /// <summary>Given a customer id, the exception its ledger update throws, or null to update normally.</summary>
    public Func<string, Exception?> LedgerFault { get; set; } = _ => null;

    /// <summary>
    /// Given a subscription id and period start, true to play another instance that closes the period just before this
    /// caller: the wrapper closes it through the real store and answers <see cref="PeriodCloseStatus.AlreadyClosed"/>.
    /// </summary>
    public Func<string, Instant, bool> ClosedElsewhere { get; set; } = (_, _) => false;

    /// <summary>How many close attempts reached the store per subscription (failed ones included).</summary>
    public Dictionary<string, int> CloseAttempts { get; } = new(StringComparer.Ordinal);

    /// <summary>Replaces the store registered on <paramref name="builder"/> with a fault-injecting wrapper around it.</summary>
    public static void Install(MeteringBuilder builder, Action<FaultInjectingStore> created)
    {
        var descriptor = builder.Services.Last(d => d.ServiceType == typeof(IMeteringStore));
        builder.UseStore(sp =>
        {
            var inner = descriptor.ImplementationInstance as IMeteringStore
                ?? descriptor.ImplementationFactory?.Invoke(sp) as IMeteringStore
                ?? (IMeteringStore)ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!);
            var store = new FaultInjectingStore(inner);
            created(store);
            return store;
        });
    }

    /// <inheritdoc/>
    public ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken)
    {
        lock (CloseAttempts)
        {
            CloseAttempts[subscriptionId] = CloseAttempts.GetValueOrDefault(subscriptionId) + 1;
        }

        return ClosedElsewhere(subscriptionId, expectedPeriodStart)
            ? CloseElsewhereAsync(subscriptionId, expectedPeriodStart, plan, decide, cancellationToken)
            : inner.ClosePeriodAsync(subscriptionId, expectedPeriodStart, plan, ctx => CloseFault(subscriptionId) is { } fault ? throw fault : decide(ctx), cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>The batch goes to the real store's own batched close, each decision wrapped like a single close's.</remarks>
    public async ValueTask<IReadOnlyList<PeriodCloseAttempt>> ClosePeriodsAsync(IReadOnlyList<PeriodCloseItem> closes, CancellationToken cancellationToken)
    {
        var wrapped = new List<PeriodCloseItem>(closes.Count);
        foreach (var close in closes)
        {
            lock (CloseAttempts)
            {
                CloseAttempts[close.SubscriptionId] = CloseAttempts.GetValueOrDefault(close.SubscriptionId) + 1;
            }

            if (ClosedElsewhere(close.SubscriptionId, close.ExpectedPeriodStart))
            {
                // Another instance closes it first: the batch then finds it closed.
                await inner.ClosePeriodAsync(close.SubscriptionId, close.ExpectedPeriodStart, close.Plan, close.Decide, cancellationToken);
            }

            var subscriptionId = close.SubscriptionId;
            var decide = close.Decide;
            wrapped.Add(close with { Decide = ctx => CloseFault(subscriptionId) is { } fault ? throw fault : decide(ctx) });
        }

        return await inner.ClosePeriodsAsync(wrapped, cancellationToken);
    }

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

    private async ValueTask<PeriodCloseResult> CloseElsewhereAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken)
    {
        await inner.ClosePeriodAsync(subscriptionId, expectedPeriodStart, plan, decide, cancellationToken);
        return new PeriodCloseResult(PeriodCloseStatus.AlreadyClosed, null, null);
    }

    /// <inheritdoc/>
    public ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken) =>
        inner.UpdateLedgerAsync(customerId, ledger => LedgerFault(customerId) is { } fault ? throw fault : change(ledger), cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else if (inner is IDisposable syncDisposable)
        {
            syncDisposable.Dispose();
        }
    }

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
    public ValueTask<bool> AddCustomerAsync(Customer customer, CancellationToken cancellationToken) => inner.AddCustomerAsync(customer, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Customer?> FindCustomerAsync(string customerId, CancellationToken cancellationToken) => inner.FindCustomerAsync(customerId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Customer?> UpdateCustomerAsync(string customerId, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change, CancellationToken cancellationToken) =>
        inner.UpdateCustomerAsync(customerId, change, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> AddSubscriptionAsync(Subscription subscription, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken) => inner.AddSubscriptionAsync(subscription, events, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Subscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken) => inner.FindSubscriptionAsync(subscriptionId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken cancellationToken) => inner.ListSubscriptionsAsync(customerId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> UpdateSubscriptionAsync(Subscription updated, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken) => inner.UpdateSubscriptionAsync(updated, events, cancellationToken);

    /// <inheritdoc/>
    public ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken) => inner.AppendUsageAsync(items, outcomes, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<UsageOutcome> AppendUsageAsync(PreparedUsage item, CancellationToken cancellationToken) => inner.AppendUsageAsync(item, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken) => inner.GetAggregatesAsync(subscriptionId, periodStart, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Instant>> ListUsagePeriodsAsync(string subscriptionId, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListUsagePeriodsAsync(subscriptionId, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<UsageRecord> ReadUsageRecordsAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken) => inner.ReadUsageRecordsAsync(subscriptionId, periodStart, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken) => inner.FindSubscriptionsDueAsync(periodEndAtOrBefore, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken) => inner.FindInvoiceAsync(invoiceId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListInvoicesAsync(customerId, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesByStatusAsync(InvoiceStatus status, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListInvoicesByStatusAsync(status, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken) => inner.UpdateInvoiceAsync(invoiceId, transition, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<CreditNoteResult?> IssueCreditNoteAsync(string invoiceId, Func<CreditNoteContext, CreditNoteDecision> decide, CancellationToken cancellationToken) => inner.IssueCreditNoteAsync(invoiceId, decide, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<InvoiceRegeneration?> RegenerateInvoiceAsync(string invoiceId, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide, CancellationToken cancellationToken) => inner.RegenerateInvoiceAsync(invoiceId, decide, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Invoice?> AdjustPeriodAsync(string subscriptionId, Instant periodStart, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide, CancellationToken cancellationToken) =>
        inner.AdjustPeriodAsync(subscriptionId, periodStart, ctx => AdjustFault(subscriptionId) is { } fault ? throw fault : decide(ctx), cancellationToken);

    /// <inheritdoc/>
    public ValueTask MarkPendingAdjustmentsAsync(IReadOnlyList<PendingAdjustment> markers, CancellationToken cancellationToken) => inner.MarkPendingAdjustmentsAsync(markers, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingAdjustment>> ListPendingAdjustmentsAsync(Instant createdBefore, int limit, CancellationToken cancellationToken) => inner.ListPendingAdjustmentsAsync(createdBefore, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<CreditNote?> FindCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken) => inner.FindCreditNoteAsync(creditNoteId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? invoiceId, string? cursor, int limit, CancellationToken cancellationToken) => inner.ListCreditNotesAsync(customerId, invoiceId, cursor, limit, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken) => inner.LoadLedgerAsync(customerId, cancellationToken);

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
}
