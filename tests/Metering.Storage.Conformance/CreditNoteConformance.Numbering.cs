namespace Metering.Storage.Conformance;

/// <summary>Credit note numbering, concurrency, retries, listing, and invariant 9 of DESIGN.md.</summary>
public abstract partial class CreditNoteConformance
{
    [Fact]
    public async Task Numbers_AreGapFree_AcrossInvoicesAndRefusedNotes()
    {
        await using var billing = CreateStandard();
        var first = await HundredInvoiceAsync(billing, "c1");
        var second = await HundredInvoiceAsync(billing, "c2");

        var numbers = new List<long>
        {
            (await billing.Invoices.IssueCreditNoteAsync(Amount(first, 60.00m, CreditNoteOutcome.CustomerBalance))).Number,
        };
        var refused = async () => await billing.Invoices.IssueCreditNoteAsync(Amount(first, 50.00m, CreditNoteOutcome.CustomerBalance));
        await refused.Should().ThrowAsync<CreditNoteExceedsInvoiceException>();
        var badLine = async () => await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = second.InvoiceId, Outcome = CreditNoteOutcome.CustomerBalance, Lines = [new CreditNoteLineRequest(0, Usd(10.01m))] });
        await badLine.Should().ThrowAsync<CreditNoteExceedsInvoiceException>();
        numbers.Add((await billing.Invoices.IssueCreditNoteAsync(Amount(second, 40.00m, CreditNoteOutcome.CustomerBalance))).Number);
        numbers.Add((await billing.Invoices.IssueCreditNoteAsync(Amount(first, 40.00m, CreditNoteOutcome.CustomerBalance))).Number);

        numbers.Should().Equal(1, 2, 3);
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(100.00m, "60.00 + 40.00 granted, the refused 50.00 not");
        (await billing.Credits.GetBalancesAsync("c2")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(40.00m);
    }

    [Fact]
    public async Task ConcurrentNotes_OnOneInvoice_NeverExceedIt()
    {
        await using var billing = CreateStandard();
        var invoice = await HundredInvoiceAsync(billing);

        // 8 notes of 20.00 at once on a 100.00 invoice: exactly 5 fit.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                return (CreditNote?)await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, 20.00m, CreditNoteOutcome.CustomerBalance));
            }
            catch (CreditNoteExceedsInvoiceException e)
            {
                e.Creditable.Should().Be(Usd(0.00m), "a note is refused only once the invoice is fully credited");
                return null;
            }
        })));

        var issued = attempts.OfType<CreditNote>().ToList();
        issued.Should().HaveCount(5);
        issued.Select(n => n.Number).Order().Should().Equal(1, 2, 3, 4, 5);
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.CreditedAmount.Should().Be(100.00m);
        (await billing.Invoices.ListInvoiceCreditNotesAsync(invoice.InvoiceId, limit: 100)).Items.Should().HaveCount(5);
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(100.00m, "each issued note granted 20.00, no refused one did");
        (await EventsAsync(billing, BillingEventType.CreditNoteIssued)).Select(e => ((CreditNoteEventPayload)e.Payload).Number).Order().Should().Equal(1, 2, 3, 4, 5);
    }

    [Fact]
    public async Task Retry_WithTheSameId_ReturnsTheIssuedNoteOnce()
    {
        await using var billing = CreateStandard();
        var invoice = await HundredInvoiceAsync(billing);
        var request = Amount(invoice, 30.00m, CreditNoteOutcome.CustomerBalance, id: "cn-retry");

        var first = await billing.Invoices.IssueCreditNoteAsync(request);
        var retried = await billing.Invoices.IssueCreditNoteAsync(request);

        retried.Should().Be(first);
        first.CreditNoteId.Should().Be("cn-retry");
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.CreditedAmount.Should().Be(30.00m);
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(30.00m);
        (await EventsAsync(billing, BillingEventType.CreditNoteIssued)).Should().ContainSingle();

        var other = await HundredInvoiceAsync(billing, "c2");
        var sameIdElsewhere = async () => await billing.Invoices.IssueCreditNoteAsync(Amount(other, 10.00m, CreditNoteOutcome.CustomerBalance, id: "cn-retry"));
        (await sameIdElsewhere.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.AlreadyExists);
        (await billing.Invoices.GetAsync(other.InvoiceId))!.CreditedAmount.Should().Be(0m);
    }

    [Fact]
    public async Task Listing_PagesNewestFirst_PerCustomerAndPerInvoice()
    {
        await using var billing = CreateStandard();
        var mine = await HundredInvoiceAsync(billing, "c1");
        var sub = (await billing.Subscriptions.ListAsync("c1")).Single();
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, billing.Clock.GetCurrentInstant(), "c1-k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var mySecond = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        mySecond.Total.Should().Be(Usd(20.00m));
        var theirs = await HundredInvoiceAsync(billing, "c2");

        var expected = new List<CreditNote>();
        foreach (var (invoice, amount) in new[] { (mine, 10.00m), (theirs, 5.00m), (mySecond, 1.00m), (mine, 2.00m), (mySecond, 3.00m), (mine, 4.00m) })
        {
            var note = await billing.Invoices.IssueCreditNoteAsync(Amount(invoice, amount, CreditNoteOutcome.CustomerBalance));
            if (note.CustomerId == "c1")
            {
                expected.Add(note);
            }
        }

        var pages = await AllPagesAsync(cursor => billing.Invoices.ListCreditNotesAsync("c1", cursor, limit: 2));
        pages.Select(p => p.Items.Count).Should().Equal(2, 2, 1);
        pages.SelectMany(p => p.Items).Should().Equal(Enumerable.Reverse(expected));

        var ofMine = await AllPagesAsync(cursor => billing.Invoices.ListInvoiceCreditNotesAsync(mine.InvoiceId, cursor, limit: 2));
        ofMine.SelectMany(p => p.Items).Select(n => n.Amount.Amount).Should().Equal(4.00m, 2.00m, 10.00m);
        (await billing.Invoices.ListCreditNotesAsync("c2")).Items.Should().ContainSingle().Which.Amount.Should().Be(Usd(5.00m));
    }

    [Fact]
    public async Task Invariant9_InvoicesNotVoidedMinusCreditNotes_EqualWhatIsOwed()
    {
        await using var billing = CreateStandard();
        var first = await HundredInvoiceAsync(billing, paid: true);
        var sub = (await billing.Subscriptions.ListAsync("c1")).Single();
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, billing.Clock.GetCurrentInstant(), "c1-k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var second = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        var third = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        third.Total.Should().Be(Usd(10.00m), "a period without usage still bills the base fee");
        await billing.Invoices.VoidAsync(third.InvoiceId);

        await billing.Invoices.IssueCreditNoteAsync(Amount(first, 30.00m));
        await billing.Invoices.IssueCreditNoteAsync(new CreditNoteRequest { InvoiceId = second.InvoiceId, Outcome = CreditNoteOutcome.CustomerBalance, Lines = [new CreditNoteLineRequest(1, Usd(4.00m))] });

        var invoices = (await AllPagesAsync(cursor => billing.Invoices.ListAsync("c1", cursor, 10))).SelectMany(p => p.Items).ToList();
        var notes = (await AllPagesAsync(cursor => billing.Invoices.ListCreditNotesAsync("c1", cursor, 10))).SelectMany(p => p.Items).ToList();
        var invoiced = invoices.Where(i => i.Status != InvoiceStatus.Void).Sum(i => i.Total.Amount);
        var creditNoted = notes.Sum(n => n.Amount.Amount);

        // Priced truth, by hand: 100.00 (45 calls) + 20.00 (5 calls) billed, less 30.00 and 4.00 credited; the voided 10.00 not.
        (invoiced - creditNoted).Should().Be(86.00m);
        invoices.Where(i => i.Status != InvoiceStatus.Void).Sum(i => i.CreditableAmount.Amount).Should().Be(86.00m, "each invoice keeps what its notes credited");
        foreach (var invoice in invoices)
        {
            invoice.CreditedAmount.Should().Be(notes.Where(n => n.InvoiceId == invoice.InvoiceId).Sum(n => n.Amount.Amount));
        }
    }
}
