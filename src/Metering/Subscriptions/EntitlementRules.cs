namespace Metering;

/// <summary>
/// The entitlement decisions, made once: what one subscription grants at an instant (running, in grace after its end
/// or a failed payment, held back, nothing) and how the grants of several subscriptions combine per feature. Pure.
/// </summary>
internal static class EntitlementRules
{
    /// <summary>The prefix of a plan capability: <c>plan:pro</c> is granted by a subscription to plan <c>pro</c>.</summary>
    public const string PlanCapabilityPrefix = "plan:";

    /// <summary>
    /// What <paramref name="subscription"/> grants at <paramref name="now"/> for <paramref name="granteeId"/> (null: the
    /// customer), with <paramref name="grace"/> after its end or a failed payment; null when it grants nothing.
    /// </summary>
    public static Grant? GrantOf(Subscription subscription, string? granteeId, Instant now, Duration grace)
    {
        if (subscription.StartedAt > now
            || (granteeId is not null && !subscription.SeatAssignments.Contains(granteeId, StringComparer.Ordinal)))
        {
            return null;
        }

        var end = Earliest(subscription.EndedAt, subscription.CancelAt);
        Instant? accessEnds = end + grace;
        if (accessEnds <= now)
        {
            return null;
        }

        var status = end <= now ? FeatureAccessStatus.InGrace : FeatureAccessStatus.Active;
        if (subscription.PaymentFailedAt is { } failedAt)
        {
            if (failedAt + grace <= now)
            {
                return new Grant(FeatureAccessStatus.PaymentFailed, null);
            }

            status = FeatureAccessStatus.InGrace;
            accessEnds = Earliest(accessEnds, failedAt + grace);
        }

        return new Grant(status, accessEnds);
    }

    /// <summary>
    /// The features <paramref name="subscriptions"/> (each with its plan version) grant at <paramref name="now"/>, sorted
    /// by key: per feature the best status (Active, then InGrace, then PaymentFailed), the latest access end among the
    /// enabling grants (null when one does not end) and the highest limit among them (null when one is unlimited).
    /// </summary>
    public static IReadOnlyList<FeatureAccess> Decide(IEnumerable<(Subscription Subscription, Plan Plan)> subscriptions, string? granteeId, Instant now, Duration grace)
    {
        var grants = new Dictionary<string, List<(Grant Grant, decimal? Limit)>>(StringComparer.Ordinal);
        foreach (var (subscription, plan) in subscriptions)
        {
            if (GrantOf(subscription, granteeId, now, grace) is not { } grant)
            {
                continue;
            }

            foreach (var feature in plan.Features.Where(f => f.Enabled))
            {
                Add(grants, feature.Key, grant, feature.Limit);
            }

            Add(grants, PlanCapabilityPrefix + subscription.PlanKey, grant, null);
        }

        return [.. grants.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Combine(g.Key, g.Value))];
    }

    /// <summary>
    /// <paramref name="subscription"/> after a payment change of its <paramref name="invoice"/> at <paramref name="at"/>:
    /// a failed payment (status Finalized with failures) is recorded when none is (the earliest failure counts); paying or
    /// voiding the recorded invoice clears it. Otherwise the subscription unchanged.
    /// </summary>
    public static Subscription AfterPayment(Subscription subscription, Invoice invoice, Instant at)
    {
        if (invoice.Status == InvoiceStatus.Finalized && invoice.PaymentFailures > 0)
        {
            return subscription.PaymentFailedAt is null ? subscription with { PaymentFailedAt = at, PaymentFailedInvoiceId = invoice.InvoiceId } : subscription;
        }

        return invoice.Status is InvoiceStatus.Paid or InvoiceStatus.Void && string.Equals(subscription.PaymentFailedInvoiceId, invoice.InvoiceId, StringComparison.Ordinal)
            ? subscription with { PaymentFailedAt = null, PaymentFailedInvoiceId = null }
            : subscription;
    }

    /// <summary>The access to <paramref name="featureKey"/> among <paramref name="all"/> (not granted when absent).</summary>
    public static FeatureAccess Find(IReadOnlyList<FeatureAccess> all, string featureKey) =>
        all.FirstOrDefault(f => string.Equals(f.FeatureKey, featureKey, StringComparison.Ordinal)) ?? new FeatureAccess(featureKey, false, null);

    private static FeatureAccess Combine(string featureKey, List<(Grant Grant, decimal? Limit)> grants)
    {
        var enabling = grants.Where(g => g.Grant.Status is FeatureAccessStatus.Active or FeatureAccessStatus.InGrace).ToList();
        if (enabling.Count == 0)
        {
            return new FeatureAccess(featureKey, false, null) { Status = FeatureAccessStatus.PaymentFailed };
        }

        return new FeatureAccess(
            featureKey,
            true,
            enabling.Any(g => g.Limit is null) ? null : enabling.Max(g => g.Limit!.Value))
        {
            Status = enabling.Any(g => g.Grant.Status == FeatureAccessStatus.Active) ? FeatureAccessStatus.Active : FeatureAccessStatus.InGrace,
            AccessEndsAt = enabling.Any(g => g.Grant.AccessEndsAt is null) ? null : enabling.Max(g => g.Grant.AccessEndsAt!.Value),
        };
    }

    private static void Add(Dictionary<string, List<(Grant, decimal?)>> grants, string key, Grant grant, decimal? limit)
    {
        if (!grants.TryGetValue(key, out var list))
        {
            grants[key] = list = [];
        }

        list.Add((grant, limit));
    }

    private static Instant? Earliest(Instant? a, Instant? b) => a is null ? b : b is null ? a : Instant.Min(a.Value, b.Value);

    /// <summary>What one subscription grants: its status and when its access ends (null: not on its own).</summary>
    internal readonly record struct Grant(FeatureAccessStatus Status, Instant? AccessEndsAt);
}
