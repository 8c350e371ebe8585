namespace Metering.Tests.Events;

using Metering;

/// <summary>The typed payloads a subscription's lifecycle stores, read back from the store.</summary>
public class LifecycleEventPayloadTest
{
    // April 2026 has 30 days.
    private static readonly Instant April1 = Instant.FromUtc(2026, 4, 1, 0, 0);
    private static readonly Instant April11 = Instant.FromUtc(2026, 4, 11, 0, 0);
    private static readonly BillingPeriod April = new(0, April1, Instant.FromUtc(2026, 5, 1, 0, 0));

    private static TestMetering Create() => TestMetering.Create(
        o => o.AddPlan(Plan.Create("team", Currency.USD, BillingInterval.Months(1)).WithBaseFee(12.00m, perSeat: true).Build()),
        April1);

    private static Money Usd(decimal amount) => new(amount, Currency.USD);

    private static async Task<List<BillingEvent>> EventsAsync(TestMetering billing) =>
        [.. (await billing.Store.ReadEventsAsync(null, 1000, CancellationToken.None)).Select(e => e.Event)];

    [Fact]
    public async Task SeatsCancelReactivateCancelNow_EachEvent_CarriesTheSubscriptionAfterIt()
    {
        await using var billing = Create();
        await billing.Subscriptions.CreateCustomerAsync("c1");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", Seats = 2, SubscriptionId = "s1" });

        await billing.Subscriptions.SetSeatsAsync("s1", 5);
        await billing.Subscriptions.CancelAtPeriodEndAsync("s1");
        await billing.Subscriptions.ReactivateAsync("s1");
        billing.Clock.AdvanceTo(April11);
        var invoice = await billing.Subscriptions.CancelNowAsync("s1");

        var events = await EventsAsync(billing);
        events.Select(e => e.Type).Should().Equal(
            BillingEventType.SubscriptionActivated,
            BillingEventType.SubscriptionSeatsChanged,
            BillingEventType.SubscriptionCancellationScheduled,
            BillingEventType.SubscriptionReactivated,
            BillingEventType.InvoiceCreated,
            BillingEventType.InvoiceFinalized,
            BillingEventType.SubscriptionCanceled);
        sub.CurrentPeriod.Should().Be(April);
        events[0].Payload.Should().Be(new SubscriptionEventPayload("s1", "team", 1, April, 2, null, null));
        events[1].Payload.Should().Be(new SubscriptionEventPayload("s1", "team", 1, April, 5, null, null));
        events[2].Payload.Should().Be(new SubscriptionEventPayload("s1", "team", 1, April, 5, April.End, null));
        events[3].Payload.Should().Be(new SubscriptionEventPayload("s1", "team", 1, April, 5, null, null));
        events[6].Payload.Should().Be(new SubscriptionEventPayload("s1", "team", 1, April, 5, April11, April11));

        // 5 seats × 12.00, prorated to 10 of April's 30 days: 60.00 × 1/3 = 20.00.
        var expected = new InvoiceEventPayload(
            invoice.InvoiceId, 1, "s1", new BillingPeriod(0, April1, April11), InvoiceReason.Cancellation, InvoiceStatus.Finalized, Usd(20.00m), 0,
            [new InvoiceLineSummary(InvoiceLineKind.BaseFee, null, Usd(20.00m))]);
        events[4].Payload.Should().Be(expected);
        events[5].Payload.Should().Be(expected);
        events.Should().OnlyContain(e => e.CustomerId == "c1" && e.SchemaVersion == 1);
    }

    [Fact]
    public async Task CreditsGrantedAndExpired_CarryTheGrantAndAmount()
    {
        await using var billing = Create();
        await billing.Subscriptions.CreateCustomerAsync("c1");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(25.00m), GrantId = "g1", ExpiresAt = April11 });
        billing.Clock.AdvanceTo(April11);

        await billing.Credits.ExpireDueAsync();

        var events = await EventsAsync(billing);
        events.Where(e => e.Type == BillingEventType.CreditsGranted).Should().ContainSingle().Which.Payload.Should().Be(new CreditGrantEventPayload("g1", Usd(25.00m)));
        var expired = events.Where(e => e.Type == BillingEventType.CreditsExpired).Should().ContainSingle().Subject;
        expired.Payload.Should().Be(new CreditGrantEventPayload("g1", Usd(25.00m)), "nothing of it was used");
        expired.SubjectId.Should().Be("g1");
        expired.OccurredAt.Should().Be(April11);
    }
}
