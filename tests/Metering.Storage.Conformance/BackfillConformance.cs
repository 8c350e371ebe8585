namespace Metering.Storage.Conformance;

/// <summary>
/// Backfill (issue #16): usage recorded explicitly into a closed period, with a reason, through
/// <see cref="IUsageRecorder.BackfillAsync"/>; the difference billed as an adjustment invoice that references the
/// period's invoice, exactly once. Figures use a plan at 1.00 per call and no base fee: q calls bill q.00.
/// </summary>
public abstract partial class BackfillConformance : StoreTestBase
{
    private const string Reason = "usage export from the edge region arrived late";

    private static Plan UnitPlan() =>
        Plan.Create("unit", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1.00m))
            .Build();

    private TestMetering CreateUnit() => CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(UnitPlan()));

    // 100 calls in January: invoice #1 of 100.00; the clock is then past February's start.
    private static async Task<(Subscription Sub, Invoice Invoice)> HundredInvoiceAsync(TestMetering billing)
    {
        var sub = await SubscribeAsync(billing, "c1", "unit");
        (await billing.Recorder.RecordAsync(Usage("c1", 100m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Number.Should().Be(1);
        invoice.Total.Should().Be(Usd(100.00m));
        return (sub, invoice);
    }

    // Invariant 9: invoices that are not void minus credit notes.
    private static async Task<decimal> NetBilledAsync(TestMetering billing)
    {
        var invoices = (await billing.Invoices.ListAsync("c1", limit: 100)).Items;
        var notes = (await billing.Invoices.ListCreditNotesAsync("c1", limit: 100)).Items;
        return invoices.Where(i => i.Status != InvoiceStatus.Void).Sum(i => i.Total.Amount) - notes.Sum(n => n.Amount.Amount);
    }

    [Fact]
    public async Task UnderAMinimumCommitment_TheTrueUpShrinksAsBackfilledUsageGrows()
    {
        // 0.0015 a call under the contract (the plan says 0.002) and a 50.00 minimum per period.
        var plan = Plan.Create("metered", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(0.002m)).Build();
        await using var billing = CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest
        {
            CustomerId = "c1",
            PlanKey = "metered",
            Contract = new ContractTerms
            {
                ContractId = "ct_min",
                StartsAt = Start,
                ChargeOverrides = [new ChargeOverride("api_calls", PricingModel.PerUnit(0.0015m))],
                MinimumCommitment = Usd(50.00m),
            },
        });
        (await billing.Recorder.RecordAsync(Usage("c1", 20_000m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var january = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        january.Total.Should().Be(Usd(50.00m), "30.00 of calls + 20.00 true-up");

        // +10,000 calls: 45.00 of calls + 5.00 true-up is still the 50.00 minimum: nothing more to bill.
        var within = await billing.Recorder.BackfillAsync([Usage("c1", 10_000m, Start + Duration.FromDays(3), "late-1")], Reason);
        // +20,000 more: 75.00 of calls, no true-up; 50.00 billed, so the adjustment is 25.00 (+45.00 calls, -20.00 true-up).
        var beyond = await billing.Recorder.BackfillAsync([Usage("c1", 20_000m, Start + Duration.FromDays(4), "late-2")], Reason);

        within.Adjustments.Should().BeEmpty();
        within.Periods.Single().Difference.Should().Be(Usd(0m));
        var adjustment = beyond.Adjustments.Single();
        adjustment.Total.Should().Be(Usd(25.00m));
        adjustment.Content.Lines.Select(l => (l.Kind, l.Amount.Amount)).Should().BeEquivalentTo(new[]
        {
            (InvoiceLineKind.Usage, 45.00m),
            (InvoiceLineKind.MinimumCommitment, -20.00m),
        });
        (await NetBilledAsync(billing)).Should().Be(75.00m, "invariant 9: 50,000 calls × 0.0015, above the minimum");
    }

    [Fact]
    public async Task Backfill_TwentyIntoClosedHundred_BillsOneTwentyAdjustment_Once()
    {
        await using var billing = CreateUnit();
        var (sub, invoice) = await HundredInvoiceAsync(billing);
        var records = new[] { Usage("c1", 12m, Start + Duration.FromDays(3), "b1"), Usage("c1", 8m, Start + Duration.FromDays(20), "b2") };

        var result = await billing.Recorder.BackfillAsync(records, Reason);

        result.Outcomes.Select(o => o.Kind).Should().Equal(UsageOutcomeKind.Accepted, UsageOutcomeKind.Accepted);
        result.Outcomes.Select(o => o.PeriodStart).Should().Equal(Start, Start);
        var adjustment = result.Adjustments.Should().ContainSingle().Subject;
        adjustment.InvoiceId.Should().Be(invoice.InvoiceId + "_a1");
        adjustment.Number.Should().Be(2, "the next gap-free invoice number");
        adjustment.Reason.Should().Be(InvoiceReason.Adjustment);
        adjustment.AdjustsInvoiceId.Should().Be(invoice.InvoiceId);
        adjustment.AdjustmentReason.Should().Be(Reason);
        adjustment.Status.Should().Be(InvoiceStatus.Finalized);
        adjustment.Total.Should().Be(Usd(20.00m));
        adjustment.Period.Should().Be(invoice.Period);
        var line = adjustment.Content.Lines.Should().ContainSingle().Subject;
        (line.ChargeKey, line.Quantity, line.Amount).Should().Be(("api_calls", 20m, Usd(20.00m)));
        result.Periods.Should().ContainSingle().Which.Difference.Should().Be(Usd(20.00m));
        (await billing.Invoices.GetAsync(adjustment.InvoiceId)).Should().Be(adjustment);
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.Total.Should().Be(Usd(100.00m), "the original invoice is left as it was");

        // The same backfill again: Duplicates, nothing billed twice.
        var retry = await billing.Recorder.BackfillAsync(records, Reason);
        retry.Outcomes.Select(o => o.Kind).Should().Equal(UsageOutcomeKind.Duplicate, UsageOutcomeKind.Duplicate);
        retry.Adjustments.Should().BeEmpty();
        retry.Periods.Should().ContainSingle().Which.Difference.Should().Be(Usd(0m));
        (await billing.Invoices.ListAsync("c1")).Items.Select(i => (i.Number, i.Total.Amount)).Should().Equal((2L, 20.00m), (1L, 100.00m));

        var history = await billing.Usage.GetHistoryAsync(sub.SubscriptionId);
        history.Items.Single(p => p.Period.Start == Start).Meters.Single().Quantity.Should().Be(120m, "history shows the corrected total");
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start)).Should().Match<ReconciliationReport>(r => r.IsConsistent && r.RecordCount == 3);
        (await NetBilledAsync(billing)).Should().Be(120.00m, "invariant 9: 120 calls at 1.00");

        var events = (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.SubjectId == adjustment.InvoiceId).ToList();
        events.Select(e => (e.Type, ((InvoiceEventPayload)e.Payload).Number)).Should().Equal((BillingEventType.InvoiceCreated, 2L), (BillingEventType.InvoiceFinalized, 2L));
    }

    [Fact]
    public async Task Backfill_RulesOfNormalRecording_Hold()
    {
        await using var billing = CreateUnit();
        var (sub, _) = await HundredInvoiceAsync(billing);

        // Normal recording still refuses the closed period.
        var late = await billing.Recorder.RecordAsync(Usage("c1", 5m, Start + Duration.FromDays(2), "late"));
        late.Kind.Should().Be(UsageOutcomeKind.Rejected);
        late.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);

        var result = await billing.Recorder.BackfillAsync(
            [
                Usage("c1", 5m, February, "open"),                   // the open period: use RecordAsync
                Usage("c1", 7m, Start + Duration.FromDays(1), "k1"), // the key of the 100 recorded normally, other content
                Usage("c1", -1m, Start, "neg"),                      // validated as any record
                Usage("c1", 4m, Start + Duration.FromDays(9), "ok"),
            ],
            Reason);

        result.Outcomes.Select(o => o.Kind).Should().Equal(
            UsageOutcomeKind.Rejected, UsageOutcomeKind.Conflict, UsageOutcomeKind.Rejected, UsageOutcomeKind.Accepted);
        result.Outcomes[0].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodNotClosed);
        result.Outcomes[0].Rejection!.Value.Message.Should().Contain("RecordAsync");
        result.Outcomes[2].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NegativeQuantity);
        result.Adjustments.Should().ContainSingle().Which.Total.Should().Be(Usd(4.00m));
        (await AggregateOfAsync(billing, sub.SubscriptionId, February)).Quantity.Should().Be(0m, "nothing of the rejected record was stored");
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(104m);

        // The record recorded normally, sent again as a backfill: a Duplicate, counted once.
        var same = await billing.Recorder.BackfillAsync([Usage("c1", 100m, Start, "k1")], Reason);
        same.Outcomes.Single().Kind.Should().Be(UsageOutcomeKind.Duplicate);
        same.Adjustments.Should().BeEmpty();
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(104m);

        var blank = async () => await billing.Recorder.BackfillAsync([Usage("c1", 1m, Start, "x")], " ");
        (await blank.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
    }

    [Fact]
    public async Task Backfill_Concurrent_BillsEachUnitOnce_WithGapFreeNumbers()
    {
        await using var billing = CreateUnit();
        var (sub, _) = await HundredInvoiceAsync(billing);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
            await billing.Recorder.BackfillAsync([Usage("c1", i + 1m, Start + Duration.FromHours(i + 1), $"c{i}")], Reason))));

        // 1 + 2 + ... + 6 = 21 calls more, billed once whichever backfill's adjustment carried them.
        results.SelectMany(r => r.Outcomes).Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
        var adjustments = results.SelectMany(r => r.Adjustments).ToList();
        adjustments.Sum(a => a.Total.Amount).Should().Be(21.00m);
        var invoices = (await billing.Invoices.ListAsync("c1", limit: 100)).Items;
        invoices.Select(i => i.Number).Order().Should().Equal(Enumerable.Range(1, invoices.Count).Select(n => (long)n), "numbers have no gaps");
        invoices.Where(i => i.Reason == InvoiceReason.Adjustment).Select(i => i.InvoiceId).Should().BeEquivalentTo(adjustments.Select(a => a.InvoiceId));
        (await NetBilledAsync(billing)).Should().Be(121.00m);
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(121m);
    }

    [Fact]
    public async Task Backfill_AfterACreditNote_BillsOnlyTheBackfilledUsage()
    {
        await using var billing = CreateUnit();
        var (_, invoice) = await HundredInvoiceAsync(billing);
        var backfill = await billing.Recorder.BackfillAsync([Usage("c1", 20m, Start + Duration.FromDays(5), "b1")], Reason);
        var adjustment = backfill.Adjustments.Single();

        // The backfilled usage was counted twice upstream: 5 of the 20 are credited back on the adjustment.
        var note = await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = adjustment.InvoiceId, Outcome = CreditNoteOutcome.CustomerBalance, Amount = Usd(5.00m) });
        note.Amount.Should().Be(Usd(5.00m));
        (await NetBilledAsync(billing)).Should().Be(115.00m);

        // A further backfill bills its own 10 calls, not the credited 5 again.
        (await billing.Recorder.BackfillAsync([Usage("c1", 10m, Start + Duration.FromDays(6), "b2")], Reason)).Adjustments.Single().Total.Should().Be(Usd(10.00m));
        (await NetBilledAsync(billing)).Should().Be(125.00m, "100 + 20 + 10 billed, 5 credited");
        invoice.Total.Should().Be(Usd(100.00m));
    }
}
