// One app instance of the multi-process PostgreSQL test (Metering.PostgreSql.Tests.MultiProcessTest).
// Arguments: <connection string> <first key index> <key count> <customers> <usage start, Unix ticks> <clock start, Unix ticks>.
// It declares the same meter and plan as every instance, records keys [first, first + count) for every customer
// (instances overlap, so some records are retries of another instance's), prints "RECORDED <accepted> <duplicate>",
// then waits for "CLOSE <Unix ticks>" on stdin, moves its own test clock there, closes what is due and prints
// "CLOSED <invoices>". Any failure is printed to stderr with exit code 1.
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

try
{
    var connectionString = args[0];
    int first = int.Parse(args[1], CultureInfo.InvariantCulture);
    int count = int.Parse(args[2], CultureInfo.InvariantCulture);
    int customers = int.Parse(args[3], CultureInfo.InvariantCulture);
    var usageStart = Instant.FromUnixTimeTicks(long.Parse(args[4], CultureInfo.InvariantCulture));
    var clockStart = Instant.FromUnixTimeTicks(long.Parse(args[5], CultureInfo.InvariantCulture));

    await using var billing = TestMetering.Create(
        o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(LoadPlan.Standard()),
        clockStart,
        b => b.UsePostgreSql(connectionString));

    // One worker per customer: even customers record one at a time, odd ones in batches of 50.
    var workers = Enumerable.Range(0, customers).Select(c => Task.Run(async () =>
    {
        int accepted = 0, duplicate = 0;
        var records = Enumerable.Range(first, count).Select(i => LoadPlan.Record(c, i, usageStart)).ToArray();
        var outcomes = new List<UsageOutcome>(records.Length);
        if (c % 2 == 0)
        {
            foreach (var record in records)
            {
                outcomes.Add(await billing.Recorder.RecordAsync(record));
            }
        }
        else
        {
            foreach (var chunk in records.Chunk(50))
            {
                outcomes.AddRange(await billing.Recorder.RecordBatchAsync(chunk));
            }
        }

        foreach (var outcome in outcomes)
        {
            switch (outcome.Kind)
            {
                case UsageOutcomeKind.Accepted: accepted++; break;
                case UsageOutcomeKind.Duplicate: duplicate++; break;
                default: throw new InvalidOperationException($"Unexpected outcome {outcome.Kind}: {outcome.Rejection?.Message}");
            }
        }

        return (accepted, duplicate);
    })).ToArray();
    var totals = await Task.WhenAll(workers);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RECORDED {totals.Sum(t => t.accepted)} {totals.Sum(t => t.duplicate)}"));

    var command = await Console.In.ReadLineAsync() ?? throw new InvalidOperationException("stdin closed before CLOSE.");
    var parts = command.Split(' ');
    if (parts.Length != 2 || parts[0] != "CLOSE")
    {
        throw new InvalidOperationException($"Expected 'CLOSE <ticks>', got '{command}'.");
    }

    billing.Clock.AdvanceTo(Instant.FromUnixTimeTicks(long.Parse(parts[1], CultureInfo.InvariantCulture)));
    var report = await billing.PeriodCloser.CloseDueAsync();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CLOSED {report.Invoices.Count}"));
    return 0;
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync(e.ToString());
    return 1;
}

/// <summary>What every instance declares and records (content is a pure function of the key, so retries are duplicates).</summary>
internal static class LoadPlan
{
    /// <summary>Base fee 5.00 USD a month and 0.10 per API call.</summary>
    public static Plan Standard() =>
        Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(5.00m)
            .WithCharge("api_calls", PricingModel.PerUnit(0.10m))
            .Build();

    /// <summary>Record i of customer c: quantity 1 + i % 4, i seconds after the start.</summary>
    public static UsageRecord Record(int customer, int i, Instant start) =>
        new($"c{customer}", "api_calls", 1 + (i % 4), start + Duration.FromSeconds(i), $"c{customer}-u{i}");
}
