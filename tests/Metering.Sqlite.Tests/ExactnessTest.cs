using System.Globalization;
using Metering.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>SQLite's REAL is a double; the store must never pass money or quantities through it.</summary>
public class ExactnessTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>Customer "c" with subscription "s" to a plan charging <paramref name="meter"/> per unit, a minute into its period.</summary>
    private static async Task<TestMetering> SubscribedAsync(TempDatabase db, Meter meter, decimal unitPrice)
    {
        var billing = TestMetering.Create(
            o => o.AddMeter(meter).AddPlan(Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge(meter.Key, PricingModel.PerUnit(unitPrice)).Build()),
            Start,
            b => b.UseSqlite(db.Path));
        await billing.Subscriptions.CreateCustomerAsync("c", null, "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c", PlanKey = "p", SubscriptionId = "s" });
        billing.Clock.Advance(Duration.FromMinutes(1));
        return billing;
    }

    [Fact]
    public async Task Sum_AMillionRecordsOfOneMillionth_ExactlyOne()
    {
        using var db = new TempDatabase();
        const int total = 1_000_000;
        const int batchSize = 10_000;
        await using (var billing = await SubscribedAsync(db, Meter.Sum("tokens"), 1m))
        {
            var at = billing.Clock.Now;
            for (int batch = 0; batch < total / batchSize; batch++)
            {
                var records = new UsageRecord[batchSize];
                for (int i = 0; i < batchSize; i++)
                {
                    records[i] = new UsageRecord("c", "tokens", 0.000001m, at, string.Create(CultureInfo.InvariantCulture, $"k{batch}-{i}"));
                }

                var outcomes = await billing.Recorder.RecordBatchAsync(records);
                outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
            }
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        var aggregate = (await reopened.GetAggregatesAsync("s", Start, TestContext.Current.CancellationToken)).Should().ContainSingle().Subject.Aggregate;
        aggregate.Quantity.Should().Be(1m);
        aggregate.Quantity.ToString(CultureInfo.InvariantCulture).Should().Be("1.000000", "the scale survives the read too");
        aggregate.RecordCount.Should().Be(total);

        // The stored text is the exact decimal (a double sum of 0.000001 drifts to 1.0000000000079...).
        await using var connection = new SqliteConnection($"Data Source={db.Path};Pooling=False");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value, (SELECT COUNT(*) FROM usage_records) FROM aggregates";
        using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        (await reader.ReadAsync(TestContext.Current.CancellationToken)).Should().BeTrue();
        reader.GetString(0).Should().Be("1.000000");
        reader.GetInt64(1).Should().Be(total);
    }

    [Theory]
    [InlineData("999999999999999.9999999999999")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("1000000000000000")]
    [InlineData("0.50")]
    public async Task Aggregate_EveryDigitAndTheScale_ReadBackExactly(string quantity)
    {
        using var db = new TempDatabase();
        var value = decimal.Parse(quantity, CultureInfo.InvariantCulture);
        await using (var billing = await SubscribedAsync(db, Meter.Max("peak"), 0m))
        {
            (await billing.Recorder.RecordAsync(new UsageRecord("c", "peak", value, billing.Clock.Now, "k"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
            var current = await billing.Usage.GetCurrentAsync("s");
            current.Usage.Should().ContainSingle().Which.Quantity.ToString(CultureInfo.InvariantCulture).Should().Be(quantity);
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        var aggregate = (await reopened.GetAggregatesAsync("s", Start, TestContext.Current.CancellationToken)).Should().ContainSingle().Subject.Aggregate;
        aggregate.Quantity.ToString(CultureInfo.InvariantCulture).Should().Be(quantity);
    }
}
