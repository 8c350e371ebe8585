using Microsoft.Extensions.DependencyInjection;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// <see cref="PostgreSqlStoreOptions.CacheCapacity"/>: the decoded subscriptions and credit ledgers the store keeps stay
/// within it however many customers are read and written, and everything read through caches far smaller than the
/// data is what is stored.
/// </summary>
public sealed class CacheCapacityTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task ReadsAndCreditWritesOfFiveTimesTheCapacity_KeepAtMostTheCapacityOfEach_AndReadRight()
    {
        var plan = Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m).WithCharge("api_calls", PricingModel.PerUnit(2m)).Build();
        await using var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan), Start, b => b.UsePostgreSql(server.CreateDatabase(), o => o.CacheCapacity = 8));
        var store = (PostgreSqlMeteringStore)billing.Store;
        var ids = new List<string>();
        var most = (Subscriptions: 0, Ledgers: 0);
        for (var i = 0; i < 40; i++)
        {
            await billing.Subscriptions.CreateCustomerAsync($"c{i}", $"c{i}", "UTC");
            ids.Add((await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{i}", PlanKey = "standard" })).SubscriptionId);
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = $"c{i}", Amount = new Money(1m, Currency.USD), GrantId = $"g{i}" });
            (await billing.Recorder.RecordAsync(new UsageRecord($"c{i}", "api_calls", i, Start, $"k{i}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
            most = (Math.Max(most.Subscriptions, store.CachedCounts.Subscriptions), Math.Max(most.Ledgers, store.CachedCounts.Ledgers));
        }

        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                // 10.00 + 2.00 per call, less the 1.00 credit.
                (await billing.Usage.GetCurrentAsync(ids[i])).Estimate.Total.Should().Be(new Money(9m + (2m * i), Currency.USD));
                most = (Math.Max(most.Subscriptions, store.CachedCounts.Subscriptions), Math.Max(most.Ledgers, store.CachedCounts.Ledgers));
            }
        }

        most.Subscriptions.Should().BeLessThanOrEqualTo(8).And.BeGreaterThan(0, "it does keep subscriptions");
        most.Ledgers.Should().BeLessThanOrEqualTo(8).And.BeGreaterThan(0, "it does keep ledgers");
    }
}
