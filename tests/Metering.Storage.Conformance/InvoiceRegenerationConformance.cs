namespace Metering.Storage.Conformance;

/// <summary>
/// Void and regenerate (issue #16): the invoice is voided and replaced for the same period from the period's usage as it
/// is now, with the next gap-free number, links both ways, credits returned and applied again, exactly once.
/// Figures use the standard plan: 10.00 base fee + 2.00 per call.
/// </summary>
public abstract class InvoiceRegenerationConformance : StoreTestBase
{
    private static async Task<decimal> UsdRemainingAsync(TestMetering billing) =>
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining;

    private static async Task<List<BillingEvent>> EventsAsync(TestMetering billing, BillingEventType type) =>
        [.. (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.Type == type)];

    // 5 calls: 10.00 + 5 x 2.00 = 20.00, invoice #1.
    private static async Task<(Subscription Sub, Invoice Invoice)> TwentyInvoiceAsync(TestMetering billing)
    {
        var sub = await SubscribeAsync(billing, "c1");
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Number.Should().Be(1);
        invoice.Content.Subtotal.Should().Be(Usd(20.00m));
        return (sub, invoice);
    }

    [Fact]
    public async Task Regenerate_TwentyInvoice_VoidsNumberOneAndIssuesNumberTwo()
    {
        await using var billing = CreateStandard();
        var (sub, invoice) = await TwentyInvoiceAsync(billing);
        invoice.Total.Should().Be(Usd(20.00m));

        var result = await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId);

        result.Voided.InvoiceId.Should().Be(invoice.InvoiceId);
        result.Voided.Number.Should().Be(1);
        result.Voided.Status.Should().Be(InvoiceStatus.Void);
        result.Voided.ReplacedByInvoiceId.Should().Be(invoice.InvoiceId + "_r1");
        var replacement = result.Replacement;
        replacement.InvoiceId.Should().Be(invoice.InvoiceId + "_r1");
        replacement.Number.Should().Be(2);
        replacement.Revision.Should().Be(1);
        replacement.ReplacesInvoiceId.Should().Be(invoice.InvoiceId);
        replacement.ReplacedByInvoiceId.Should().BeNull();
        replacement.Status.Should().Be(InvoiceStatus.Finalized);
        replacement.Total.Should().Be(Usd(20.00m));
        replacement.Content.Lines.Select(l => l.Amount).Should().Equal(Usd(10.00m), Usd(10.00m));
        replacement.Period.Should().Be(invoice.Period);
        replacement.Reason.Should().Be(invoice.Reason);
        replacement.PlanVersion.Should().Be(invoice.PlanVersion);
        replacement.SubscriptionId.Should().Be(sub.SubscriptionId);

        (await billing.Invoices.GetAsync(invoice.InvoiceId)).Should().Be(result.Voided);
        (await billing.Invoices.GetAsync(replacement.InvoiceId)).Should().Be(replacement);
        (await billing.Invoices.ListAsync("c1")).Items.Select(i => (i.Number, i.Status)).Should().Equal((2, InvoiceStatus.Finalized), (1, InvoiceStatus.Void));

        var history = await billing.Usage.GetHistoryAsync(sub.SubscriptionId);
        history.Items.Single(p => p.Period.Start == invoice.Period.Start).InvoiceId.Should().Be(replacement.InvoiceId, "the period's live invoice is the replacement");

        (await EventsAsync(billing, BillingEventType.InvoiceVoided)).Select(e => (e.SubjectId, ((InvoiceEventPayload)e.Payload).Number)).Should().Equal((invoice.InvoiceId, 1L));
        (await EventsAsync(billing, BillingEventType.InvoiceCreated)).Select(e => (e.SubjectId, ((InvoiceEventPayload)e.Payload).Number)).Should().Equal((invoice.InvoiceId, 1L), (replacement.InvoiceId, 2L));
        (await EventsAsync(billing, BillingEventType.InvoiceFinalized)).Select(e => ((InvoiceEventPayload)e.Payload).Number).Should().Equal(1L, 2L);
    }

    [Fact]
    public async Task Regenerate_WithFiftyGrant_ReturnsTwentyAndAppliesItAgain()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(50.00m), GrantId = "g1", Category = CreditCategory.Paid });
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // 20.00 subtotal, all of it paid by the 50.00 grant: 30.00 left.
        invoice.Content.Subtotal.Should().Be(Usd(20.00m));
        invoice.Content.CreditsApplied.Should().Be(Usd(20.00m));
        invoice.Total.Should().Be(Usd(0.00m));
        (await UsdRemainingAsync(billing)).Should().Be(30.00m);

        var result = await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId);

        result.Replacement.Content.Subtotal.Should().Be(Usd(20.00m));
        result.Replacement.Content.CreditsApplied.Should().Be(Usd(20.00m), "the 20.00 returned from the voided invoice is applied again");
        result.Replacement.Total.Should().Be(Usd(0.00m));
        (await UsdRemainingAsync(billing)).Should().Be(30.00m);
        var transactions = (await billing.Credits.ListTransactionsAsync("c1")).Items;
        transactions.Where(t => t.Type != CreditTransactionType.Grant).OrderBy(t => t.Sequence).Select(t => (t.Type, t.Amount.Amount, t.InvoiceId)).Should().Equal(
            (CreditTransactionType.Consumption, 20.00m, invoice.InvoiceId),
            (CreditTransactionType.Adjustment, 20.00m, invoice.InvoiceId),
            (CreditTransactionType.Consumption, 20.00m, result.Replacement.InvoiceId));
    }

    [Fact]
    public async Task RefusedRegenerations_UseNoNumber()
    {
        await using var billing = CreateStandard();
        var (sub, invoice) = await TwentyInvoiceAsync(billing);
        var second = (await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId)).Replacement;

        var again = async () => await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId);
        (await again.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.Should().Match<InvalidInvoiceTransitionException>(e => e.From == InvoiceStatus.Void && e.ErrorCode == MeteringErrorCode.InvalidState && e.Message.Contains(second.InvoiceId));

        var third = (await billing.Invoices.VoidAndRegenerateAsync(second.InvoiceId)).Replacement;
        third.Number.Should().Be(3);
        third.Revision.Should().Be(2);
        third.InvoiceId.Should().Be(invoice.InvoiceId + "_r2");
        third.ReplacesInvoiceId.Should().Be(second.InvoiceId);
        await billing.Invoices.MarkPaidAsync(third.InvoiceId);
        var paid = async () => await billing.Invoices.VoidAndRegenerateAsync(third.InvoiceId);
        (await paid.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.From.Should().Be(InvoiceStatus.Paid);

        var next = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        next.Number.Should().Be(4, "refused regenerations leave no gap");
        next.Total.Should().Be(Usd(10.00m));
        (await billing.Invoices.ListAsync("c1")).Items.Select(i => i.Number).Should().Equal(4L, 3L, 2L, 1L);
        (await billing.Usage.GetHistoryAsync(sub.SubscriptionId)).Items.Single(p => p.Period.Start == invoice.Period.Start).InvoiceId.Should().Be(third.InvoiceId);
    }

    [Fact]
    public async Task TwoConcurrentRegenerations_MakeOneReplacement()
    {
        await using var billing = CreateStandard();
        var (_, invoice) = await TwentyInvoiceAsync(billing);

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
        (await billing.Invoices.ListAsync("c1")).Items.Select(i => (i.Number, i.Status)).Should().Equal((2, InvoiceStatus.Finalized), (1, InvoiceStatus.Void));
        (await EventsAsync(billing, BillingEventType.InvoiceVoided)).Should().ContainSingle();
    }

    [Fact]
    public async Task CreditedInvoice_IsNotRegenerated()
    {
        await using var billing = CreateStandard();
        var (_, invoice) = await TwentyInvoiceAsync(billing);
        await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Amount = Usd(5.00m), Outcome = CreditNoteOutcome.CustomerBalance, Reason = CreditNoteReason.OrderChange });

        var regenerate = async () => await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId);

        (await regenerate.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.Message.Should().Contain("5.00").And.Contain("15.00");
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.Status.Should().Be(InvoiceStatus.Finalized);
        (await billing.Invoices.ListAsync("c1")).Items.Should().ContainSingle();
        (await EventsAsync(billing, BillingEventType.InvoiceVoided)).Should().BeEmpty();
    }

    [Fact]
    public async Task ManualApproval_DraftIsRegeneratedAsADraft()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Manual);
        var (_, invoice) = await TwentyInvoiceAsync(billing);
        invoice.Status.Should().Be(InvoiceStatus.Draft);

        var result = await billing.Invoices.VoidAndRegenerateAsync(invoice.InvoiceId);

        result.Voided.Status.Should().Be(InvoiceStatus.Void);
        result.Replacement.Status.Should().Be(InvoiceStatus.Draft);
        result.Replacement.FinalizedAt.Should().BeNull();
        result.Replacement.Number.Should().Be(2);
        result.Replacement.Total.Should().Be(Usd(20.00m));
        (await EventsAsync(billing, BillingEventType.InvoiceFinalized)).Should().BeEmpty();
        (await billing.Invoices.ApproveAsync(result.Replacement.InvoiceId)).Status.Should().Be(InvoiceStatus.Finalized);
    }

    [Fact]
    public async Task UnknownInvoice_IsNotFound()
    {
        await using var billing = CreateStandard();

        var regenerate = async () => await billing.Invoices.VoidAndRegenerateAsync("in_nope");

        (await regenerate.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
    }
}
