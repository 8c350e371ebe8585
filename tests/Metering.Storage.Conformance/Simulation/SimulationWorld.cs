namespace Metering.Storage.Conformance.Simulation;

/// <summary>
/// The catalog of the simulation, kept simple enough to price by hand (see <see cref="Oracle"/>): meters
/// <c>api_calls</c> (Sum) and <c>storage_gb</c> (Max); plans <c>basic</c> and <c>pro</c> in USD with base fees,
/// sub-cent unit prices and included units; plan <c>prepaid</c> in the custom unit <c>credits</c>, 1 credit per call,
/// burned in real time, blocking usage when credits run out. Every plan is monthly.
/// </summary>
public static class SimulationWorld
{
    /// <summary>The clock's start: 2026-01-01T00:00Z.</summary>
    public static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>The custom credit unit.</summary>
    public static readonly Currency Credits = Currency.Custom("credits", 0);

    /// <summary>The grace window (default of the options).</summary>
    public static readonly Duration Grace = Duration.FromHours(1);

    /// <summary>The future tolerance (default of the options).</summary>
    public static readonly Duration FutureTolerance = Duration.FromMinutes(5);

    /// <summary>The hand-written price list: plan key to (currency, base fee, per-meter (rate, included units)).</summary>
    public static readonly IReadOnlyDictionary<string, PlanPrices> Prices = new Dictionary<string, PlanPrices>(StringComparer.Ordinal)
    {
        ["basic"] = new(Currency.USD, 9.99m, new() { ["api_calls"] = (0.002m, 0m), ["storage_gb"] = (0.05m, 100m) }),
        ["pro"] = new(Currency.USD, 49.00m, new() { ["api_calls"] = (0.0015m, 1000m), ["storage_gb"] = (0.10m, 0m) }),
        ["prepaid"] = new(Credits, 0m, new() { ["api_calls"] = (1m, 0m) }),
    };

    /// <summary>Meters and plans, declared as a host would.</summary>
    public static void Configure(MeteringOptions options)
    {
        // A close that failed is retried by the next run after 1 s (the shortest backoff), so the driver need not wait long.
        options.CloseRetryDelay = Duration.FromSeconds(1);
        options.CloseRetryMaxDelay = Duration.FromSeconds(1);
        options.AddMeter(Meter.Sum("api_calls")).AddMeter(Meter.Max("storage_gb"));
        options.AddPlan(Plan.Create("basic", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(9.99m)
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m))
            .WithCharge("storage_gb", PricingModel.PerUnit(0.05m, includedUnits: 100m))
            .Build());
        options.AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(49.00m)
            .WithCharge("api_calls", PricingModel.PerUnit(0.0015m, includedUnits: 1000m))
            .WithCharge("storage_gb", PricingModel.PerUnit(0.10m))
            .Build());
        options.AddPlan(Plan.Create("prepaid", Credits, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m), c => c.BurnsCreditsInRealTime = true)
            .WhenCreditsRunOut(CreditOverflow.Block)
            .Build());
    }
}

/// <summary>One plan's prices as the oracle sees them.</summary>
/// <param name="Currency">The plan currency.</param>
/// <param name="BaseFee">The base fee per full period.</param>
/// <param name="Charges">Per meter: the unit price and the included (free) units.</param>
public sealed record PlanPrices(Currency Currency, decimal BaseFee, Dictionary<string, (decimal Rate, decimal Included)> Charges);
