namespace Metering.Storage.Conformance;

/// <summary>
/// Hard limits per period (<see cref="Charge.LimitPerPeriod"/>): a record that would take a charge past its cap is
/// rejected with <see cref="UsageRejectionReason.UsageLimitReached"/> and changes nothing; the cap counts again from
/// zero in the next period. Decided once in <see cref="UsageAppendRules.Decide"/>, so every store answers alike.
/// </summary>
public abstract class UsageLimitConformance : StoreTestBase
{
    private TestMetering CreateCapped() => CreateMetering(o => o
        .AddMeter(Meter.Sum("api_calls"))
        .AddPlan(Plan.Create("capped", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(10.00m)
            .WithCharge("api_calls", PricingModel.PerUnit(2.00m), c => c.LimitPerPeriod = 100m)
            .WithCharge("api_calls", PricingModel.PerUnit(5.00m), c => { c.Key = "eu_calls"; c.Where("region", "eu"); c.LimitPerPeriod = 10m; })
            .Build()));

    private static UsageRecord Eu(decimal quantity, Instant at, string key) =>
        Usage("c1", quantity, at, key) with { Properties = new Dictionary<string, string> { ["region"] = "eu" } };

    [Fact]
    public async Task Record_PastTheChargeLimit_UsageLimitReachedAndNothingChanges()
    {
        await using var billing = CreateCapped();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "capped" });
        var at = Start;

        (await billing.Recorder.RecordAsync(Usage("c1", 60m, at, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var over = await billing.Recorder.RecordAsync(Usage("c1", 50m, at, "k2"));
        (await billing.Recorder.RecordAsync(Usage("c1", 40m, at, "k3"))).Kind.Should().Be(UsageOutcomeKind.Accepted, "60 + 40 reaches the limit of 100 exactly");
        var oneMore = await billing.Recorder.RecordBatchAsync([Usage("c1", 1m, at, "k4"), Usage("c1", 0m, at, "k5")]);

        over.Reason.Should().Be(UsageRejectionReason.UsageLimitReached);
        over.Rejection!.Value.Message.Should().Contain("'api_calls' is limited to 100 per period and is at 60").And.Contain("to 110");
        oneMore[0].Reason.Should().Be(UsageRejectionReason.UsageLimitReached);
        oneMore[1].Kind.Should().Be(UsageOutcomeKind.Accepted, "a record that does not raise the quantity is never over the limit");
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(100m);
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Select(r => r.IdempotencyKey).Should().Equal("k1", "k3", "k5");
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, at, "k2"))).Kind.Should().Be(UsageOutcomeKind.Rejected, "the rejected key was not claimed, but the limit still holds");

        // 10.00 + 100 x 2.00 = 210.00; the next period starts from zero again.
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        report.Invoices.Single().Total.Should().Be(Usd(210.00m));
        var next = billing.Clock.GetCurrentInstant();
        (await billing.Recorder.RecordAsync(Usage("c1", 100m, next, "k6"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
    }

    [Fact]
    public async Task Record_PastAFilteredChargesLimit_RejectedWholeEvenThoughTheMeterHasRoom()
    {
        await using var billing = CreateCapped();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "capped" });
        var at = Start;

        (await billing.Recorder.RecordAsync(Eu(8m, at, "e1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var over = await billing.Recorder.RecordAsync(Eu(3m, at, "e2"));

        over.Reason.Should().Be(UsageRejectionReason.UsageLimitReached);
        over.Rejection!.Value.Message.Should().Contain("'eu_calls' is limited to 10");
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(8m, "the meter-level aggregate must not keep half of a rejected record");
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start, "api_calls|eu_calls")).Quantity.Should().Be(8m);
    }
}
