using Metering.Storage;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Implements <see cref="IEntitlements"/> from the plans of the customer's subscriptions (<see cref="EntitlementRules"/> decides).</summary>
internal sealed class Entitlements(IMeteringStore store, MeteringCatalog catalog, IClock clock, IOptions<MeteringOptions> options) : IEntitlements
{
    /// <summary>The feature key whose limit caps <see cref="Subscription.Seats"/>.</summary>
    public const string SeatsFeature = "seats";

    private readonly Duration _grace = options.Value.EntitlementGracePeriod;

    public ValueTask<FeatureAccess> CheckAsync(string customerId, string featureKey, CancellationToken cancellationToken = default) =>
        FindAsync(customerId, featureKey, null, cancellationToken);

    public ValueTask<IReadOnlyList<FeatureAccess>> ListAsync(string customerId, CancellationToken cancellationToken = default) =>
        DecideAsync(customerId, null, cancellationToken);

    public ValueTask<FeatureAccess> CheckAsync(string customerId, string featureKey, string granteeId, CancellationToken cancellationToken = default) =>
        FindAsync(customerId, featureKey, InputChecks.Required(granteeId, "grantee id"), cancellationToken);

    public ValueTask<IReadOnlyList<FeatureAccess>> ListAsync(string customerId, string granteeId, CancellationToken cancellationToken = default) =>
        DecideAsync(customerId, InputChecks.Required(granteeId, "grantee id"), cancellationToken);

    private async ValueTask<FeatureAccess> FindAsync(string customerId, string featureKey, string? granteeId, CancellationToken cancellationToken)
    {
        InputChecks.Required(featureKey, "feature key");
        return EntitlementRules.Find(await DecideAsync(customerId, granteeId, cancellationToken).ConfigureAwait(false), featureKey);
    }

    private async ValueTask<IReadOnlyList<FeatureAccess>> DecideAsync(string customerId, string? granteeId, CancellationToken cancellationToken)
    {
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var granting = new List<(Subscription, Plan)>();
        foreach (var subscription in await store.ListSubscriptionsAsync(customerId, cancellationToken).ConfigureAwait(false))
        {
            // Only subscriptions that grant something need their plan (ended ones past the grace period do not).
            if (EntitlementRules.GrantOf(subscription, granteeId, now, _grace) is not null)
            {
                granting.Add((subscription, await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false)));
            }
        }

        return EntitlementRules.Decide(granting, granteeId, now, _grace);
    }
}
