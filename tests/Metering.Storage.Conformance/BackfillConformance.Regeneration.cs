namespace Metering.Storage.Conformance;

// Void and regenerate of a period with backfill adjustments: the live adjustments are voided with the period's invoice
// in one transaction and the replacement bills the corrected usage once, on every store.
public abstract partial class BackfillConformance
{
    [Fact]
    public async Task Regenerate_PeriodWithAdjustment_VoidsBoth_AndOneReplacementBillsTheCorrectedTotal()
    {
        await using var billing = CreateUnit();
        var (_, invoice) = await HundredInvoiceAsync(billing);
        var adjustment = (await billing.Recorder.BackfillAsync([Usage("c1", 20m, Start + Duration.FromDays(5), "b1")], Reason)).Adjustments.Single();
        adjustment.Total.Should().Be(Usd(20.00m));

        // The adjustment itself is not regenerated: the message points at the period's invoice.
        var ofAdjustment = async () => await billing.Invoices.VoidAndRegenerateAsync(adjustment.InvoiceId);
        (await ofAdjustment.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.Message.Should().Contain(invoice.InvoiceId);

        var result = await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId);

        result.Voided.Status.Should().Be(InvoiceStatus.Void);
        var voidedAdjustment = result.VoidedAdjustments.Should().ContainSingle().Subject;
        (voidedAdjustment.InvoiceId, voidedAdjustment.Status).Should().Be((adjustment.InvoiceId, InvoiceStatus.Void));
        result.Replacement.Total.Should().Be(Usd(120.00m), "120 calls at 1.00, billed once");
        result.Replacement.Number.Should().Be(3, "numbers stay gap-free");
        (await billing.Invoices.GetAsync(adjustment.InvoiceId))!.Status.Should().Be(InvoiceStatus.Void);
        (await billing.Invoices.ListAsync("c1", limit: 100)).Items.Select(i => (i.Number, i.Status)).Should().Equal(
            (3L, InvoiceStatus.Finalized), (2L, InvoiceStatus.Void), (1L, InvoiceStatus.Void));
        (await NetBilledAsync(billing)).Should().Be(120.00m, "invariant 9 after regeneration");
        var voidedEvents = (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.Type == BillingEventType.InvoiceVoided);
        voidedEvents.Select(e => e.SubjectId).Should().BeEquivalentTo([invoice.InvoiceId, adjustment.InvoiceId]);

        // A later backfill adjusts the replacement, the period's live invoice.
        var later = (await billing.Recorder.BackfillAsync([Usage("c1", 3m, Start + Duration.FromDays(6), "b2")], Reason)).Adjustments.Single();
        later.AdjustsInvoiceId.Should().Be(result.Replacement.InvoiceId);
        later.InvoiceId.Should().Be(invoice.InvoiceId + "_a2");
        later.Total.Should().Be(Usd(3.00m));
        (await NetBilledAsync(billing)).Should().Be(123.00m);
    }

    [Fact]
    public async Task Regenerate_WithAPaidAdjustment_IsRefusedNamingIt_AndUsesNoNumber()
    {
        await using var billing = CreateUnit();
        var (_, invoice) = await HundredInvoiceAsync(billing);
        var adjustment = (await billing.Recorder.BackfillAsync([Usage("c1", 20m, Start + Duration.FromDays(5), "b1")], Reason)).Adjustments.Single();
        await billing.Invoices.MarkPaidAsync(adjustment.InvoiceId);

        var regenerate = async () => await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId);

        var refused = (await regenerate.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which;
        refused.Message.Should().Contain(adjustment.InvoiceId).And.Contain("Paid").And.Contain("credit note");
        (await billing.Invoices.ListAsync("c1", limit: 100)).Items.Select(i => (i.Number, i.Status)).Should().Equal(
            (2L, InvoiceStatus.Paid), (1L, InvoiceStatus.Finalized));
        (await NetBilledAsync(billing)).Should().Be(120.00m);
    }

    [Fact]
    public async Task TwoConcurrentRegenerations_OfAPeriodWithAnAdjustment_MakeOneReplacement()
    {
        await using var billing = CreateUnit();
        var (_, invoice) = await HundredInvoiceAsync(billing);
        await billing.Recorder.BackfillAsync([Usage("c1", 20m, Start + Duration.FromDays(5), "b1")], Reason);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            try
            {
                return (Result: (InvoiceRegeneration?)await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId), Error: (Exception?)null);
            }
            catch (InvalidInvoiceTransitionException e)
            {
                return (Result: (InvoiceRegeneration?)null, Error: (Exception?)e);
            }
        })));

        attempts.Count(a => a.Result is not null).Should().Be(1);
        attempts.Single(a => a.Result is null).Error.Should().BeOfType<InvalidInvoiceTransitionException>().Which.From.Should().Be(InvoiceStatus.Void);
        (await billing.Invoices.ListAsync("c1", limit: 100)).Items.Select(i => (i.Number, i.Status, i.Total.Amount)).Should().Equal(
            (3L, InvoiceStatus.Finalized, 120.00m), (2L, InvoiceStatus.Void, 20.00m), (1L, InvoiceStatus.Void, 100.00m));
        (await NetBilledAsync(billing)).Should().Be(120.00m);
    }
}
