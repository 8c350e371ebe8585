namespace Metering.Storage.Conformance;

// Backfill that lowers a period's price: the negative difference is credited by a Backfill credit note, in the
// adjustment's transaction, on every store.
public abstract partial class BackfillConformance
{
    // All units at 1.00 up to 100, all at 0.80 past 100 (volume pricing, no base fee).
    private TestMetering CreateVolume() => CreateMetering(o => o
        .AddMeter(Meter.Sum("api_calls"))
        .AddPlan(Plan.Create("unit", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.Volume([new PriceTier(100m, 1.00m), new PriceTier(null, 0.80m)]))
            .Build()));

    [Fact]
    public async Task Backfill_IntoACheaperVolumeTier_CreditsTwelveOnTheInvoice_Once()
    {
        await using var billing = CreateVolume();
        var (_, invoice) = await HundredInvoiceAsync(billing);

        // 110 calls × 0.80 = 88.00 corrected; 100.00 billed: 12.00 credited back.
        var records = new[] { Usage("c1", 10m, Start + Duration.FromDays(4), "b1") };
        var result = await billing.Recorder.BackfillAsync(records, Reason);

        result.Adjustments.Should().BeEmpty();
        var period = result.Periods.Should().ContainSingle().Subject;
        period.Difference.Should().Be(Usd(-12.00m));
        var note = period.CreditNotes.Should().ContainSingle().Subject;
        result.CreditNotes.Should().Equal(note);
        note.CreditNoteId.Should().Be(invoice.InvoiceId + "_cn1");
        note.Number.Should().Be(1, "the first number of the credit note sequence");
        note.InvoiceId.Should().Be(invoice.InvoiceId);
        note.Amount.Should().Be(Usd(12.00m));
        note.Reason.Should().Be(CreditNoteReason.Backfill);
        note.Memo.Should().Be(Reason);
        note.Outcome.Should().Be(CreditNoteOutcome.CustomerBalance);
        note.Lines.Should().ContainSingle().Which.Should().Be(new CreditNoteLine(0, invoice.Content.Lines[0].Description, Usd(12.00m)));
        (await billing.Invoices.GetCreditNoteAsync(note.CreditNoteId)).Should().Be(note);
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.CreditedAmount.Should().Be(12.00m);
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(12.00m, "the note credits the customer's balance");
        (await NetBilledAsync(billing)).Should().Be(88.00m, "invariant 9: 110 calls at 0.80");
        var issued = (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.Type == BillingEventType.CreditNoteIssued).ToList();
        issued.Should().ContainSingle().Which.SubjectId.Should().Be(note.CreditNoteId);

        // The same backfill again: Duplicates, nothing credited twice.
        var retry = await billing.Recorder.BackfillAsync(records, Reason);
        retry.Outcomes.Single().Kind.Should().Be(UsageOutcomeKind.Duplicate);
        retry.Periods.Single().Difference.Should().Be(Usd(0m));
        retry.CreditNotes.Should().BeEmpty();
        (await billing.Invoices.ListCreditNotesAsync("c1")).Items.Should().ContainSingle();

        // 40 more: 150 × 0.80 = 120.00 corrected, 88.00 billed net: a 32.00 adjustment (50 calls more than invoiced).
        var more = await billing.Recorder.BackfillAsync([Usage("c1", 40m, Start + Duration.FromDays(5), "b2")], Reason);
        var adjustment = more.Adjustments.Should().ContainSingle().Subject;
        adjustment.Total.Should().Be(Usd(32.00m));
        adjustment.Number.Should().Be(2);
        var line = adjustment.Content.Lines.Should().ContainSingle().Subject;
        (line.Quantity, line.Amount).Should().Be((50m, Usd(32.00m)));
        more.CreditNotes.Should().BeEmpty();
        (await NetBilledAsync(billing)).Should().Be(120.00m, "invariant 9: 150 calls at 0.80");
    }

    [Fact]
    public async Task Backfill_CreditsTheAdjustmentFirst_ThenTheInvoice_NeverPastWhatIsCreditable()
    {
        await using var billing = CreateVolume();
        var sub = await SubscribeAsync(billing, "c1", "unit");
        (await billing.Recorder.RecordAsync(Usage("c1", 95m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Total.Should().Be(Usd(95.00m));
        var first = await billing.Recorder.BackfillAsync([Usage("c1", 5m, Start + Duration.FromDays(2), "b0")], Reason);
        first.Adjustments.Single().Total.Should().Be(Usd(5.00m), "100 calls, still in the first tier");

        // 10 more: 110 × 0.80 = 88.00 corrected, 100.00 billed: 12.00 credited, the latest invoice first: all 5.00 of
        // the adjustment, then 7.00 of the invoice.
        var result = await billing.Recorder.BackfillAsync([Usage("c1", 10m, Start + Duration.FromDays(3), "b1")], Reason);

        result.Periods.Single().Difference.Should().Be(Usd(-12.00m));
        result.CreditNotes.Select(n => (n.InvoiceId, n.Amount.Amount, n.Number)).Should().Equal(
            (invoice.InvoiceId + "_a1", 5.00m, 1L),
            (invoice.InvoiceId, 7.00m, 2L));
        result.CreditNotes.Select(n => n.CreditNoteId).Should().Equal(invoice.InvoiceId + "_cn1", invoice.InvoiceId + "_cn2");
        (await billing.Invoices.GetAsync(invoice.InvoiceId + "_a1"))!.CreditableAmount.Should().Be(Usd(0m));
        (await NetBilledAsync(billing)).Should().Be(88.00m, "invariant 9: 110 calls at 0.80");
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(12.00m);
    }

    [Fact]
    public async Task Backfill_LoweringALastMeter_CreditsTheDifference()
    {
        // Seats billed at 1.00 each on the last reported count of the period.
        await using var billing = CreateMetering(o => o
            .AddMeter(Meter.Last("seats"))
            .AddPlan(Plan.Create("unit", Currency.USD, BillingInterval.Months(1)).WithCharge("seats", PricingModel.PerUnit(1.00m)).Build()));
        var sub = await SubscribeAsync(billing, "c1", "unit");
        billing.Clock.AdvanceTo(Start + Duration.FromDays(10));
        (await billing.Recorder.RecordAsync(Usage("c1", 10m, Start + Duration.FromDays(10), "k1", "seats"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Total.Should().Be(Usd(10.00m));

        // A later report of 4 seats arrives after the close: the period's last count is 4, so 6.00 is credited back.
        var result = await billing.Recorder.BackfillAsync([Usage("c1", 4m, Start + Duration.FromDays(20), "b1", "seats")], Reason);

        result.Periods.Single().Difference.Should().Be(Usd(-6.00m));
        result.CreditNotes.Should().ContainSingle().Which.Should().Match<CreditNote>(n => n.InvoiceId == invoice.InvoiceId && n.Amount == Usd(6.00m) && n.Reason == CreditNoteReason.Backfill);
        (await NetBilledAsync(billing)).Should().Be(4.00m, "invariant 9: 4 seats at 1.00");
    }

    [Fact]
    public async Task CreditNoteReasonBackfill_IsKeptForBackfills()
    {
        await using var billing = CreateUnit();
        var (_, invoice) = await HundredInvoiceAsync(billing);

        var manual = async () => await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Outcome = CreditNoteOutcome.CustomerBalance, Reason = CreditNoteReason.Backfill, Amount = Usd(1.00m) });

        (await manual.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        (await billing.Invoices.ListCreditNotesAsync("c1")).Items.Should().BeEmpty();
    }
}
