using Metering.Storage;

namespace Metering;

/// <summary>Implements <see cref="ICatalogService"/> over the store and the process's <see cref="MeteringCatalog"/>.</summary>
internal sealed class CatalogService(IMeteringStore store, MeteringCatalog catalog) : ICatalogService
{
    public ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return catalog.PublishPlanAsync(plan, cancellationToken);
    }

    public async ValueTask<Plan?> GetPlanAsync(string planKey, int? version = null, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(planKey, "plan key");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await catalog.FindPlanAsync(planKey, version, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<CatalogPlan>> ListPlansAsync(CancellationToken cancellationToken = default)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListPlansAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<Plan>> ListPlanVersionsAsync(string planKey, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(planKey, "plan key");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var versions = await store.ListPlanVersionsAsync(planKey, cancellationToken).ConfigureAwait(false);
        return versions.Count > 0 ? versions : throw UnknownPlan(planKey);
    }

    public ValueTask ArchivePlanAsync(string planKey, CancellationToken cancellationToken = default) => SetArchivedAsync(planKey, true, cancellationToken);

    public ValueTask UnarchivePlanAsync(string planKey, CancellationToken cancellationToken = default) => SetArchivedAsync(planKey, false, cancellationToken);

    public async ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken = default)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListMetersAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<BillableItem>> GetBillableItemsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        _ = await store.FindCustomerAsync(customerId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Customer '{customerId}' does not exist; check the id or create it with CreateCustomerAsync.");
        var items = new List<BillableItem>();
        foreach (var subscription in await store.ListSubscriptionsAsync(customerId, cancellationToken).ConfigureAwait(false))
        {
            if (subscription.EndedAt is null)
            {
                var plan = await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);
                items.Add(BillableItem.Of(subscription, plan));
            }
        }

        return items;
    }

    private async ValueTask SetArchivedAsync(string planKey, bool archived, CancellationToken cancellationToken)
    {
        InputChecks.Required(planKey, "plan key");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (!await store.SetPlanArchivedAsync(planKey, archived, cancellationToken).ConfigureAwait(false))
        {
            throw UnknownPlan(planKey);
        }
    }

    private static MeteringException UnknownPlan(string planKey) =>
        new(MeteringErrorCode.NotFound, $"Plan '{planKey}' is not published; check the key (keys are case-sensitive) or publish it first.");
}
