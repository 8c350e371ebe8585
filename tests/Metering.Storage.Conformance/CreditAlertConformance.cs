namespace Metering.Storage.Conformance;

/// <summary>
/// CreditsLow and CreditsExhausted are raised in the transaction where a real-time burn takes a balance across its
/// low threshold or to zero, once per crossing (issue #14), on every store.
/// </summary>
public abstract class CreditAlertConformance : StoreTestBase
{
    private TestMetering CreatePrepaid() => CreateMetering(o =>
    {
        o.AddMeter(Meter.Sum("api_calls"))
         .AddPlan(Plan.Create("prepaid", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(2.00m), c => c.BurnsCreditsInRealTime = true)
            .WhenCreditsRunOut(CreditOverflow.Block)
            .Build());
        o.LowCreditBalanceThresholds["USD"] = 10m;
    });

    private static async Task<List<BillingEvent>> AlertsAsync(TestMetering billing) =>
        [.. (await billing.Store.ReadAllEventsAsync())
            .Select(e => e.Event)
            .Where(e => e.Type is BillingEventType.CreditsLow or BillingEventType.CreditsExhausted)];

    [Fact]
    public async Task RealTimeBurn_CrossingTheThresholdThenZero_OneEventPerCrossing()
    {
        await using var billing = CreatePrepaid();
        await SubscribeAsync(billing, "c1", "prepaid");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(30.00m), GrantId = "g1" });

        (await billing.Recorder.RecordAsync(Usage("c1", 8m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await AlertsAsync(billing)).Should().BeEmpty("30.00 - 16.00 = 14.00 is above the threshold of 10.00");

        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, Start, "k3"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var low = (await AlertsAsync(billing)).Should().ContainSingle("14.00 -> 8.00 crosses 10.00 once; 8.00 -> 6.00 does not cross again").Subject;
        low.Type.Should().Be(BillingEventType.CreditsLow);
        low.CustomerId.Should().Be("c1");
        low.SubjectId.Should().Be("USD");
        var balance = low.Payload.Should().BeOfType<CreditBalanceEventPayload>().Subject;
        balance.Unit.Should().Be(Currency.USD);
        balance.Remaining.Should().Be(Usd(8.00m), "the crossing record leaves 30.00 - 16.00 - 6.00 (2.00 a call)");
        balance.Threshold.Should().Be(Usd(10.00m));

        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "k4"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "k4"))).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, Start, "k5"))).Reason.Should().Be(UsageRejectionReason.InsufficientCredits);

        var alerts = await AlertsAsync(billing);
        alerts.Select(e => e.Type).Should().Equal(BillingEventType.CreditsLow, BillingEventType.CreditsExhausted);
        alerts[1].Payload.Should().Be(new CreditBalanceEventPayload(Currency.USD, Usd(0m), null), "6.00 left after k3, and k4's 3 calls burn 6.00");
    }

    [Fact]
    public async Task VoidingTheLastGrant_RaisesCreditsExhausted()
    {
        await using var billing = CreatePrepaid();
        await SubscribeAsync(billing, "c1", "prepaid");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(30.00m), GrantId = "g1" });

        await billing.Credits.VoidAsync("c1", "g1", "refunded");

        (await AlertsAsync(billing)).Select(e => e.Type).Should().Equal(BillingEventType.CreditsExhausted);
    }
}
