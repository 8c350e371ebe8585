namespace Metering;

/// <summary>
/// The numeric bounds Metering accepts at its boundary. They are chosen so that nothing accepted can overflow
/// <see cref="decimal"/> later: a period's billable quantity (at most <see cref="MaxQuantity"/>) times any price
/// (at most <see cref="MaxPrice"/>) is at most 10^25, and a plan has at most <see cref="MaxChargesPerPlan"/> charges
/// with at most <see cref="MaxTiersPerCharge"/> tiers, so every invoice total stays below 10^28 (decimal's range
/// ends near 7.9 × 10^28). Over a bound is a typed rejection, never an <see cref="OverflowException"/>.
/// </summary>
public static class MeteringLimits
{
    /// <summary>
    /// Largest quantity of one usage record, and of a period's aggregated quantity for one meter or charge (10^15).
    /// A record above it, or one that would take a Sum over it, is rejected with
    /// <see cref="UsageRejectionReason.QuantityOutOfRange"/>. Meter very large amounts in a bigger unit (GB, not bytes).
    /// </summary>
    public const decimal MaxQuantity = 1_000_000_000_000_000m;

    /// <summary>Largest price a plan may carry (10^10): unit price, package price, tier price, tier flat fee or base fee.</summary>
    public const decimal MaxPrice = 10_000_000_000m;

    /// <summary>Smallest package size of <see cref="PricingModel.Package"/> accepted in a plan (10^-6 units).</summary>
    public const decimal MinPackageSize = 0.000001m;

    /// <summary>Most charges in one plan.</summary>
    public const int MaxChargesPerPlan = 1_000;

    /// <summary>Most tiers in one tier table.</summary>
    public const int MaxTiersPerCharge = 1_000;

    /// <summary>
    /// Most properties one charge groups by (<see cref="Charge.GroupBy"/>), so that a group's aggregate key stays short
    /// enough for every store's key index.
    /// </summary>
    public const int MaxGroupByPerCharge = 4;

    /// <summary>
    /// Longest value (in UTF-16 characters) of a property a charge groups by: a record whose group value is longer is
    /// rejected with <see cref="UsageRejectionReason.InvalidRecord"/>. Group by short codes (region, model, project id).
    /// </summary>
    public const int MaxGroupValueLength = 128;

    /// <summary>
    /// Most groups (lines of grouped charges, <see cref="Charge.GroupBy"/>) one subscription's period may hold, over all
    /// its grouped charges. A record that would open one more group is rejected with
    /// <see cref="UsageRejectionReason.TooManyGroups"/>; records for groups already open are still accepted. Each group is
    /// priced on its own (at most 10^25), so this bound keeps every invoice total computable whatever the aggregation:
    /// a Max, Last or unique count per group is not bounded by the meter's total.
    /// </summary>
    public const int MaxGroupsPerPeriod = 1_000;

    /// <summary>
    /// Largest amount of one credit grant, and of a customer's total granted amount in one currency or unit (10^18).
    /// </summary>
    public const decimal MaxCreditAmount = 1_000_000_000_000_000_000m;
}
