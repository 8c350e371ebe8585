namespace Metering.Tests.EndToEnd;

using Metering;

public class ApiProductTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 4, 1, 0, 0);

    private static TestMetering Create() => TestMetering.Create(o =>
    {
        o.AddMeter(Meter.Sum("requests"))
         .AddMeter(Meter.Last("storage_gb"))
         .AddMeter(Meter.Max("concurrency"))
         .AddPlan(Plan.Create("api", Currency.EUR, BillingInterval.Months(1))
            .WithCharge("requests", PricingModel.PerUnit(0.002m))
            .WithCharge("storage_gb", PricingModel.PerUnit(0.10m))
            .WithCharge("concurrency", PricingModel.PerUnit(1.00m))
            .WithFeature(Feature.On("api_access"))
            .Build());
    }, Start);

    private static async Task<Subscription> SubscribeAsync(TestMetering billing)
    {
        await billing.Subscriptions.CreateCustomerAsync("acme");
        return await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "acme", PlanKey = "api" });
    }

    [Fact]
    public async Task BatchedReports_WithRetries_CountOnce_AndPriceSubCent()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        billing.Clock.Advance(Duration.FromDays(3));

        // 18 batches of 1,000 requests each (as 1,000-request reports) + one of 420: 18,420 requests.
        for (int batch = 0; batch < 18; batch++)
        {
            var records = Enumerable.Range(0, 10)
                .Select(i => new UsageRecord("acme", "requests", 100m, billing.Clock.Now, $"req-{batch}-{i}"))
                .ToList();
            var outcomes = await billing.Recorder.RecordBatchAsync(records);
            outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);

            // The client retries the whole batch after a timeout: nothing is counted twice.
            var retried = await billing.Recorder.RecordBatchAsync(records);
            retried.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Duplicate);
        }

        (await billing.Recorder.RecordAsync(new UsageRecord("acme", "requests", 420m, billing.Clock.Now, "req-last"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // Running total mid-period: 18,420 × 0.002 = 36.84 EUR.
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Usage.Single(u => u.MeterKey == "requests").Quantity.Should().Be(18_420m);
        current.Estimate.Lines.Single(l => l.ChargeKey == "requests").Amount.Should().Be(new Money(36.84m, Currency.EUR));
    }

    [Fact]
    public async Task OneRequest_RoundsToZeroCents()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        await billing.Recorder.RecordAsync(new UsageRecord("acme", "requests", 1m, billing.Clock.Now, "one"));

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // 1 × 0.002 = 0.002 EUR, rounded half-up to cents: 0.00.
        invoice.Total.Should().Be(new Money(0.00m, Currency.EUR));
    }

    [Fact]
    public async Task LastAndMax_UseLatestTimestampAndHighestValue()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        var day = Duration.FromDays(1);
        billing.Clock.Advance(Duration.FromDays(10));

        // Reported out of order: the day-5 report (40 GB) arrives after the day-7 one (25 GB).
        await billing.Recorder.RecordAsync(new UsageRecord("acme", "storage_gb", 25m, Start + (7 * day), "gb-7"));
        await billing.Recorder.RecordAsync(new UsageRecord("acme", "storage_gb", 40m, Start + (5 * day), "gb-5"));
        await billing.Recorder.RecordAsync(new UsageRecord("acme", "concurrency", 3m, Start + (2 * day), "c-2"));
        await billing.Recorder.RecordAsync(new UsageRecord("acme", "concurrency", 9m, Start + (3 * day), "c-3"));
        await billing.Recorder.RecordAsync(new UsageRecord("acme", "concurrency", 4m, Start + (4 * day), "c-4"));

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // Last = 25 GB (latest timestamp, day 7) × 0.10 = 2.50; Max = 9 × 1.00 = 9.00; total 11.50.
        invoice.Content.Lines.Single(l => l.ChargeKey == "storage_gb").Quantity.Should().Be(25m);
        invoice.Content.Lines.Single(l => l.ChargeKey == "concurrency").Quantity.Should().Be(9m);
        invoice.Total.Should().Be(new Money(11.50m, Currency.EUR));
    }

    [Fact]
    public async Task BackdatedRecordForClosedPeriod_IsRejectedWithReason()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var outcome = await billing.Recorder.RecordAsync(new UsageRecord("acme", "requests", 5m, Start + Duration.FromDays(20), "late"));

        outcome.Kind.Should().Be(UsageOutcomeKind.Rejected);
        outcome.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        outcome.Rejection.Value.Message.Should().Contain("closed");
    }

    [Fact]
    public async Task FeatureCheck_FollowsActivePlan()
    {
        await using var billing = Create();
        await SubscribeAsync(billing);

        (await billing.Entitlements.CheckAsync("acme", "api_access")).Enabled.Should().BeTrue();
        (await billing.Entitlements.CheckAsync("acme", "sso")).Enabled.Should().BeFalse();
    }
}
