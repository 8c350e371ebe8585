namespace Metering.Tests.EndToEnd;

using Metering;

public class SubscriptionLifecycleTest
{
    // April 2026 has 30 days.
    private static readonly Instant April1 = Instant.FromUtc(2026, 4, 1, 0, 0);

    private static TestMetering Create(InvoiceApproval approval = InvoiceApproval.Automatic) => TestMetering.Create(o =>
    {
        o.InvoiceApproval = approval;
        o.AddMeter(Meter.Sum("builds"))
         .AddMeter(Meter.Sum("minutes").WithGroupBy("region"))
         .AddPlan(Plan.Create("basic", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(30.00m)
            .WithCharge("builds", PricingModel.PerUnit(0.50m))
            .WithFeature(Feature.Limited("seats", 3))
            .Build())
         .AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(90.00m)
            .WithCharge("builds", PricingModel.PerUnit(0.25m))
            .WithFeature(Feature.Limited("seats", 10))
            .WithFeature(Feature.On("priority_queue"))
            .Build())
         .AddPlan(Plan.Create("team", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(12.00m, perSeat: true)
            .WithCharge("minutes", PricingModel.PerUnit(0.01m), c => { c.Key = "minutes_eu"; c.Filter["region"] = "eu"; })
            .WithCharge("minutes", PricingModel.PerUnit(0.02m), c => { c.Key = "minutes_us"; c.Filter["region"] = "us"; })
            .Build());
    }, April1);

    private static async Task<Subscription> SubscribeAsync(TestMetering billing, string plan = "basic", int seats = 1)
    {
        await billing.Subscriptions.CreateCustomerAsync("c1");
        return await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = plan, Seats = seats });
    }

    private static UsageRecord Builds(TestMetering billing, decimal quantity, string key) => new("c1", "builds", quantity, billing.Clock.Now, key);

    [Fact]
    public async Task Summaries_GoFromCurrentToRecorded()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        await billing.Recorder.RecordAsync(Builds(billing, 4m, "b1"));

        var before = await billing.Usage.GetHistoryAsync(sub.SubscriptionId);
        before.Items.Should().ContainSingle().Which.Status.Should().Be(UsageSummaryStatus.Current);

        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var after = await billing.Usage.GetHistoryAsync(sub.SubscriptionId);
        after.Items.Select(p => p.Status).Should().Equal(UsageSummaryStatus.Current, UsageSummaryStatus.Recorded);
        after.Items[1].Meters.Single().Quantity.Should().Be(4m);
        after.Items[1].InvoiceId.Should().NotBeNull();
    }

    [Fact]
    public async Task UpgradeMidCycle_InvoicesOldPlanUsageAndProratedFee_ThenBillsOnNewPlan()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        billing.Clock.Advance(Duration.FromDays(10));
        await billing.Recorder.RecordAsync(Builds(billing, 20m, "before-upgrade"));

        var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "pro");

        // 10 of 30 days on basic: 30.00 × 10/30 = 10.00; 20 builds × 0.50 = 10.00; total 20.00.
        change.Invoice.Reason.Should().Be(InvoiceReason.PlanChange);
        change.Invoice.PlanKey.Should().Be("basic");
        change.Invoice.Period.End.Should().Be(April1 + Duration.FromDays(10));
        change.Invoice.Total.Should().Be(new Money(20.00m, Currency.USD));
        change.Subscription.PlanKey.Should().Be("pro");
        change.Subscription.CurrentPeriod.Start.Should().Be(April1 + Duration.FromDays(10));

        billing.Clock.Advance(Duration.FromDays(1));
        await billing.Recorder.RecordAsync(Builds(billing, 8m, "after-upgrade"));
        var preview = await billing.Invoices.PreviewAsync(sub.SubscriptionId);

        // Pro to the kept anchor date May 1, 20 of 30 days: 90.00 × 20/30 = 60.00 + 8 × 0.25 = 62.00.
        change.Subscription.CurrentPeriod.End.Should().Be(Instant.FromUtc(2026, 5, 1, 0, 0));
        preview.Total.Should().Be(new Money(62.00m, Currency.USD));
        (await billing.Entitlements.CheckAsync("c1", "priority_queue")).Enabled.Should().BeTrue();
    }

    [Fact]
    public async Task CancelNow_IssuesFinalInvoice_AndRejectsLaterUsage()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        billing.Clock.Advance(Duration.FromDays(15));
        await billing.Recorder.RecordAsync(Builds(billing, 2m, "b1"));

        var invoice = await billing.Subscriptions.CancelNowAsync(sub.SubscriptionId);

        // 15 of 30 days: 30.00 × 0.5 = 15.00; 2 × 0.50 = 1.00; total 16.00.
        invoice.Total.Should().Be(new Money(16.00m, Currency.USD));
        invoice.Reason.Should().Be(InvoiceReason.Cancellation);
        var history = await billing.Usage.GetHistoryAsync(sub.SubscriptionId);
        history.Items.Should().ContainSingle().Which.Status.Should().Be(UsageSummaryStatus.Final);

        var late = await billing.Recorder.RecordAsync(Builds(billing, 1m, "b2"));
        late.Kind.Should().Be(UsageOutcomeKind.Rejected);
        late.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
    }

    [Fact]
    public async Task CancelAndPlanChange_AtTheVeryStartOfAPeriod_InvoiceAnEmptySpan()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        await billing.Recorder.RecordAsync(Builds(billing, 2m, "at-start"));

        var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "pro");

        // No time has passed: the base fee prorates to 0.00, but the record at the start is billed (2 × 0.50).
        change.Invoice.Total.Should().Be(new Money(1.00m, Currency.USD));
        change.Subscription.PlanKey.Should().Be("pro");

        var invoice = await billing.Subscriptions.CancelNowAsync(sub.SubscriptionId);
        invoice.Total.Should().Be(new Money(0.00m, Currency.USD));
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.EndedAt.Should().NotBeNull();
    }

    [Fact]
    public async Task CancelAtPeriodEnd_EndsAfterOneMoreInvoice_UnlessReactivated()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);
        var scheduled = await billing.Subscriptions.CancelAtPeriodEndAsync(sub.SubscriptionId);
        scheduled.CancelAt.Should().Be(Instant.FromUtc(2026, 5, 1, 0, 0));

        var reactivated = await billing.Subscriptions.ReactivateAsync(sub.SubscriptionId);
        reactivated.CancelAt.Should().BeNull();
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.EndedAt.Should().BeNull();

        await billing.Subscriptions.CancelAtPeriodEndAsync(sub.SubscriptionId);
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        report.Invoices.Should().ContainSingle().Which.Total.Should().Be(new Money(30.00m, Currency.USD));
        var ended = await billing.Subscriptions.GetAsync(sub.SubscriptionId);
        ended!.EndedAt.Should().Be(Instant.FromUtc(2026, 6, 1, 0, 0));
        var act = async () => await billing.Subscriptions.ReactivateAsync(sub.SubscriptionId);
        await act.Should().ThrowAsync<MeteringException>().WithMessage("*ended*");
    }

    [Fact]
    public async Task CycleWithoutUsage_StillYieldsAnInvoice()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // Base fee only: 30.00; the builds line is present with quantity 0 and amount 0.00.
        invoice.Total.Should().Be(new Money(30.00m, Currency.USD));
        invoice.Content.Lines.Single(l => l.ChargeKey == "builds").Amount.Should().Be(new Money(0m, Currency.USD));
    }

    [Fact]
    public async Task PerSeatPlan_WithRegionFilteredCharges()
    {
        await using var billing = Create();
        var sub = await SubscribeAsync(billing, "team", seats: 2);
        await billing.Subscriptions.AssignSeatAsync(sub.SubscriptionId, "ana");
        await billing.Subscriptions.AssignSeatAsync(sub.SubscriptionId, "ben");
        var full = async () => await billing.Subscriptions.AssignSeatAsync(sub.SubscriptionId, "cy");
        await full.Should().ThrowAsync<MeteringException>().WithMessage("*All 2 seats*SetSeatsAsync*");
        await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, 3);
        await billing.Subscriptions.AssignSeatAsync(sub.SubscriptionId, "cy");

        var eu = new Dictionary<string, string> { ["region"] = "eu" };
        var us = new Dictionary<string, string> { ["region"] = "us" };
        await billing.Recorder.RecordAsync(new UsageRecord("c1", "minutes", 1_000m, billing.Clock.Now, "m1", Properties: eu));
        await billing.Recorder.RecordAsync(new UsageRecord("c1", "minutes", 500m, billing.Clock.Now, "m2", Properties: us));

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // 3 seats × 12.00 = 36.00; EU 1,000 × 0.01 = 10.00; US 500 × 0.02 = 10.00; total 56.00.
        invoice.Content.Lines.Single(l => l.ChargeKey == "minutes_eu").Quantity.Should().Be(1_000m);
        invoice.Content.Lines.Single(l => l.ChargeKey == "minutes_us").Quantity.Should().Be(500m);
        invoice.Total.Should().Be(new Money(56.00m, Currency.USD));
    }

    [Fact]
    public async Task ManualApproval_HoldsDrafts_UntilApproved()
    {
        await using var billing = Create(InvoiceApproval.Manual);
        var sub = await SubscribeAsync(billing);

        var draft = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        draft.Status.Should().Be(InvoiceStatus.Draft);

        var paidTooSoon = async () => await billing.Invoices.MarkPaidAsync(draft.InvoiceId);
        await paidTooSoon.Should().ThrowAsync<InvalidInvoiceTransitionException>().WithMessage("*Draft*Finalized*");

        (await billing.Invoices.ApproveAsync(draft.InvoiceId)).Status.Should().Be(InvoiceStatus.Finalized);
        (await billing.Invoices.MarkPaidAsync(draft.InvoiceId)).Status.Should().Be(InvoiceStatus.Paid);
    }

    [Fact]
    public async Task SeatsAboveThePlanLimit_AreRefused()
    {
        await using var billing = Create();
        await billing.Subscriptions.CreateCustomerAsync("c1");

        var act = async () => await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "basic", Seats = 4 });

        await act.Should().ThrowAsync<MeteringException>().WithMessage("*at most 3 seats*");
    }
}
