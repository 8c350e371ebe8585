namespace Metering.Storage.Conformance;

/// <summary>
/// Credit notes (issue #16): against a Finalized or Paid invoice, for the whole invoice, chosen lines or an amount;
/// the notes of an invoice never exceed it, even when issued concurrently; their own gap-free numbering; a refund
/// recorded or a grant on the customer's balance in the same transaction; a CreditNoteIssued event with the change.
/// </summary>
public abstract partial class CreditNoteConformance : StoreTestBase
{
    // 10.00 base fee + 45 x 2.00 = 100.00: line 0 is the base fee (10.00), line 1 the usage (90.00).
    private static async Task<Invoice> HundredInvoiceAsync(TestMetering billing, string customerId = "c1", bool paid = false)
    {
        var sub = await SubscribeAsync(billing, customerId);
        (await billing.Recorder.RecordAsync(Usage(customerId, 45m, billing.Clock.GetCurrentInstant(), customerId + "-k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        // Other customers' periods due by then close too: take this subscription's invoice.
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single(i => i.SubscriptionId == sub.SubscriptionId);
        invoice.Total.Should().Be(Usd(100.00m));
        invoice.Content.Lines.Select(l => l.Amount).Should().Equal(Usd(10.00m), Usd(90.00m));
        return paid ? await billing.Invoices.MarkPaidAsync(invoice.InvoiceId) : invoice;
    }

    private static CreditNoteRequest Amount(Invoice invoice, decimal amount, CreditNoteOutcome outcome = CreditNoteOutcome.Refund, string? id = null) =>
        new() { InvoiceId = invoice.InvoiceId, Amount = Usd(amount), Outcome = outcome, Reason = CreditNoteReason.OrderChange, CreditNoteId = id };

    private static async Task<List<BillingEvent>> EventsAsync(TestMetering billing, BillingEventType type) =>
        [.. (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.Type == type)];

    [Fact]
    public async Task HundredInvoice_ThirtyNote_ThenEightyRefused()
    {
        await using var billing = CreateStandard();
        var invoice = await HundredInvoiceAsync(billing, paid: true);

        var first = await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 30.00m) with { Memo = "two days of outage" });

        first.Number.Should().Be(1);
        first.Amount.Should().Be(Usd(30.00m));
        first.InvoiceId.Should().Be(invoice.InvoiceId);
        first.InvoiceNumber.Should().Be(invoice.Number);
        first.CustomerId.Should().Be("c1");
        first.Outcome.Should().Be(CreditNoteOutcome.Refund);
        first.Reason.Should().Be(CreditNoteReason.OrderChange);
        first.Memo.Should().Be("two days of outage");
        first.GrantId.Should().BeNull("a refund is recorded only");
        first.Lines.Should().BeEmpty();
        first.CreatedAt.Should().Be(billing.Clock.GetCurrentInstant());
        var credited = (await billing.Invoices.GetAsync(invoice.InvoiceId))!;
        credited.CreditedAmount.Should().Be(30.00m);
        credited.CreditableAmount.Should().Be(Usd(70.00m));
        credited.Status.Should().Be(InvoiceStatus.Paid, "a credit note does not change the invoice's status");

        var tooMuch = async () => await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 80.00m));

        var refused = (await tooMuch.Should().ThrowAsync<CreditNoteExceedsInvoiceException>()).Which;
        refused.ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
        refused.Requested.Should().Be(Usd(80.00m));
        refused.Creditable.Should().Be(Usd(70.00m));
        refused.Message.Should().Contain($"80.00 USD exceeds the 70.00 USD still creditable on invoice {invoice.Number}");
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.CreditedAmount.Should().Be(30.00m, "a refused note changes nothing");
        (await billing.Invoices.GetCreditNoteAsync(first.CreditNoteId)).Should().Be(first);

        var rest = await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 70.00m));
        rest.Number.Should().Be(2, "the refused note used no number");
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.CreditableAmount.Should().Be(Usd(0.00m));
        var oneCent = async () => await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 0.01m));
        (await oneCent.Should().ThrowAsync<CreditNoteExceedsInvoiceException>()).Which.Creditable.Should().Be(Usd(0.00m));
    }

    [Fact]
    public async Task WholeInvoice_CreditsWhatIsStillCreditable()
    {
        await using var billing = CreateStandard();
        var invoice = await HundredInvoiceAsync(billing);
        await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 25.00m, CreditNoteOutcome.CustomerBalance));

        var whole = await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Outcome = CreditNoteOutcome.CustomerBalance, Reason = CreditNoteReason.Duplicate });

        whole.Amount.Should().Be(Usd(75.00m), "100.00 less the 25.00 already credited");
        whole.Lines.Should().BeEmpty();
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.CreditedAmount.Should().Be(100.00m);
        var again = async () => await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Outcome = CreditNoteOutcome.CustomerBalance });
        var refused = (await again.Should().ThrowAsync<CreditNoteExceedsInvoiceException>()).Which;
        refused.Requested.Should().Be(Usd(100.00m));
        refused.Creditable.Should().Be(Usd(0.00m));
    }

    [Fact]
    public async Task Lines_AreCreditedUpToTheirAmounts()
    {
        await using var billing = CreateStandard();
        var invoice = await HundredInvoiceAsync(billing, paid: true);

        var note = await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest
        {
            InvoiceId = invoice.InvoiceId,
            Outcome = CreditNoteOutcome.Refund,
            Lines = [new CreditNoteLineRequest(1, Usd(20.00m)), new CreditNoteLineRequest(0)],
        });

        note.Amount.Should().Be(Usd(30.00m), "20.00 of the usage line and the whole 10.00 base fee");
        note.Lines.Should().Equal(
            new CreditNoteLine(1, invoice.Content.Lines[1].Description, Usd(20.00m)),
            new CreditNoteLine(0, invoice.Content.Lines[0].Description, Usd(10.00m)));
        (await billing.Invoices.GetCreditNoteAsync(note.CreditNoteId)).Should().Be(note, "lines round-trip through the store");

        var baseFeeAgain = async () => await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Outcome = CreditNoteOutcome.Refund, Lines = [new CreditNoteLineRequest(0, Usd(0.01m))] });
        var refused = (await baseFeeAgain.Should().ThrowAsync<CreditNoteExceedsInvoiceException>()).Which;
        refused.LineIndex.Should().Be(0);
        refused.Creditable.Should().Be(Usd(0.00m));

        var usageTooMuch = async () => await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Outcome = CreditNoteOutcome.Refund, Lines = [new CreditNoteLineRequest(1, Usd(75.00m))] });
        (await usageTooMuch.Should().ThrowAsync<CreditNoteExceedsInvoiceException>()).Which.Creditable.Should().Be(Usd(70.00m), "90.00 less the 20.00 credited on that line");

        var noSuchLine = async () => await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Outcome = CreditNoteOutcome.Refund, Lines = [new CreditNoteLineRequest(7)] });
        (await noSuchLine.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);

        var restOfUsage = await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = invoice.InvoiceId, Outcome = CreditNoteOutcome.Refund, Lines = [new CreditNoteLineRequest(1)] });
        restOfUsage.Amount.Should().Be(Usd(70.00m));
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.CreditedAmount.Should().Be(100.00m);
    }

    [Fact]
    public async Task CustomerBalance_GrantsTheAmountInTheSameTransaction()
    {
        await using var billing = CreateStandard();
        var invoice = await HundredInvoiceAsync(billing);

        var note = await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 30.00m, CreditNoteOutcome.CustomerBalance));

        note.GrantId.Should().NotBeNull();
        var usd = (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD);
        usd.Remaining.Should().Be(30.00m);
        var grant = (await billing.Store.LoadLedgerAsync("c1", CancellationToken.None)).GetGrant(note.GrantId!);
        grant.Amount.Should().Be(Usd(30.00m));
        grant.Category.Should().Be(CreditCategory.Paid);
        (await billing.Credits.ListTransactionsAsync("c1")).Items.Should().ContainSingle()
            .Which.Should().Match<CreditTransaction>(t => t.Type == CreditTransactionType.Grant && t.GrantId == note.GrantId && t.Amount == Usd(30.00m));

        var issued = (await EventsAsync(billing, BillingEventType.CreditNoteIssued)).Should().ContainSingle().Which;
        issued.SubjectId.Should().Be(note.CreditNoteId);
        issued.Payload.Should().Be(new CreditNoteEventPayload(
            note.CreditNoteId, 1, invoice.InvoiceId, invoice.Number, Usd(30.00m), CreditNoteReason.OrderChange, CreditNoteOutcome.CustomerBalance, note.GrantId, Usd(30.00m), Usd(70.00m)));
        (await EventsAsync(billing, BillingEventType.CreditsGranted)).Should().ContainSingle()
            .Which.Payload.Should().Be(new CreditGrantEventPayload(note.GrantId!, Usd(30.00m)));
    }

    [Fact]
    public async Task Refund_OnlyOfAPaidInvoice_AndNoNoteOnDraftOrVoid()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Manual);
        var draft = await HundredInvoiceAsync(billing);
        draft.Status.Should().Be(InvoiceStatus.Draft);

        var onDraft = async () => await billing.Invoices.IssueCreditNoteAsync(Amount(draft, 10.00m, CreditNoteOutcome.CustomerBalance));
        (await onDraft.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.Message.Should().Contain("approve the draft first");

        await billing.Invoices.ApproveAsync(draft.InvoiceId);
        var refundUnpaid = async () => await billing.Invoices.IssueCreditNoteAsync(Amount(draft, 10.00m));
        (await refundUnpaid.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.From.Should().Be(InvoiceStatus.Finalized);

        await billing.Invoices.VoidAsync(draft.InvoiceId);
        var onVoid = async () => await billing.Invoices.IssueCreditNoteAsync(Amount(draft, 10.00m, CreditNoteOutcome.CustomerBalance));
        (await onVoid.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.From.Should().Be(InvoiceStatus.Void);

        var missing = async () => await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = "nope", Outcome = CreditNoteOutcome.Refund });
        (await missing.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await billing.Invoices.ListCreditNotesAsync("c1")).Items.Should().BeEmpty();
        (await EventsAsync(billing, BillingEventType.CreditNoteIssued)).Should().BeEmpty();
    }

    [Fact]
    public async Task Void_OfACreditedInvoice_IsRefused()
    {
        await using var billing = CreateStandard();
        var invoice = await HundredInvoiceAsync(billing);
        await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 30.00m, CreditNoteOutcome.CustomerBalance));

        var voiding = async () => await billing.Invoices.VoidAsync(invoice.InvoiceId);

        (await voiding.Should().ThrowAsync<InvalidInvoiceTransitionException>()).Which.Message.Should().Contain("credit the remaining 70.00 USD with another credit note");
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.Status.Should().Be(InvoiceStatus.Finalized);
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(30.00m);
    }
}
