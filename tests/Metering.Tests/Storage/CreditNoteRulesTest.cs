namespace Metering.Tests.Storage;

using Metering.Storage;

/// <summary>The credit note decision (<see cref="CreditNoteRules"/>) and the store-side checks around it, without a store.</summary>
public class CreditNoteRulesTest
{
    private static readonly Instant Now = Instant.FromUtc(2026, 2, 3, 9, 0);
    private static readonly BillingPeriod January = new(0, Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0));

    private static InvoiceLine Line(InvoiceLineKind kind, string description, decimal amount) =>
        new(kind, description, null, null, 1m, null, [], amount, new Money(amount, Currency.USD), null);

    // Base fee 10.00 and usage 90.00, less 50.00 of credits applied at close: 50.00 to pay.
    private static Invoice Invoice(decimal credited = 0m, InvoiceStatus status = InvoiceStatus.Paid) => new()
    {
        InvoiceId = "inv-1",
        Number = 7,
        SubscriptionId = "s1",
        CustomerId = "c1",
        PlanKey = "standard",
        PlanVersion = 1,
        Period = January,
        Reason = InvoiceReason.PeriodEnd,
        Status = status,
        Content = new CalculatedInvoice(
            "standard", 1, Currency.USD, January,
            [Line(InvoiceLineKind.BaseFee, "Base fee", 10.00m), Line(InvoiceLineKind.Usage, "API calls", 90.00m), Line(InvoiceLineKind.Credit, "Credits applied", -50.00m)],
            new Money(100.00m, Currency.USD), new Money(50.00m, Currency.USD), new Money(50.00m, Currency.USD)),
        CreatedAt = January.End,
        CreditedAmount = credited,
    };

    private static CreditNoteDecision Decide(Invoice invoice, CreditNoteRequest request, params CreditNote[] issued) =>
        StoreChangeRules.DecideCreditNote(new CreditNoteContext(invoice, issued), c => CreditNoteRules.Decide(c, request, "cn-1", Now));

    private static CreditNoteRequest Request(decimal? amount = null, params CreditNoteLineRequest[] lines) =>
        new() { InvoiceId = "inv-1", Outcome = CreditNoteOutcome.Refund, Amount = amount is { } a ? new Money(a, Currency.USD) : null, Lines = lines };

    [Fact]
    public void Amount_OverWhatIsStillCreditable_RefusedNamingIt()
    {
        var act = () => Decide(Invoice(credited: 30.00m), Request(30.01m));

        act.Should().Throw<CreditNoteExceedsInvoiceException>()
            .WithMessage("A credit note of 30.01 USD exceeds the 20.00 USD still creditable on invoice 7 ('inv-1'); credit at most 20.00 USD.");
    }

    [Fact]
    public void Lines_AreCappedByTheInvoiceTotal_NotOnlyByTheirOwnAmounts()
    {
        // The usage line is 90.00, but the invoice (after credits applied at close) is 50.00.
        var act = () => Decide(Invoice(), Request(null, new CreditNoteLineRequest(1)));

        act.Should().Throw<CreditNoteExceedsInvoiceException>().Which.Creditable.Should().Be(new Money(50.00m, Currency.USD));
        Decide(Invoice(), Request(null, new CreditNoteLineRequest(1, new Money(50.00m, Currency.USD)))).Invoice.CreditedAmount.Should().Be(50.00m);
    }

    [Fact]
    public void ACreditLine_OrAnAmountFinerThanCents_OrInAnotherCurrency_IsAnInvalidArgument()
    {
        var creditLine = () => Decide(Invoice(), Request(null, new CreditNoteLineRequest(2)));
        var fine = () => Decide(Invoice(), Request(10.005m));
        var euros = () => Decide(Invoice(), Request() with { Amount = new Money(10m, Currency.EUR) });

        creditLine.Should().Throw<MeteringException>().Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        fine.Should().Throw<MeteringException>().Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        euros.Should().Throw<MeteringException>().Which.Message.Should().Contain("credit it in USD");
    }

    [Fact]
    public void Decision_NoteWithoutNumber_InvoiceCreditedByItsAmount_EventCarriesTheTotals()
    {
        var decision = Decide(Invoice(credited: 5.00m), Request(12.50m));

        decision.CreditNote.Number.Should().Be(0, "the store numbers it");
        decision.CreditNote.Amount.Should().Be(new Money(12.50m, Currency.USD));
        decision.Invoice.CreditedAmount.Should().Be(17.50m);
        decision.LedgerChange.Should().BeNull("a refund is recorded only");
        decision.Events.Should().ContainSingle().Which.Payload.Should().Be(new CreditNoteEventPayload(
            "cn-1", 0, "inv-1", 7, new Money(12.50m, Currency.USD), CreditNoteReason.Other, CreditNoteOutcome.Refund, null,
            new Money(17.50m, Currency.USD), new Money(32.50m, Currency.USD)));
    }

    [Fact]
    public void WithCreditNoteNumber_NumbersTheNoteAndItsEvent_NotOtherEvents()
    {
        var decision = Decide(Invoice(), Request(10.00m));
        var other = BillingEvent.Create(BillingEventType.CreditsGranted, "c1", "g1", Now, new CreditGrantEventPayload("g1", new Money(1m, Currency.USD)));

        var numbered = StoreChangeRules.WithCreditNoteNumber(decision with { Events = [.. decision.Events, other] }, 42);

        numbered.CreditNote.Number.Should().Be(42);
        ((CreditNoteEventPayload)numbered.Events[0].Payload).Number.Should().Be(42);
        numbered.Events[0].EventId.Should().Be(decision.Events[0].EventId);
        numbered.Events[1].Should().BeSameAs(other);
    }

    [Fact]
    public void DecideCreditNote_ADecisionThatCreditsPastTheTotal_IsABug()
    {
        var context = new CreditNoteContext(Invoice(credited: 45.00m), []);
        var good = CreditNoteRules.Decide(context with { Invoice = Invoice() }, Request(10.00m), "cn-1", Now);

        var act = () => StoreChangeRules.DecideCreditNote(context, _ => good with { Invoice = Invoice(credited: 55.00m) });

        act.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void DecideInvoiceTransition_ChangingTheCreditedAmount_IsABug()
    {
        var act = () => StoreChangeRules.DecideInvoiceTransition(Invoice(), i => new InvoiceTransition(i with { CreditedAmount = 1m }, []));

        act.Should().Throw<InvalidOperationException>().WithMessage("*only a credit note*");
    }
}
