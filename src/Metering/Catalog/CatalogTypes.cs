namespace Metering;

/// <summary>A plan in the catalog: its latest published version and whether the plan is archived.</summary>
/// <param name="Plan">The latest published version.</param>
/// <param name="Archived">True when the plan is archived: it takes no new subscriptions or plan changes to it,
/// while subscriptions already on it keep renewing and closing normally.</param>
public sealed record CatalogPlan(Plan Plan, bool Archived);

/// <summary>
/// What one active subscription of a customer is billed for: its plan version, currency, base fee and the priced
/// charges (from <see cref="ICatalogService.GetBillableItemsAsync"/>).
/// </summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="PlanKey">The plan key.</param>
/// <param name="PlanVersion">The plan version the subscription is on.</param>
/// <param name="Currency">The currency of every amount.</param>
/// <param name="Interval">The billing interval.</param>
/// <param name="BaseFee">The base fee per period (per seat when <paramref name="BaseFeePerSeat"/>); 0 for none.</param>
/// <param name="BaseFeePerSeat">True when the base fee is multiplied by <paramref name="Seats"/>.</param>
/// <param name="Seats">The subscription's seats.</param>
/// <param name="Charges">The plan's charges, in invoice order.</param>
public sealed record BillableItem(
    string SubscriptionId,
    string PlanKey,
    int PlanVersion,
    Currency Currency,
    BillingInterval Interval,
    decimal BaseFee,
    bool BaseFeePerSeat,
    int Seats,
    IReadOnlyList<BillableCharge> Charges)
{
    /// <summary>The billable item of <paramref name="subscription"/> on its plan version <paramref name="plan"/>.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="plan">The plan version it is on.</param>
    /// <returns>The item.</returns>
    public static BillableItem Of(Subscription subscription, Plan plan)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(plan);
        return new(
            subscription.SubscriptionId,
            plan.Key,
            plan.Version,
            plan.Currency,
            plan.Interval,
            plan.BaseFee,
            plan.BaseFeePerSeat,
            subscription.Seats,
            [.. plan.Charges.Select(c => new BillableCharge(c.Key, c.Label, c.MeterKey, c.Pricing, c.Pricing.IncludedUnits))]);
    }
}

/// <summary>One priced charge of a <see cref="BillableItem"/>.</summary>
/// <param name="ChargeKey">The charge key (unique in the plan).</param>
/// <param name="Label">The name shown to customers (the charge's display name, or its key).</param>
/// <param name="MeterKey">The meter it prices.</param>
/// <param name="Pricing">The pricing model with its prices.</param>
/// <param name="IncludedUnits">Free units per period before the pricing applies (the same as <see cref="PricingModel.IncludedUnits"/>).</param>
public sealed record BillableCharge(string ChargeKey, string Label, string MeterKey, PricingModel Pricing, decimal IncludedUnits);
