namespace Metering.Storage.Conformance;

/// <summary>
/// <see cref="IUsageQuery.GetDailyUsageAsync"/>: a period's raw records folded per meter and per day in the customer's
/// time zone, every day up to now listed, each day folded with the meter's own aggregation; closed periods too.
/// </summary>
public abstract class DailyUsageConformance : StoreTestBase
{
    // Kingston is UTC-5 all year: a local day runs 05:00Z to 05:00Z.
    private static readonly Instant March = Instant.FromUtc(2026, 3, 1, 5, 0);

    private TestMetering CreateShipping() => CreateMetering(o => o
        .AddMeter(Meter.Sum("packages"))
        .AddMeter(Meter.Max("trucks"))
        .AddPlan(Plan.Create("shipping", Currency.JMD, BillingInterval.Months(1))
            .WithBaseFee(2_999.00m)
            .WithCharge("packages", PricingModel.PerUnit(50.00m))
            .WithCharge("trucks", PricingModel.PerUnit(100.00m))
            .Build()), March);

    private static async Task<Subscription> SubscribeKingstonAsync(TestMetering billing)
    {
        await billing.Subscriptions.CreateCustomerAsync("m1", "Kingston Parcels", "America/Jamaica");
        return await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "m1", PlanKey = "shipping", SubscriptionId = "s1" });
    }

    private static UsageRecord Record(string meter, decimal quantity, Instant at, string key) => new("m1", meter, quantity, at, key);

    [Fact]
    public async Task OpenPeriod_FoldsEachLocalDay_UpToToday()
    {
        await using var billing = CreateShipping();
        var sub = await SubscribeKingstonAsync(billing);
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 3, 4, 12, 0));
        var outcomes = await billing.Recorder.RecordBatchAsync([
            Record("packages", 1m, Instant.FromUtc(2026, 3, 1, 10, 0), "p1"),
            Record("packages", 2m, Instant.FromUtc(2026, 3, 2, 4, 59), "p2"),   // still 1 March in Kingston
            Record("packages", 4m, Instant.FromUtc(2026, 3, 2, 5, 0), "p3"),    // 2 March
            Record("trucks", 3m, Instant.FromUtc(2026, 3, 2, 6, 0), "t1"),
            Record("trucks", 2m, Instant.FromUtc(2026, 3, 2, 7, 0), "t2"),      // the day's Max stays 3
            Record("trucks", 1m, Instant.FromUtc(2026, 3, 4, 6, 0), "t3"),
            Record("packages", 7m, Instant.FromUtc(2026, 3, 4, 12, 0), "p4"),  // exactly now: today counts it
        ]);
        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);

        var daily = await billing.Usage.GetDailyUsageAsync(sub.SubscriptionId);

        daily.TimeZoneId.Should().Be("America/Jamaica");
        daily.Period.Start.Should().Be(March);
        daily.Meters.Select(m => m.MeterKey).Should().Equal("packages", "trucks");
        var days = Enumerable.Range(1, 4).Select(d => new LocalDate(2026, 3, d)).ToArray();
        daily.Meters[0].Days.Should().Equal(
            new DayUsage(days[0], 3m, 2), new DayUsage(days[1], 4m, 1), new DayUsage(days[2], 0m, 0), new DayUsage(days[3], 7m, 1));
        daily.Meters[1].Days.Should().Equal(
            new DayUsage(days[0], 0m, 0), new DayUsage(days[1], 3m, 2), new DayUsage(days[2], 0m, 0), new DayUsage(days[3], 1m, 1));
    }

    [Fact]
    public async Task ClosedPeriod_ListsEveryDayOfTheMonth_AndAWrongStartIsATypedError()
    {
        await using var billing = CreateShipping();
        var sub = await SubscribeKingstonAsync(billing);
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 4, 1, 4, 0));
        (await billing.Recorder.RecordAsync(Record("packages", 5m, Instant.FromUtc(2026, 3, 31, 23, 0), "late-march"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Record("packages", 5m, Instant.FromUtc(2026, 4, 1, 3, 0), "last-evening"))).Kind.Should().Be(UsageOutcomeKind.Accepted); // 31 March local
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var march = await billing.Usage.GetDailyUsageAsync(sub.SubscriptionId, March);
        var april = await billing.Usage.GetDailyUsageAsync(sub.SubscriptionId);

        march.Meters[0].Days.Should().HaveCount(31);
        march.Meters[0].Days[30].Should().Be(new DayUsage(new LocalDate(2026, 3, 31), 10m, 2));
        march.Meters[0].Days.Take(30).Should().OnlyContain(d => d.Quantity == 0m && d.RecordCount == 0);
        april.Period.Start.Should().Be(Instant.FromUtc(2026, 4, 1, 5, 0));
        april.Meters[0].Days.Should().Equal(new DayUsage(new LocalDate(2026, 4, 1), 0m, 0));
        var wrong = async () => await billing.Usage.GetDailyUsageAsync(sub.SubscriptionId, March + Duration.FromHours(1));
        (await wrong.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        var unknown = async () => await billing.Usage.GetDailyUsageAsync("nope");
        (await unknown.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
    }
}
