using Metering.Storage;
using Metering.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Tests.Usage;

/// <summary>
/// Two app instances on one store: each caches subscriptions for attribution, so one instance's cache goes stale
/// when the other changes a plan (or when a change's acknowledgement was lost). A stale cache must never turn a
/// valid record into a rejection.
/// </summary>
public sealed class StaleSubscriptionCacheTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static void Configure(MeteringOptions o) => o
        .AddMeter(Meter.Sum("api_calls"))
        .AddPlan(Plan.Create("basic", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1m)).Build())
        .AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(0.5m)).Build());

    [Fact]
    public async Task Batch_AfterAnotherInstanceChangedThePlan_IsAcceptedOnTheNewPlan()
    {
        // Regression (found by the simulation): the batch path never refreshed a stale cache, so every batch record of
        // the customer came back Rejected(InvalidRecord, "moved to plan ... send it again"), retries included.
        IMeteringStore shared = new InMemoryMeteringStore();
        await using var first = TestMetering.Create(Configure, Start, b => b.UseStore(_ => shared));
        await using var second = TestMetering.Create(Configure, Start, b => b.UseStore(_ => shared));
        await first.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await first.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "basic", SubscriptionId = "s1" });
        first.Clock.Advance(Duration.FromDays(2));
        second.Clock.Advance(Duration.FromDays(2));
        (await first.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 1m, first.Clock.Now, "before"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var change = await second.Subscriptions.ChangePlanAsync("s1", "pro");
        first.Clock.Advance(Duration.FromMinutes(1));
        var outcomes = await first.Recorder.RecordBatchAsync(
        [
            new UsageRecord("c1", "api_calls", 3m, first.Clock.Now, "after-1"),
            new UsageRecord("c1", "api_calls", 4m, first.Clock.Now, "after-2"),
            new UsageRecord("c1", "api_calls", 4m, first.Clock.Now, "after-2"),
        ]);

        outcomes.Select(o => o.Kind).Should().Equal(UsageOutcomeKind.Accepted, UsageOutcomeKind.Accepted, UsageOutcomeKind.Duplicate);
        outcomes[0].PeriodStart.Should().Be(change.Subscription.CurrentPeriod.Start, "the record lands in the new plan's period");
        var aggregates = await shared.GetAggregatesAsync("s1", change.Subscription.CurrentPeriod.Start, CancellationToken.None);
        aggregates.Single(a => a.Key == AggregateKey.ForMeter("api_calls")).Aggregate.Quantity.Should().Be(7m);
    }

    [Fact]
    public async Task Record_AfterAnotherInstanceSubscribedTheCustomer_IsAccepted()
    {
        // Regression (same class): a cached "no subscription" answer was never refreshed, so one instance kept rejecting
        // a customer's records as NoActiveSubscription after another instance had subscribed them.
        IMeteringStore shared = new InMemoryMeteringStore();
        await using var first = TestMetering.Create(Configure, Start, b => b.UseStore(_ => shared));
        await using var second = TestMetering.Create(Configure, Start, b => b.UseStore(_ => shared));
        await first.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var early = await first.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 1m, Start, "early"));
        early.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription, "c1 has no subscription yet");

        await second.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "basic", SubscriptionId = "s1" });

        (await first.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 2m, Start, "single"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await first.Recorder.RecordBatchAsync([new UsageRecord("c1", "api_calls", 3m, Start, "batch")])).Single().Kind.Should().Be(UsageOutcomeKind.Accepted);
        var aggregates = await shared.GetAggregatesAsync("s1", Start, CancellationToken.None);
        aggregates.Single(a => a.Key == AggregateKey.ForMeter("api_calls")).Aggregate.Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task ManyMoreCustomersThanTheCacheCapacity_KeepAtMostTheCapacity_AndEveryRecordIsAccepted()
    {
        await using var billing = TestMetering.Create(o =>
        {
            Configure(o);
            o.SubscriptionCacheCapacity = 6;
        }, Start);
        var cache = billing.Services.GetRequiredService<SubscriptionCache>();
        for (var i = 0; i < 30; i++)
        {
            await billing.Subscriptions.CreateCustomerAsync($"c{i}", $"c{i}", "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{i}", PlanKey = "basic" });
        }

        var most = 0;
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 30; i++)
            {
                (await billing.Recorder.RecordAsync(new UsageRecord($"c{i}", "api_calls", 1m, Start, $"r{round}-c{i}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
                most = Math.Max(most, cache.Count);
            }
        }

        most.Should().BeLessThanOrEqualTo(6).And.BeGreaterThan(0, "it does keep customers");
    }
}
