using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Period close (DESIGN §3): one store transaction per subscription period, each exactly once, with the
/// invoice under a unique (subscription, period) key, sequential invoice numbers, and its events.
/// Standard plan: 10.00 base + 2.00 per call, monthly from 2026-01-01 UTC.
/// </summary>
public abstract class PeriodCloseConformance : StoreTestBase
{
    [Fact]
    public async Task ClosingTwice_CreatesTheInvoiceOnce()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        (await billing.Recorder.RecordAsync(Usage("c1", 4m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var first = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        var second = await billing.PeriodCloser.CloseDueAsync();

        // 10.00 + 4 × 2.00 = 18.00, finalized at close (automatic approval).
        var invoice = first.Invoices.Should().ContainSingle().Subject;
        invoice.Total.Should().Be(Usd(18.00m));
        invoice.Number.Should().Be(1);
        invoice.Status.Should().Be(InvoiceStatus.Finalized);
        invoice.Reason.Should().Be(InvoiceReason.PeriodEnd);
        second.Invoices.Should().BeEmpty();
        (await billing.Invoices.ListAsync("c1")).Items.Should().ContainSingle();
        (await billing.Invoices.GetAsync(invoice.InvoiceId)).Should().Be(invoice);
    }

    [Fact]
    public async Task Store_CloseOfAPeriodAlreadyClosed_ReturnsAlreadyClosed_WithoutDeciding()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        Func<PeriodCloseContext, PeriodCloseDecision> mustNotDecide = _ => throw new InvalidOperationException("A period already closed must not be decided again.");
        var plan = (await billing.Store.FindPlanAsync("standard", null, CancellationToken.None))!;
        var stale = await billing.Store.ClosePeriodAsync(sub.SubscriptionId, Start, plan, mustNotDecide, CancellationToken.None);
        var missing = await billing.Store.ClosePeriodAsync("no-such-subscription", Start, plan, mustNotDecide, CancellationToken.None);

        stale.Status.Should().Be(PeriodCloseStatus.AlreadyClosed);
        stale.Invoice.Should().BeNull();
        missing.Status.Should().Be(PeriodCloseStatus.NotFound);
        (await billing.Invoices.ListAsync("c1")).Items.Should().ContainSingle();
    }

    [Fact]
    public async Task SubscriptionSeveralPeriodsBehind_OneRunClosesEachPeriodInOrder()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, Start, "jan"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 4, 1, 1, 0));

        var report = await billing.PeriodCloser.CloseDueAsync();

        // January 10.00 + 5 × 2.00 = 20.00; February and March base fee only, 10.00 each.
        report.Invoices.Select(i => i.Number).Should().Equal(1L, 2L, 3L);
        report.Invoices.Select(i => i.Period.Start).Should().Equal(Start, February, Instant.FromUtc(2026, 3, 1, 0, 0));
        report.Invoices.Select(i => i.Period.End).Should().Equal(February, Instant.FromUtc(2026, 3, 1, 0, 0), Instant.FromUtc(2026, 4, 1, 0, 0));
        report.Invoices.Select(i => i.Total).Should().Equal(Usd(20.00m), Usd(10.00m), Usd(10.00m));
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.CurrentPeriod.Start.Should().Be(Instant.FromUtc(2026, 4, 1, 0, 0));

        // Three renewals at the same instant are three events, each with its own id (handlers deduplicate by id).
        var events = await billing.Store.ReadAllEventsAsync();
        events.Count(e => e.Event.Type == BillingEventType.SubscriptionRenewed).Should().Be(3);
        events.Select(e => e.Event.EventId).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task InvoiceNumbers_AreUniqueAndSequentialAcrossCustomers()
    {
        await using var billing = CreateStandard();
        foreach (var customer in new[] { "a", "b", "c" })
        {
            await SubscribeAsync(billing, customer, subscriptionId: "sub-" + customer);
        }

        billing.Clock.AdvanceTo(February + Grace);
        var january = await billing.PeriodCloser.CloseDueAsync();
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 3, 1, 1, 0));
        var february = await billing.PeriodCloser.CloseDueAsync();

        january.Invoices.Select(i => i.Number).Order().Should().Equal(1L, 2L, 3L);
        february.Invoices.Select(i => i.Number).Order().Should().Equal(4L, 5L, 6L);
        foreach (var customer in new[] { "a", "b", "c" })
        {
            var numbers = (await billing.Invoices.ListAsync(customer)).Items.Select(i => i.Number).ToList();
            // Closes of one run may commit in any order, but each run's numbers follow the previous run's.
            numbers.Should().HaveCount(2).And.BeInDescendingOrder();
            numbers[1].Should().BeInRange(1L, 3L);
            numbers[0].Should().BeInRange(4L, 6L);
        }
    }

    [Fact]
    public async Task ClosedPeriod_AggregatesAreFrozen_HistoryShowsRecorded()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromDays(5));
        await billing.Recorder.RecordBatchAsync([Usage("c1", 2m, billing.Clock.Now, "a"), Usage("c1", 3m, billing.Clock.Now, "b")]);
        var current = (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items.Should().ContainSingle().Subject;
        current.Status.Should().Be(UsageSummaryStatus.Current);
        current.Meters.Single().Quantity.Should().Be(5m);
        current.InvoiceId.Should().BeNull();

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        (await billing.Recorder.RecordAsync(Usage("c1", 7m, February - Duration.FromDays(1), "late"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);

        var history = (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items;
        history.Select(h => h.Status).Should().Equal(UsageSummaryStatus.Current, UsageSummaryStatus.Recorded);
        history[0].Period.Start.Should().Be(February);
        history[0].Meters.Single().Quantity.Should().Be(0m);
        history[1].Period.Should().Be(invoice.Period);
        history[1].InvoiceId.Should().Be(invoice.InvoiceId);
        history[1].Meters.Single().Quantity.Should().Be(5m);
        history[1].Meters.Single().RecordCount.Should().Be(2);
        history[1].Meters.Single().Status.Should().Be(UsageSummaryStatus.Recorded);
        UsageLine(invoice).Quantity.Should().Be(5m);
        invoice.Total.Should().Be(Usd(20.00m)); // 10.00 + 5 × 2.00
    }

    [Fact]
    public async Task Close_StoresItsEvents_Once()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        await billing.PeriodCloser.CloseDueAsync();

        var events = await billing.Store.ReadAllEventsAsync();

        events.Select(e => e.Event.Type).Should().Equal(
            BillingEventType.SubscriptionActivated,
            BillingEventType.InvoiceCreated,
            BillingEventType.InvoiceFinalized,
            BillingEventType.SubscriptionRenewed);
        events.Select(e => e.Sequence).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        events[1].Event.SubjectId.Should().Be(invoice.InvoiceId);
        events[3].Event.SubjectId.Should().Be(sub.SubscriptionId);
        (await billing.Store.ReadEventsAsync(events[1].Position, 1_000, CancellationToken.None)).Select(e => e.Event.EventId)
            .Should().Equal(events[2].Event.EventId, events[3].Event.EventId);
    }

    [Fact]
    public async Task Close_EventsCarryTypedPayloads_InvoiceEventsWithTheStoredNumber()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c0");
        var sub = await SubscribeAsync(billing, "c1");
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 2, 1, 1, 0));

        var invoices = (await billing.PeriodCloser.CloseDueAsync()).Invoices;

        // Two invoices numbered 1 and 2 in some order: each invoice event carries its own invoice's number.
        invoices.Select(i => i.Number).Should().BeEquivalentTo([1L, 2L]);
        var all = (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).ToList();
        all.Where(e => e.Payload is InvoiceEventPayload).Should().HaveCount(4).And.OnlyContain(e =>
            ((InvoiceEventPayload)e.Payload).Number == invoices.Single(i => i.InvoiceId == e.SubjectId).Number);
        var invoice = invoices.Single(i => i.SubscriptionId == sub.SubscriptionId);
        var events = all.Where(e => e.CustomerId == "c1").ToList();
        var expected = new InvoiceEventPayload(
            invoice.InvoiceId,
            invoice.Number,
            sub.SubscriptionId,
            sub.CurrentPeriod,
            InvoiceReason.PeriodEnd,
            InvoiceStatus.Finalized,
            Usd(16.00m), // 10.00 + 3 × 2.00
            0,
            [new InvoiceLineSummary(InvoiceLineKind.BaseFee, null, Usd(10.00m)), new InvoiceLineSummary(InvoiceLineKind.Usage, "api_calls", Usd(6.00m))]);
        events.Single(e => e.Type == BillingEventType.InvoiceCreated).Payload.Should().Be(expected);
        events.Single(e => e.Type == BillingEventType.InvoiceFinalized).Payload.Should().Be(expected);
        events.Single(e => e.Type == BillingEventType.SubscriptionActivated).Payload.Should().Be(
            new SubscriptionEventPayload(sub.SubscriptionId, "standard", 1, new BillingPeriod(0, Start, Instant.FromUtc(2026, 2, 1, 0, 0)), 1, null, null));
        events.Single(e => e.Type == BillingEventType.SubscriptionRenewed).Payload.Should().Be(
            new SubscriptionEventPayload(sub.SubscriptionId, "standard", 1, new BillingPeriod(1, Instant.FromUtc(2026, 2, 1, 0, 0), Instant.FromUtc(2026, 3, 1, 0, 0)), 1, null, null));
        events.Should().OnlyContain(e => e.SchemaVersion == BillingEvent.CurrentSchemaVersion);
    }

    [Fact]
    public async Task ZeroUsagePeriod_ClosesWithTheFirstTierFlatFees()
    {
        await using var billing = CreateTieredFlatFees();
        var sub = await SubscribeAsync(billing, "c1", "tiered");
        var preview = await billing.Invoices.PreviewAsync(sub.SubscriptionId);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // No usage. api_calls graduated: 0 × 10 + 2 = 2.00; storage_gb volume lands in tier 1: 0 × 1 + 10 = 10.00;
        // events first-tier flat 0: 0.00 (tier 2's 3.00 is not reached); reports, 100 included: 2.00. Total 14.00.
        invoice.Content.Lines.Select(l => l.Amount.Amount).Should().Equal(2.00m, 10.00m, 0m, 2.00m);
        invoice.Total.Should().Be(Usd(14.00m));
        preview.Total.Should().Be(invoice.Total);
        UsageLine(invoice).Tiers.Should().Equal(new TierPrice(1, 0m, 10m, 0m, 10.00m, 2.00m, 2.00m));
        UsageLine(invoice, "storage_gb").Tiers.Should().Equal(new TierPrice(1, 0m, 100m, 0m, 1.00m, 10.00m, 10.00m));
        (await billing.Invoices.GetAsync(invoice.InvoiceId)).Should().Be(invoice);
    }

    [Fact]
    public async Task IncludedUnitsCoveringAllUsage_CloseStillBillsTheFirstTierFlatFee()
    {
        await using var billing = CreateTieredFlatFees();
        var sub = await SubscribeAsync(billing, "c1", "tiered");
        (await billing.Recorder.RecordAsync(Usage("c1", 40m, Start, "r1", meterKey: "reports"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 12m, Start, "a1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // reports: 40 used, all within the 100 included: charged 0, tier 1 flat fee 2.00.
        // api_calls 12: 10 × 10 + 2 + 2 × 5 = 112.00; storage_gb 10.00; events 0.00. Total 124.00.
        var reports = UsageLine(invoice, "reports");
        reports.Quantity.Should().Be(40m);
        reports.Amount.Should().Be(Usd(2.00m));
        reports.Tiers.Should().Equal(new TierPrice(1, 0m, 10m, 0m, 10.00m, 2.00m, 2.00m));
        invoice.Content.Lines.Select(l => l.Amount.Amount).Should().Equal(112.00m, 10.00m, 0m, 2.00m);
        invoice.Total.Should().Be(Usd(124.00m));
        (await billing.Invoices.GetAsync(invoice.InvoiceId)).Should().Be(invoice);
    }

    /// <summary>
    /// Plan <c>tiered</c> (issue #20), USD, monthly, no base fee: <c>api_calls</c> graduated (0,10] @ 10.00 + flat 2.00,
    /// (10,∞) @ 5.00; <c>storage_gb</c> volume (0,100] @ 1.00 + flat 10.00, (100,∞) @ 0.50 + flat 20.00; <c>events</c>
    /// graduated with a first-tier flat fee of 0; <c>reports</c> like api_calls with 100 included units.
    /// </summary>
    private TestMetering CreateTieredFlatFees()
    {
        PriceTier[] graduated = [new(10m, 10.00m, 2.00m), new(null, 5.00m)];
        return CreateMetering(o => o
            .AddMeter(Meter.Sum("api_calls"))
            .AddMeter(Meter.Max("storage_gb"))
            .AddMeter(Meter.Count("events"))
            .AddMeter(Meter.Sum("reports"))
            .AddPlan(Plan.Create("tiered", Currency.USD, BillingInterval.Months(1))
                .WithCharge("api_calls", PricingModel.Graduated(graduated))
                .WithCharge("storage_gb", PricingModel.Volume([new(100m, 1.00m, 10.00m), new(null, 0.50m, 20.00m)]))
                .WithCharge("events", PricingModel.Graduated([new(10m, 10.00m, 0m), new(null, 5.00m, 3.00m)]))
                .WithCharge("reports", PricingModel.Graduated(graduated, includedUnits: 100m))
                .Build()));
    }
}
