namespace Metering.Storage.Conformance;

/// <summary>
/// Instants are kept to the nanosecond: a record's timestamp reads back exactly, its retry is a Duplicate (not a
/// Conflict against a truncated copy), and Max/Last aggregates keep the exact latest timestamp, as in every store.
/// </summary>
public abstract class InstantPrecisionConformance : StoreTestBase
{
    // 2026-01-01T00:00:30.123456789Z: below the 100 ns of a tick.
    private static readonly Instant Precise = Start + Duration.FromSeconds(30) + Duration.FromNanoseconds(123_456_789);

    [Fact]
    public async Task NanosecondTimestamp_IsStoredExactly_AndItsRetryIsDuplicate()
    {
        await using var billing = CreatePreciseMetering();
        var sub = await SubscribeAsync(billing, "c1", "precise");
        billing.Clock.Advance(Duration.FromMinutes(1));
        var record = Usage("c1", 5m, Precise, "k1");

        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(record with { })).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await billing.Recorder.RecordBatchAsync([record with { }])).Single().Kind.Should().Be(UsageOutcomeKind.Duplicate);

        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().ContainSingle().Which.Timestamp.Should().Be(Precise, "the record was at {0}", Exact(Precise));
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task MaxAndLastAggregates_KeepTheExactLatestTimestamp()
    {
        await using var billing = CreatePreciseMetering();
        var sub = await SubscribeAsync(billing, "c1", "precise");
        billing.Clock.Advance(Duration.FromMinutes(1));

        (await billing.Recorder.RecordAsync(Usage("c1", 30m, Precise, "p1", meterKey: "storage_gb"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, Precise, "s1", meterKey: "seats"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // One nanosecond earlier: older than the Last value's record, so it must not win (a copy truncated to
        // 100 ns would look older than this record).
        var earlier = Precise - Duration.FromNanoseconds(1);
        (await billing.Recorder.RecordAsync(Usage("c1", 7m, earlier, "s2", meterKey: "seats"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var max = await AggregateOfAsync(billing, sub.SubscriptionId, Start, "storage_gb");
        max.Value.Should().Be(30m);
        max.LatestTimestamp.Should().Be(Precise, "the record was at {0}", Exact(Precise));

        var last = await AggregateOfAsync(billing, sub.SubscriptionId, Start, "seats");
        last.Value.Should().Be(5m);
        last.LatestTimestamp.Should().Be(Precise, "the record was at {0}", Exact(Precise));

        var records = await RecordsOfAsync(billing, sub.SubscriptionId, Start);
        records.Select(r => Exact(r.Timestamp)).Should().Equal(Exact(Precise), Exact(Precise), Exact(earlier));
    }

    // Instant.ToString shows no fraction; the message shows every digit.
    private static string Exact(Instant instant) => NodaTime.Text.InstantPattern.ExtendedIso.Format(instant);

    private TestMetering CreatePreciseMetering() =>
        CreateMetering(o => o
            .AddMeter(Meter.Sum("api_calls"))
            .AddMeter(Meter.Max("storage_gb"))
            .AddMeter(Meter.Last("seats"))
            .AddPlan(Plan.Create("precise", Currency.USD, BillingInterval.Months(1))
                .WithBaseFee(10.00m)
                .WithCharge("api_calls", PricingModel.PerUnit(2.00m))
                .WithCharge("storage_gb", PricingModel.PerUnit(0.25m))
                .WithCharge("seats", PricingModel.PerUnit(1.00m))
                .Build()));
}
