using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// Disposing the store closes every connection it opened: the writer's, the checkpointer's and the read connections
/// with the raw statements cached on them. SQLite then checkpoints and deletes the write-ahead log; a connection left
/// open (a statement never finalized keeps its handle alive) would leave the log behind.
/// </summary>
public sealed class ConnectionLifetimeTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task Dispose_AfterConcurrentReadsOnEveryReadPath_ClosesEveryConnection()
    {
        using var db = new TempDatabase();
        await using (var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("calls")).AddMeter(Meter.UniqueCount("users", "user"))
                .AddPlan(Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m).WithCharge("calls", PricingModel.PerUnit(0.5m)).WithCharge("users", PricingModel.PerUnit(1m)).Build()),
            Start,
            b => b.UseSqlite(db.Path)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c", null, "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c", PlanKey = "p", SubscriptionId = "s" });
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c", Amount = new Money(3m, Currency.USD) });
            billing.Clock.Advance(Duration.FromMinutes(1));
            for (int i = 0; i < 4; i++)
            {
                var properties = new Dictionary<string, string> { ["user"] = $"u{i % 2}" };
                (await billing.Recorder.RecordAsync(new UsageRecord("c", "calls", 2m, billing.Clock.Now, $"k{i}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
                (await billing.Recorder.RecordAsync(new UsageRecord("c", "users", 1m, billing.Clock.Now, $"u{i}") { Properties = properties })).Kind.Should().Be(UsageOutcomeKind.Accepted);
            }

            // Reads in parallel open several read connections, each caching its raw statements.
            var previews = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
                i % 2 == 0 ? (await billing.Usage.GetCurrentAsync("s")).Estimate.Total : (await billing.Invoices.PreviewAsync("s")).Total));
            previews.Should().OnlyContain(t => t == new Money(13m, Currency.USD), "10.00 + 8 calls x 0.50 + 2 users x 1.00 - 3.00 of credits");
            File.Exists(db.Path + "-wal").Should().BeTrue("the store keeps the database in WAL mode while open");
        }

        File.Exists(db.Path + "-wal").Should().BeFalse("the last connection to close checkpoints and removes the log");
    }
}
