namespace Metering.Samples.WebPortal;

/// <summary>The shipping platform's meters and plans (Jamaican dollars, billed monthly).</summary>
public static class PortalCatalog
{
    /// <summary>Packages shipped (one record per package).</summary>
    public static readonly Meter Packages = Meter.Sum("packages").WithDisplayName("Packages shipped");

    /// <summary>Returns handled (one record per return).</summary>
    public static readonly Meter Returns = Meter.Sum("returns").WithDisplayName("Returns handled");

    /// <summary>Shipping Pro: 2,999.00 base, 50.00 per package, 100.00 per return.</summary>
    public static readonly Plan Pro = Plan.Create("shipping-pro", Currency.JMD, BillingInterval.Months(1))
        .WithDisplayName("Shipping Pro")
        .WithBaseFee(2_999.00m)
        .WithCharge("packages", PricingModel.PerUnit(50.00m), c => c.DisplayName = "Packages shipped")
        .WithCharge("returns", PricingModel.PerUnit(100.00m), c => c.DisplayName = "Returns handled")
        .Build();

    /// <summary>Shipping Starter: 999.00 base, 75.00 per package, 150.00 per return.</summary>
    public static readonly Plan Starter = Plan.Create("shipping-starter", Currency.JMD, BillingInterval.Months(1))
        .WithDisplayName("Shipping Starter")
        .WithBaseFee(999.00m)
        .WithCharge("packages", PricingModel.PerUnit(75.00m), c => c.DisplayName = "Packages shipped")
        .WithCharge("returns", PricingModel.PerUnit(150.00m), c => c.DisplayName = "Returns handled")
        .Build();

    /// <summary>The plans a customer may switch between, by key.</summary>
    public static IReadOnlyList<Plan> Plans { get; } = [Starter, Pro];

    /// <summary>Declares the catalog.</summary>
    public static MeteringOptions AddCatalog(this MeteringOptions options) =>
        options.AddMeter(Packages).AddMeter(Returns).AddPlan(Starter).AddPlan(Pro);
}
