using Metering.Storage;

namespace Metering;

/// <summary>Implements <see cref="IEntitlements"/> from the plans of the customer's active subscriptions.</summary>
internal sealed class Entitlements(IMeteringStore store, MeteringCatalog catalog, IClock clock) : IEntitlements
{
    /// <summary>The feature key whose limit caps <see cref="Subscription.Seats"/>.</summary>
    public const string SeatsFeature = "seats";

    public async ValueTask<FeatureAccess> CheckAsync(string customerId, string featureKey, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(featureKey, "feature key");
        var all = await ListAsync(customerId, cancellationToken).ConfigureAwait(false);
        return all.FirstOrDefault(f => f.FeatureKey == featureKey) ?? new FeatureAccess(featureKey, false, null);
    }

    public async ValueTask<IReadOnlyList<FeatureAccess>> ListAsync(string customerId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var access = new Dictionary<string, FeatureAccess>(StringComparer.Ordinal);
        foreach (var subscription in await store.ListSubscriptionsAsync(customerId, cancellationToken).ConfigureAwait(false))
        {
            if (!subscription.CoversTimestamp(now))
            {
                continue;
            }

            var plan = await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);
            foreach (var feature in plan.Features.Where(f => f.Enabled))
            {
                access[feature.Key] = access.TryGetValue(feature.Key, out var seen)
                    ? seen with { Limit = seen.Limit is null || feature.Limit is null ? null : Math.Max(seen.Limit.Value, feature.Limit.Value) }
                    : new FeatureAccess(feature.Key, true, feature.Limit);
            }
        }

        return access.Values.OrderBy(f => f.FeatureKey, StringComparer.Ordinal).ToArray();
    }
}
