using BenchmarkDotNet.Attributes;

namespace Metering.Benchmarks.Micro;

/// <summary>
/// <see cref="CreditLedger.Consume"/> on a ledger of 1, 10 or 100 active grants (mixed priorities and expiries).
/// Baseline: a small amount the first grant in burn order covers; compared with an amount that drains every grant.
/// </summary>
[MemoryDiagnoser]
public class CreditBurnBenchmarks
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Instant At = Start + Duration.FromDays(3);
    private CreditLedger _ledger = null!;
    private Money _small;
    private Money _all;

    /// <summary>Active grants on the ledger.</summary>
    [Params(1, 10, 100)]
    public int Grants { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ledger = CreditLedger.Empty("customer-1");
        for (int i = 0; i < Grants; i++)
        {
            var grant = new CreditGrant(
                grantId: "grant-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                customerId: "customer-1",
                amount: new Money(10.00m, Currency.USD),
                category: i % 2 == 0 ? CreditCategory.Promotional : CreditCategory.Paid,
                effectiveAt: Start,
                expiresAt: i % 3 == 0 ? null : Start + Duration.FromDays(30 + i),
                priority: i % 4);
            ledger = ledger.Grant(grant);
        }

        _ledger = ledger;
        _small = new Money(0.25m, Currency.USD);
        _all = new Money((10.00m * Grants) - 0.01m, Currency.USD);
    }

    [Benchmark(Baseline = true)]
    public CreditLedger Consume_CoveredByFirstGrant() => _ledger.Consume(_small, At).Ledger;

    [Benchmark]
    public CreditLedger Consume_DrainsEveryGrant() => _ledger.Consume(_all, At).Ledger;

    [Benchmark]
    public bool CanCover() => _ledger.CanCover(_all, At);
}
