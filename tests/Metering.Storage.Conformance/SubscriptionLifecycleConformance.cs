namespace Metering.Storage.Conformance;

/// <summary>
/// Subscription lifecycle through the store (DESIGN §3): plan change mid-period, cancel now, cancel at
/// period end and reactivation, cycles without usage, and per-cycle summaries. Periods run in UTC from
/// 2026-04-01 (April has 30 days, so proration fractions are whole days over 30).
/// Plans: basic 30.00 base + 1.00 per call; pro 60.00 base + 0.50 per call; metered-only 0 base + 1.00 per call.
/// </summary>
public abstract class SubscriptionLifecycleConformance : StoreTestBase
{
    private static readonly Instant April = Instant.FromUtc(2026, 4, 1, 0, 0);
    private static readonly Instant May = Instant.FromUtc(2026, 5, 1, 0, 0);

    private static Instant AprilDay(int day) => Instant.FromUtc(2026, 4, day, 0, 0);

    private TestMetering CreateLifecycle() => CreateMetering(
        o => o.AddMeter(Meter.Sum("api_calls"))
            .AddPlan(Plan.Create("basic", Currency.USD, BillingInterval.Months(1)).WithBaseFee(30.00m).WithCharge("api_calls", PricingModel.PerUnit(1.00m)).Build())
            .AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1)).WithBaseFee(60.00m).WithCharge("api_calls", PricingModel.PerUnit(0.50m)).Build())
            .AddPlan(Plan.Create("metered-only", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1.00m)).Build()),
        April);

    [Fact]
    public async Task PlanChangeMidPeriod_InvoicesOldPlanProrated_ThenBillsOnTheNewPlan()
    {
        await using var billing = CreateLifecycle();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(AprilDay(6));
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, AprilDay(6), "before"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        billing.Clock.AdvanceTo(AprilDay(11));

        var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "pro");

        // Old plan for Apr 1 to Apr 11, 10 of 30 days: base 30.00 × 10/30 = 10.00, usage 5 × 1.00 = 5.00, total 15.00.
        var old = change.Invoice;
        old.PlanKey.Should().Be("basic");
        old.Reason.Should().Be(InvoiceReason.PlanChange);
        old.Period.Start.Should().Be(April);
        old.Period.End.Should().Be(AprilDay(11));
        old.Content.Lines.Single(l => l.Kind == InvoiceLineKind.BaseFee).Amount.Should().Be(Usd(10.00m));
        UsageLine(old).Quantity.Should().Be(5m);
        UsageLine(old).Amount.Should().Be(Usd(5.00m));
        old.Total.Should().Be(Usd(15.00m));
        old.Number.Should().Be(1);
        (await billing.Invoices.GetAsync(old.InvoiceId)).Should().Be(old);

        // New period on the new plan from the moment of the change to the next anchor date (the anchor is kept, issue #17).
        change.Subscription.PlanKey.Should().Be("pro");
        change.Subscription.CurrentPeriod.Start.Should().Be(AprilDay(11));
        change.Subscription.CurrentPeriod.End.Should().Be(May);
        var stored = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        stored.PlanKey.Should().Be("pro");
        stored.CurrentPeriod.Should().Be(change.Subscription.CurrentPeriod);
        stored.Revision.Should().Be(change.Subscription.Revision);

        // Usage after the change is priced on pro, base fee for Apr 11 to May 1 (20 of 30 days): 60.00 × 20/30 = 40.00
        // + 4 × 0.50 = 42.00.
        billing.Clock.AdvanceTo(AprilDay(12));
        var after = await billing.Recorder.RecordAsync(Usage("c1", 4m, AprilDay(12), "after"));
        after.PeriodStart.Should().Be(AprilDay(11));
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(42.00m));

        // A record from before the change belongs to the closed old-plan period.
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, AprilDay(10), "old-period"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);

        var next = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        next.PlanKey.Should().Be("pro");
        next.Period.Start.Should().Be(AprilDay(11));
        next.Period.End.Should().Be(May);
        UsageLine(next).Quantity.Should().Be(4m);
        next.Total.Should().Be(Usd(42.00m));
        next.Number.Should().Be(2);
        UsageLine((await billing.Invoices.GetAsync(old.InvoiceId))!).Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task CancelNow_IssuesTheFinalInvoice_AndRejectsLaterUsage()
    {
        await using var billing = CreateLifecycle();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(AprilDay(6));
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, AprilDay(6), "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        billing.Clock.AdvanceTo(AprilDay(16));

        var final = await billing.Subscriptions.CancelNowAsync(sub.SubscriptionId);

        // 15 of 30 days: 30.00 × 15/30 = 15.00, usage 3 × 1.00 = 3.00, total 18.00.
        final.Reason.Should().Be(InvoiceReason.Cancellation);
        final.Period.End.Should().Be(AprilDay(16));
        final.Total.Should().Be(Usd(18.00m));
        var ended = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        ended.EndedAt.Should().Be(AprilDay(16));

        var history = (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items;
        var last = history.Should().ContainSingle().Subject;
        last.Status.Should().Be(UsageSummaryStatus.Final);
        last.InvoiceId.Should().Be(final.InvoiceId);
        last.Meters.Single().Quantity.Should().Be(3m);

        // Later usage: no subscription. Usage dated inside the invoiced final period: that period is closed.
        var later = await billing.Recorder.RecordAsync(Usage("c1", 1m, AprilDay(16), "later"));
        later.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);
        var backdated = await billing.Recorder.RecordAsync(Usage("c1", 1m, AprilDay(10), "backdated"));
        backdated.Kind.Should().Be(UsageOutcomeKind.Rejected, "the final invoice was issued; an accepted record would never be billed");
        backdated.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        (await AggregateOfAsync(billing, sub.SubscriptionId, April)).Quantity.Should().Be(3m);

        await FluentActions.Awaiting(async () => await billing.Usage.GetCurrentAsync(sub.SubscriptionId)).Should().ThrowAsync<MeteringException>();
        await FluentActions.Awaiting(async () => await billing.Subscriptions.CancelNowAsync(sub.SubscriptionId)).Should().ThrowAsync<MeteringException>();
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 6, 1, 1, 0));
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
        (await billing.Invoices.ListAsync("c1")).Items.Should().ContainSingle();
    }

    [Fact]
    public async Task CancelAtPeriodEnd_ThenReactivate_KeepsRenewing()
    {
        await using var billing = CreateLifecycle();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(AprilDay(10));

        var scheduled = await billing.Subscriptions.CancelAtPeriodEndAsync(sub.SubscriptionId);
        scheduled.CancelAt.Should().Be(May);
        var reactivated = await billing.Subscriptions.ReactivateAsync(sub.SubscriptionId);
        reactivated.CancelAt.Should().BeNull();
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.CancelAt.Should().BeNull();
        (await billing.Recorder.RecordAsync(Usage("c1", 2m, AprilDay(10), "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        invoice.Reason.Should().Be(InvoiceReason.PeriodEnd);
        invoice.Total.Should().Be(Usd(32.00m)); // 30.00 + 2 × 1.00
        var renewed = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        renewed.EndedAt.Should().BeNull();
        renewed.CurrentPeriod.Start.Should().Be(May);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, May + Duration.FromMinutes(30), "may"))).PeriodStart.Should().Be(May);
    }

    [Fact]
    public async Task CancelAtPeriodEnd_InvoicesTheLastPeriod_ThenEnds()
    {
        await using var billing = CreateLifecycle();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(AprilDay(20));
        await billing.Subscriptions.CancelAtPeriodEndAsync(sub.SubscriptionId);
        (await billing.Recorder.RecordAsync(Usage("c1", 4m, AprilDay(20), "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // After the end, inside the grace window: the subscription no longer covers it.
        billing.Clock.AdvanceTo(May + Duration.FromMinutes(30));
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, May + Duration.FromMinutes(10), "after-end"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        invoice.Total.Should().Be(Usd(34.00m)); // full period: 30.00 + 4 × 1.00
        var ended = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        ended.EndedAt.Should().Be(May);
        (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items.Should().ContainSingle().Which.Status.Should().Be(UsageSummaryStatus.Final);
        await FluentActions.Awaiting(async () => await billing.Subscriptions.ReactivateAsync(sub.SubscriptionId)).Should().ThrowAsync<MeteringException>();

        // A late record for the invoiced last period is rejected, not silently accepted and never billed.
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, AprilDay(30), "late"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        (await AggregateOfAsync(billing, sub.SubscriptionId, April)).Quantity.Should().Be(4m);
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 6, 1, 1, 0));
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
    }

    [Fact]
    public async Task CycleWithoutUsage_StillGetsAnInvoice()
    {
        await using var billing = CreateLifecycle();
        var withBase = await SubscribeAsync(billing, "c1", "basic");
        var meteredOnly = await SubscribeAsync(billing, "c2", "metered-only");
        billing.Clock.AdvanceTo(May + Grace);

        var invoices = (await billing.PeriodCloser.CloseDueAsync()).Invoices;

        // Base fee only: 30.00, the usage line shows 0 calls at 0.00.
        var baseOnly = invoices.Single(i => i.SubscriptionId == withBase.SubscriptionId);
        baseOnly.Total.Should().Be(Usd(30.00m));
        UsageLine(baseOnly).Quantity.Should().Be(0m);
        UsageLine(baseOnly).Amount.Should().Be(Usd(0.00m));

        // No base fee and no usage: a zero invoice is still produced.
        var zero = invoices.Single(i => i.SubscriptionId == meteredOnly.SubscriptionId);
        zero.Total.Should().Be(Usd(0.00m));
        zero.Content.Lines.Should().ContainSingle().Which.Amount.Should().Be(Usd(0.00m));
        (await billing.Invoices.ListAsync("c2")).Items.Should().ContainSingle();
    }

    [Fact]
    public async Task PerCycleSummaries_GoFromCurrentToRecorded()
    {
        await using var billing = CreateLifecycle();
        var sub = await SubscribeAsync(billing, "c1", "basic");
        billing.Clock.AdvanceTo(AprilDay(15));
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, AprilDay(15), "april"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var before = (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items.Should().ContainSingle().Subject;
        before.Status.Should().Be(UsageSummaryStatus.Current);
        before.Meters.Single().Status.Should().Be(UsageSummaryStatus.Current);

        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        (await billing.Recorder.RecordAsync(Usage("c1", 2m, May + Duration.FromMinutes(5), "may"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var history = (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items;
        history.Select(h => h.Period.Start).Should().Equal(Instant.FromUtc(2026, 6, 1, 0, 0), May, April);
        history.Select(h => h.Status).Should().Equal(UsageSummaryStatus.Current, UsageSummaryStatus.Recorded, UsageSummaryStatus.Recorded);
        history.Select(h => h.Meters.Single().Quantity).Should().Equal(0m, 2m, 5m);
        history.Skip(1).Should().OnlyContain(h => h.InvoiceId != null);
    }
}
