using Metering.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// <see cref="SqliteStoreOptions.CacheCapacity"/>: the decoded subscriptions the current-usage read keeps stay within
/// it however many subscriptions are read, and reads through a cache far smaller than the data read what is stored.
/// </summary>
public class CacheCapacityTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task CurrentUsageOfFiveTimesTheCapacity_KeepsAtMostTheCapacity_AndReadsEverySubscriptionRight()
    {
        using var db = new TempDatabase();
        var plan = Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m).WithCharge("api_calls", PricingModel.PerUnit(2m)).Build();
        await using var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan), Start, b => b.UseSqlite(db.Path, o => o.CacheCapacity = 8));
        var store = (SqliteMeteringStore)billing.Store;
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            await billing.Subscriptions.CreateCustomerAsync($"c{i}", $"c{i}", "UTC");
            ids.Add((await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{i}", PlanKey = "standard" })).SubscriptionId);
            (await billing.Recorder.RecordAsync(new UsageRecord($"c{i}", "api_calls", i, Start, $"k{i}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        var most = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                // 10.00 + 2.00 per call.
                (await billing.Usage.GetCurrentAsync(ids[i])).Estimate.Total.Should().Be(new Money(10m + (2m * i), Currency.USD));
                most = Math.Max(most, store.CachedSubscriptionCount);
            }
        }

        most.Should().BeLessThanOrEqualTo(8).And.BeGreaterThan(0, "it does keep some");
    }

    [Fact]
    public async Task CapacityZero_KeepsNoSubscription_AndStillReads()
    {
        using var db = new TempDatabase();
        var plan = Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m).Build();
        await using var billing = TestMetering.Create(o => o.AddPlan(plan), Start, b => b.UseSqlite(db.Path, o => o.CacheCapacity = 0));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var id = (await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" })).SubscriptionId;

        (await billing.Usage.GetCurrentAsync(id)).Estimate.Total.Should().Be(new Money(10m, Currency.USD));
        (await billing.Usage.GetCurrentAsync(id)).Estimate.Total.Should().Be(new Money(10m, Currency.USD));
        ((SqliteMeteringStore)billing.Store).CachedSubscriptionCount.Should().Be(0);
    }
}
