using BenchmarkDotNet.Attributes;

namespace Metering.Benchmarks.Micro;

/// <summary>
/// <see cref="UsageAggregate.Apply(decimal, Instant, UsageAction, string?)"/> per aggregation kind, folding
/// <see cref="RecordsPerInvoke"/> records per invocation (figures are per record). Sum is the baseline.
/// </summary>
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    /// <summary>Records folded per benchmark invocation.</summary>
    public const int RecordsPerInvoke = 1_000;

    private readonly decimal[] _quantities = new decimal[RecordsPerInvoke];
    private readonly Instant[] _timestamps = new Instant[RecordsPerInvoke];
    private readonly string[] _users = new string[RecordsPerInvoke];

    [GlobalSetup]
    public void Setup()
    {
        var start = Instant.FromUtc(2026, 1, 1, 0, 0);
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            _quantities[i] = (i % 17) + 0.5m;
            // Mostly rising timestamps with some out-of-order ones, as late records arrive.
            _timestamps[i] = start + Duration.FromSeconds(i % 10 == 9 ? i - 50 : i);
            // 250 distinct users, so UniqueCount both adds to and hits its set.
            _users[i] = "user-" + (i % 250).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RecordsPerInvoke)]
    public UsageAggregate Sum() => Fold(Aggregation.Sum);

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public UsageAggregate Sum_WithSetEvery100()
    {
        var aggregate = UsageAggregate.Empty(Aggregation.Sum);
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            aggregate = aggregate.Apply(_quantities[i], _timestamps[i], i % 100 == 0 ? UsageAction.Set : UsageAction.Increment);
        }

        return aggregate;
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public UsageAggregate Count() => Fold(Aggregation.Count);

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public UsageAggregate Max() => Fold(Aggregation.Max);

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public UsageAggregate Last() => Fold(Aggregation.Last);

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public UsageAggregate UniqueCount()
    {
        var aggregate = UsageAggregate.Empty(Aggregation.UniqueCount);
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            aggregate = aggregate.Apply(_quantities[i], _timestamps[i], UsageAction.Increment, _users[i]);
        }

        return aggregate;
    }

    private UsageAggregate Fold(Aggregation kind)
    {
        var aggregate = UsageAggregate.Empty(kind);
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            aggregate = aggregate.Apply(_quantities[i], _timestamps[i], UsageAction.Increment);
        }

        return aggregate;
    }
}
