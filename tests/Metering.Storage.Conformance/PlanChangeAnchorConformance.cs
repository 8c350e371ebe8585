namespace Metering.Storage.Conformance;

/// <summary>
/// Issue #17 through the store (DESIGN §3): a plan change keeps the billing anchor unless the host asks to reset it,
/// and seat changes mid-period are prorated by time. Periods run monthly in UTC from 2026-11-01 (November has 30 days).
/// Plans: basic 30.00 base + 1.00 per call; pro 60.00 base + 0.50 per call; weekly 7.00 base every week + 1.00 per call;
/// team 10.00 per seat per month.
/// </summary>
public abstract class PlanChangeAnchorConformance : StoreTestBase
{
    private static readonly Instant November = Instant.FromUtc(2026, 11, 1, 0, 0);
    private static readonly Instant December = Instant.FromUtc(2026, 12, 1, 0, 0);
    private static readonly Instant January = Instant.FromUtc(2027, 1, 1, 0, 0);

    private static Instant NovemberDay(int day) => Instant.FromUtc(2026, 11, day, 0, 0);

    private TestMetering CreatePlans() => CreateMetering(
        o => o.AddMeter(Meter.Sum("api_calls"))
            .AddPlan(Plan.Create("basic", Currency.USD, BillingInterval.Months(1)).WithBaseFee(30.00m).WithCharge("api_calls", PricingModel.PerUnit(1.00m)).Build())
            .AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1)).WithBaseFee(60.00m).WithCharge("api_calls", PricingModel.PerUnit(0.50m)).Build())
            .AddPlan(Plan.Create("weekly", Currency.USD, BillingInterval.Weeks(1)).WithBaseFee(7.00m).WithCharge("api_calls", PricingModel.PerUnit(1.00m)).Build())
            .AddPlan(Plan.Create("team", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m, perSeat: true).Build()),
        November);

    private static InvoiceLine BaseFeeLine(Invoice invoice) => invoice.Content.Lines.Single(l => l.Kind == InvoiceLineKind.BaseFee);

    [Fact]
    public async Task PlanChange_KeepsTheAnchor_NewPlanRunsToTheNextAnchorDate_ThenFullPeriods()
    {
        await using var billing = CreatePlans();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(NovemberDay(6));
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, NovemberDay(6), "before"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        billing.Clock.AdvanceTo(NovemberDay(16));

        var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "pro");

        // Old plan, Nov 1 to Nov 16 (15 of 30 days): 30.00 × 15/30 = 15.00 + 5 × 1.00 = 20.00.
        var old = change.Invoice;
        old.PlanKey.Should().Be("basic");
        old.Reason.Should().Be(InvoiceReason.PlanChange);
        old.Period.Start.Should().Be(November);
        old.Period.End.Should().Be(NovemberDay(16));
        BaseFeeLine(old).Amount.Should().Be(Usd(15.00m));
        BaseFeeLine(old).ProrationFraction.Should().Be(0.5m);
        UsageLine(old).Quantity.Should().Be(5m);
        old.Total.Should().Be(Usd(20.00m));

        // The new plan's first period is the partial one to the anchor date; the schedule is unchanged.
        change.Subscription.PlanKey.Should().Be("pro");
        change.Subscription.Schedule.Should().Be(sub.Schedule);
        change.Subscription.CurrentPeriod.Start.Should().Be(NovemberDay(16));
        change.Subscription.CurrentPeriod.End.Should().Be(December);
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId)).Should().Be(change.Subscription);

        // Usage after the change lands in the partial period; usage before it in the closed one.
        billing.Clock.AdvanceTo(NovemberDay(20));
        (await billing.Recorder.RecordAsync(Usage("c1", 4m, NovemberDay(20), "after"))).PeriodStart.Should().Be(NovemberDay(16));
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, NovemberDay(10), "backdated"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Period.Start.Should().Be(NovemberDay(16));
        current.Period.End.Should().Be(December);
        (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items[0].Period.Should().Be(current.Period);

        // Pro from Nov 16 to Dec 1, 15 of 30 days: 60.00 × 15/30 = 30.00 + 4 × 0.50 = 2.00; total 32.00.
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(32.00m));

        // In the grace window after Dec 1: a late record of Nov 30 goes to the partial period, one of Dec 1 to December.
        billing.Clock.AdvanceTo(December + Duration.FromMinutes(30));
        (await billing.Recorder.RecordAsync(Usage("c1", 2m, December - Duration.FromHours(1), "late"))).PeriodStart.Should().Be(NovemberDay(16));
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, December + Duration.FromMinutes(10), "december"))).PeriodStart.Should().Be(December);

        var partial = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // 30.00 + 6 × 0.50 = 33.00.
        partial.PlanKey.Should().Be("pro");
        partial.Reason.Should().Be(InvoiceReason.PeriodEnd);
        partial.Period.Start.Should().Be(NovemberDay(16));
        partial.Period.End.Should().Be(December);
        BaseFeeLine(partial).Amount.Should().Be(Usd(30.00m));
        BaseFeeLine(partial).ProrationFraction.Should().Be(0.5m);
        UsageLine(partial).Quantity.Should().Be(6m);
        partial.Total.Should().Be(Usd(33.00m));
        partial.InvoiceId.Should().NotBe(old.InvoiceId);

        var renewed = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        renewed.CurrentPeriod.Start.Should().Be(December);
        renewed.CurrentPeriod.End.Should().Be(January);

        var full = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // Dec 1 to Jan 1 in full: 60.00 + 3 × 0.50 = 61.50.
        full.Period.Start.Should().Be(December);
        full.Period.End.Should().Be(January);
        BaseFeeLine(full).Amount.Should().Be(Usd(60.00m));
        BaseFeeLine(full).ProrationFraction.Should().BeNull();
        full.Total.Should().Be(Usd(61.50m));

        var invoices = (await billing.Invoices.ListAsync("c1")).Items;
        invoices.Select(i => i.Number).Should().BeEquivalentTo([1L, 2L, 3L]);
        invoices.Select(i => i.InvoiceId).Should().OnlyHaveUniqueItems();
        (await AggregateOfAsync(billing, sub.SubscriptionId, November)).Quantity.Should().Be(5m);
        (await AggregateOfAsync(billing, sub.SubscriptionId, NovemberDay(16))).Quantity.Should().Be(6m);
        (await AggregateOfAsync(billing, sub.SubscriptionId, December)).Quantity.Should().Be(3m);
    }

    [Fact]
    public async Task TwoPlanChangesInOnePeriod_EachSpanInvoicedOnce_AnchorKept()
    {
        await using var billing = CreatePlans();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(NovemberDay(16));
        await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "pro");
        billing.Clock.AdvanceTo(NovemberDay(21));

        var back = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "basic");

        // Pro from Nov 16 to Nov 21, 5 of 30 days: 60.00 × 5/30 = 10.00.
        back.Invoice.PlanKey.Should().Be("pro");
        back.Invoice.Period.Start.Should().Be(NovemberDay(16));
        back.Invoice.Period.End.Should().Be(NovemberDay(21));
        back.Invoice.Total.Should().Be(Usd(10.00m));
        back.Subscription.CurrentPeriod.Start.Should().Be(NovemberDay(21));
        back.Subscription.CurrentPeriod.End.Should().Be(December);

        var last = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // Basic from Nov 21 to Dec 1, 10 of 30 days: 30.00 × 10/30 = 10.00.
        last.Period.Start.Should().Be(NovemberDay(21));
        last.Total.Should().Be(Usd(10.00m));
        (await billing.Invoices.ListAsync("c1")).Items.Should().HaveCount(3);
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.CurrentPeriod.Start.Should().Be(December);
    }

    [Fact]
    public async Task PlanChange_ToAnotherInterval_KeepsTheLocalAnchor_WithTheNewInterval()
    {
        await using var billing = CreatePlans();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(NovemberDay(16));

        var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "weekly");

        // Weeks from the anchor Sun Nov 1: Nov 1, 8, 15, 22, ... The first weekly period is Nov 16 to Nov 22.
        change.Subscription.Schedule.Anchor.Should().Be(sub.Schedule.Anchor);
        change.Subscription.Schedule.Interval.Should().Be(BillingInterval.Weeks(1));
        change.Subscription.CurrentPeriod.Start.Should().Be(NovemberDay(16));
        change.Subscription.CurrentPeriod.End.Should().Be(NovemberDay(22));

        // 7.00 × 6/7 days = 6.00, then a full week 7.00 from Nov 22 to Nov 29.
        var partial = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        partial.Total.Should().Be(Usd(6.00m));
        var week = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        week.Period.Start.Should().Be(NovemberDay(22));
        week.Period.End.Should().Be(NovemberDay(29));
        week.Total.Should().Be(Usd(7.00m));
    }

    [Fact]
    public async Task PlanChange_WithResetAnchor_StartsAFullPeriodAtTheChange()
    {
        await using var billing = CreatePlans();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(NovemberDay(16));

        var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "pro", null, PlanChangeAnchor.Reset);

        // The old plan is invoiced as with the kept anchor: 30.00 × 15/30 = 15.00.
        change.Invoice.Total.Should().Be(Usd(15.00m));
        change.Invoice.Period.End.Should().Be(NovemberDay(16));

        // Re-anchored: periods now start on the 16th.
        change.Subscription.Schedule.Anchor.Should().Be(new LocalDateTime(2026, 11, 16, 0, 0));
        change.Subscription.CurrentPeriod.Start.Should().Be(NovemberDay(16));
        change.Subscription.CurrentPeriod.End.Should().Be(Instant.FromUtc(2026, 12, 16, 0, 0));
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId)).Should().Be(change.Subscription);
        billing.Clock.AdvanceTo(NovemberDay(20));
        (await billing.Recorder.RecordAsync(Usage("c1", 4m, NovemberDay(20), "after"))).PeriodStart.Should().Be(NovemberDay(16));

        var next = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // A full pro period, Nov 16 to Dec 16: 60.00 + 4 × 0.50 = 62.00, no proration.
        next.Period.Start.Should().Be(NovemberDay(16));
        next.Period.End.Should().Be(Instant.FromUtc(2026, 12, 16, 0, 0));
        BaseFeeLine(next).ProrationFraction.Should().BeNull();
        next.Total.Should().Be(Usd(62.00m));
    }

    [Fact]
    public async Task SeatChangeMidPeriod_IsProratedByTime_AndTheHistoryResetsAtClose()
    {
        await using var billing = CreatePlans();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", Seats = 2 });
        billing.Clock.AdvanceTo(NovemberDay(16));

        var changed = await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, 5);

        changed.Seats.Should().Be(5);
        changed.SeatChanges.Should().Equal(new SeatChange(NovemberDay(16), 2, 5));
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId)).Should().Be(changed);
        (await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, 5)).SeatChanges.Should().HaveCount(1, "setting the same count is no change");

        // 2 seats for Nov 1-16 and 5 for Nov 16-Dec 1 of 10.00 per seat: 2 × 10.00 × 15/30 + 5 × 10.00 × 15/30 = 35.00, not 50.00.
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(35.00m));
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        var line = BaseFeeLine(invoice);
        line.Amount.Should().Be(Usd(35.00m));
        line.Quantity.Should().Be(3.5m);
        line.Description.Should().Contain("2 seats for 50% of the period").And.Contain("5 seats for 50% of the period");
        invoice.Total.Should().Be(Usd(35.00m));
        (await billing.Invoices.GetAsync(invoice.InvoiceId)).Should().Be(invoice);

        var renewed = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        renewed.SeatChanges.Should().BeEmpty();
        renewed.Seats.Should().Be(5);

        // December with 5 seats all along: 50.00.
        (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single().Total.Should().Be(Usd(50.00m));
    }

    [Fact]
    public async Task SeatChange_ThenPlanChange_OldPlanInvoiceWeighsTheSeats_NewPeriodStartsWithoutHistory()
    {
        await using var billing = CreatePlans();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", Seats = 1 });
        billing.Clock.AdvanceTo(NovemberDay(7));
        await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, 4);
        billing.Clock.AdvanceTo(NovemberDay(16));

        var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "basic");

        // Nov 1-7 with 1 seat, Nov 7-16 with 4: 10.00 × (1 × 6 + 4 × 9) / 30 = 10.00 × 42 / 30 = 14.00.
        change.Invoice.Total.Should().Be(Usd(14.00m));
        change.Subscription.SeatChanges.Should().BeEmpty();
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.SeatChanges.Should().BeEmpty();
    }
}
