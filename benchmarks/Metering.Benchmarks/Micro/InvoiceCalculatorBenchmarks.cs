using BenchmarkDotNet.Attributes;

namespace Metering.Benchmarks.Micro;

/// <summary>
/// <see cref="InvoiceCalculator.Calculate"/> for a one-charge plan under each pricing model. The quantity lands in the
/// last (unbounded) tier, so Graduated walks every tier. Per-unit is the baseline; it and Package ignore the tier count.
/// </summary>
[MemoryDiagnoser]
public class InvoiceCalculatorBenchmarks
{
    private static readonly BillingPeriod Period = new(0, Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0));
    private readonly InvoiceCalculator _calculator = new();
    private InvoiceInput _perUnit = null!;
    private InvoiceInput _package = null!;
    private InvoiceInput _graduated = null!;
    private InvoiceInput _volume = null!;

    /// <summary>Number of tiers in the Graduated and Volume tables.</summary>
    [Params(3, 10, 50)]
    public int Tiers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var tiers = new PriceTier[Tiers];
        for (int i = 0; i < Tiers; i++)
        {
            // 1,000 units per tier, each tier a little cheaper; the last one unbounded.
            tiers[i] = new PriceTier(i == Tiers - 1 ? null : 1_000m * (i + 1), 0.0100m - (0.0001m * i), i == 0 ? 0m : 1.00m);
        }

        decimal quantity = (1_000m * Tiers) + 123.5m;
        _perUnit = Input(PricingModel.PerUnit(0.002m, includedUnits: 100m), quantity);
        _package = Input(PricingModel.Package(250m, 1.25m), quantity);
        _graduated = Input(PricingModel.Graduated(tiers), quantity);
        _volume = Input(PricingModel.Volume(tiers), quantity);
    }

    [Benchmark(Baseline = true)]
    public CalculatedInvoice PerUnit() => _calculator.Calculate(_perUnit);

    [Benchmark]
    public CalculatedInvoice Package() => _calculator.Calculate(_package);

    [Benchmark]
    public CalculatedInvoice Graduated() => _calculator.Calculate(_graduated);

    [Benchmark]
    public CalculatedInvoice Volume() => _calculator.Calculate(_volume);

    private static InvoiceInput Input(PricingModel pricing, decimal quantity)
    {
        var plan = Plan.Create("bench", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(49.00m)
            .WithCharge("api_calls", pricing)
            .Build();
        return new InvoiceInput(plan, Period, new Dictionary<string, decimal>(StringComparer.Ordinal) { [plan.Charges[0].Key] = quantity });
    }
}
