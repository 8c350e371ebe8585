namespace Metering;

/// <summary>What a customer's active plans grant for one feature.</summary>
/// <param name="FeatureKey">The feature.</param>
/// <param name="Enabled">True when an active subscription's plan grants it.</param>
/// <param name="Limit">The highest numeric limit granted (e.g. max seats), or null when unlimited or not granted.</param>
public sealed record FeatureAccess(string FeatureKey, bool Enabled, decimal? Limit);

/// <summary>Feature and capability checks, for gating the host app's functionality by plan.</summary>
public interface IEntitlements
{
    /// <summary>Whether any of the customer's active subscriptions grants the feature, and its limit.</summary>
    ValueTask<FeatureAccess> CheckAsync(string customerId, string featureKey, CancellationToken cancellationToken = default);

    /// <summary>Every feature the customer's active subscriptions grant.</summary>
    ValueTask<IReadOnlyList<FeatureAccess>> ListAsync(string customerId, CancellationToken cancellationToken = default);
}
