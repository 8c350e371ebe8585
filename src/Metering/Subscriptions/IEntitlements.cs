namespace Metering;

/// <summary>Why a feature is or is not available (<see cref="FeatureAccess.Status"/>).</summary>
public enum FeatureAccessStatus
{
    /// <summary>No subscription grants it (none has the feature, none has started, it ended past the grace period, or the grantee holds no seat).</summary>
    NotGranted,

    /// <summary>A running subscription grants it.</summary>
    Active,

    /// <summary>
    /// Granted only through a subscription that ended (or was canceled) or whose payment failed, within
    /// <see cref="MeteringOptions.EntitlementGracePeriod"/>: enabled until <see cref="FeatureAccess.AccessEndsAt"/>.
    /// </summary>
    InGrace,

    /// <summary>A subscription would grant it, but a payment of its invoice failed more than the grace period ago: not enabled until paid.</summary>
    PaymentFailed,
}

/// <summary>What a customer's (or a seat holder's) subscriptions grant for one feature.</summary>
/// <param name="FeatureKey">The feature; <c>plan:&lt;planKey&gt;</c> is the capability of being subscribed to that plan.</param>
/// <param name="Enabled">True when a subscription grants it now (<see cref="FeatureAccessStatus.Active"/> or <see cref="FeatureAccessStatus.InGrace"/>).</param>
/// <param name="Limit">
/// The highest numeric limit granted across the granting subscriptions (e.g. max seats, API quota; the highest, not the
/// sum), or null when one of them grants it unlimited, or when not granted.
/// </param>
public sealed record FeatureAccess(string FeatureKey, bool Enabled, decimal? Limit)
{
    /// <summary>Why it is (not) enabled; defaults from <see cref="Enabled"/> (Active or NotGranted).</summary>
    public FeatureAccessStatus Status { get; init; } = Enabled ? FeatureAccessStatus.Active : FeatureAccessStatus.NotGranted;

    /// <summary>
    /// When access ends as things stand (end of the grace period, or a scheduled cancellation plus the grace period);
    /// null when it does not end on its own, or when not enabled.
    /// </summary>
    public Instant? AccessEndsAt { get; init; }

    /// <summary>True when the feature is enabled and <paramref name="requested"/> is at most <see cref="Limit"/> (any amount when unlimited).</summary>
    /// <param name="requested">The amount the caller wants to use (e.g. projects it would have after creating one).</param>
    public bool IsWithin(decimal requested) => Enabled && (Limit is null || requested <= Limit.Value);
}

/// <summary>Feature and capability checks, for gating the host app's functionality by plan.</summary>
/// <remarks>
/// Each subscription of the customer grants its plan's enabled features and the capability <c>plan:&lt;planKey&gt;</c>
/// while it runs, and for <see cref="MeteringOptions.EntitlementGracePeriod"/> after it ended or a payment of its
/// invoice failed. A seat holder (grantee) is granted only through subscriptions where it holds a seat
/// (<see cref="ISubscriptionService.AssignSeatAsync"/>).
/// </remarks>
public interface IEntitlements
{
    /// <summary>Whether any of the customer's subscriptions grants the feature now, why, and its limit.</summary>
    ValueTask<FeatureAccess> CheckAsync(string customerId, string featureKey, CancellationToken cancellationToken = default);

    /// <summary>Every feature the customer's subscriptions grant now (and those held back by a failed payment).</summary>
    ValueTask<IReadOnlyList<FeatureAccess>> ListAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the seat holder <paramref name="granteeId"/> of the customer has the feature: only through the customer's
    /// subscriptions where <paramref name="granteeId"/> is assigned a seat.
    /// </summary>
    ValueTask<FeatureAccess> CheckAsync(string customerId, string featureKey, string granteeId, CancellationToken cancellationToken = default);

    /// <summary>Every feature the seat holder <paramref name="granteeId"/> has through the customer's subscriptions where it holds a seat.</summary>
    ValueTask<IReadOnlyList<FeatureAccess>> ListAsync(string customerId, string granteeId, CancellationToken cancellationToken = default);
}
