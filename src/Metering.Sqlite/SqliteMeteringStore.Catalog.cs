using Metering.Sqlite.Serialization;
using Metering.Sqlite.Storage;
using Metering.Storage;

namespace Metering.Sqlite;

/// <summary>Meters, plans, customers and subscriptions.</summary>
public sealed partial class SqliteMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask UpsertMeterAsync(Meter meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meter);
        await WriteAsync(w => w.UpsertMeter(meter), 1, false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Meter>>(
            c => StatementCache.Get(c, "SELECT data FROM meters ORDER BY meter_key").Strings().ConvertAll(StoreDocuments.ToMeter),
            cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var published = await WriteAsync(w => w.PublishPlan(plan), 1, false, cancellationToken).ConfigureAwait(false);
        _plans[(published.Key, published.Version)] = published;
        return published;
    }

    /// <inheritdoc/>
    public async ValueTask<Plan?> FindPlanAsync(string planKey, int? version, CancellationToken cancellationToken)
    {
        if (version is { } v && _plans.TryGetValue((planKey, v), out var cached))
        {
            return cached;
        }

        var plan = await ReadAsync(c => StoreQueries.LoadPlan(c, planKey, version), cancellationToken).ConfigureAwait(false);
        if (plan is not null)
        {
            // Published versions never change, so they can be kept.
            _plans[(plan.Key, plan.Version)] = plan;
        }

        return plan;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<CatalogPlan>> ListPlansAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<CatalogPlan>>(
            c =>
            {
                var archived = StatementCache.Get(c, "SELECT plan_key FROM archived_plans").Strings().ToHashSet(StringComparer.Ordinal);
                return StatementCache.Get(c, "SELECT data FROM plans p WHERE version = (SELECT MAX(version) FROM plans q WHERE q.plan_key = p.plan_key) ORDER BY plan_key")
                    .Strings()
                    .ConvertAll(json => StoreDocuments.ToPlan(json))
                    .ConvertAll(plan => new CatalogPlan(plan, archived.Contains(plan.Key)));
            },
            cancellationToken,
            snapshot: true);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Plan>> ListPlanVersionsAsync(string planKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        return ReadAsync<IReadOnlyList<Plan>>(
            c => StatementCache.Get(c, "SELECT data FROM plans WHERE plan_key = $k ORDER BY version", "$k").With(planKey).Strings().ConvertAll(json => StoreDocuments.ToPlan(json)),
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> SetPlanArchivedAsync(string planKey, bool archived, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        return WriteAsync(w => w.SetPlanArchived(planKey, archived), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> IsPlanArchivedAsync(string planKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        return ReadAsync(c => StatementCache.Get(c, "SELECT plan_key FROM archived_plans WHERE plan_key = $k", "$k").With(planKey).FirstString() is not null, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> AddCustomerAsync(Customer customer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customer);
        return WriteAsync(w => w.AddCustomer(customer), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Customer?> FindCustomerAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync(
            c =>
            {
                return StoreQueries.LoadCustomer(c, customerId);
            },
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Customer?> UpdateCustomerAsync(string customerId, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        ArgumentNullException.ThrowIfNull(change);
        return WriteAsync(w => w.UpdateCustomer(customerId, change), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> AddSubscriptionAsync(Subscription subscription, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(events);
        return WriteAsync(w => w.AddSubscription(subscription, events), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Subscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken) =>
        ReadAsync(c => StoreQueries.LoadSubscription(c, subscriptionId), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Subscription>>(c => StoreQueries.LoadSubscriptions(c, customerId), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> UpdateSubscriptionAsync(Subscription updated, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updated);
        ArgumentNullException.ThrowIfNull(events);
        return WriteAsync(w => w.UpdateSubscription(updated, events), 1, false, cancellationToken);
    }
}
