namespace Metering.Tests.Storage;

using Metering.Storage;

public class StoreChangeRulesTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly BillingSchedule Monthly = BillingSchedule.FromStart(Start, DateTimeZone.Utc, BillingInterval.Months(1));
    private static readonly Plan Standard = Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).Build().WithVersion(2);

    private static readonly Subscription Stored = new()
    {
        SubscriptionId = "s1",
        CustomerId = "c1",
        PlanKey = "standard",
        PlanVersion = 2,
        Schedule = Monthly,
        StartedAt = Start,
        CurrentPeriod = Monthly.PeriodAt(0),
        Revision = 4,
    };

    private static PeriodCloseContext Context(CreditLedger? ledger = null) => new(Stored, Standard, [], ledger ?? CreditLedger.Empty("c1"));

    private static Invoice InvoiceOf(Subscription subscription)
    {
        var zero = Money.Zero(Currency.USD);
        return new Invoice
        {
            InvoiceId = "inv-1",
            Number = 0,
            SubscriptionId = subscription.SubscriptionId,
            CustomerId = subscription.CustomerId,
            PlanKey = subscription.PlanKey,
            PlanVersion = subscription.PlanVersion,
            Period = subscription.CurrentPeriod,
            Reason = InvoiceReason.PeriodEnd,
            Status = InvoiceStatus.Finalized,
            Content = new CalculatedInvoice(subscription.PlanKey, subscription.PlanVersion, Currency.USD, subscription.CurrentPeriod, [], zero, zero, zero),
            CreatedAt = subscription.CurrentPeriod.End,
        };
    }

    private static PeriodCloseDecision Valid(PeriodCloseContext context, CreditLedger? ledgerAfter = null) =>
        new(context.Subscription with { CurrentPeriod = Monthly.PeriodAt(1), Revision = 5 }, InvoiceOf(context.Subscription), ledgerAfter, []);

    [Fact]
    public void CheckClose_NoSubscription_NotFound()
    {
        StoreChangeRules.CheckClose(null, Start, Standard, periodInvoiced: false).Should().Be(PeriodCloseStatus.NotFound);
    }

    [Fact]
    public void CheckClose_OpenPeriodAsRead_MayClose()
    {
        StoreChangeRules.CheckClose(Stored, Start, Standard, periodInvoiced: false).Should().BeNull();
    }

    [Fact]
    public void CheckClose_ChangedSinceRead_AlreadyClosed()
    {
        StoreChangeRules.CheckClose(Stored with { CurrentPeriod = Monthly.PeriodAt(1) }, Start, Standard, false).Should().Be(PeriodCloseStatus.AlreadyClosed, "the period moved on");
        StoreChangeRules.CheckClose(Stored with { EndedAt = Start + Duration.FromDays(2) }, Start, Standard, false).Should().Be(PeriodCloseStatus.AlreadyClosed, "the subscription ended");
        StoreChangeRules.CheckClose(Stored, Start, Standard, periodInvoiced: true).Should().Be(PeriodCloseStatus.AlreadyClosed, "the period has an invoice");
        StoreChangeRules.CheckClose(Stored with { PlanVersion = 3 }, Start, Standard, false).Should().Be(PeriodCloseStatus.AlreadyClosed, "it is billed on another plan version now");
    }

    [Fact]
    public void DecideClose_ValidDecision_ReturnedAsDecided()
    {
        var context = Context();
        var decision = Valid(context);

        StoreChangeRules.DecideClose(context, _ => decision).Should().BeSameAs(decision);
    }

    [Fact]
    public void DecideClose_NextIsNotTheNextRevision_Throws()
    {
        var context = Context();

        var act = () => StoreChangeRules.DecideClose(context, c => Valid(c) with { Next = c.Subscription with { Revision = 4 } });

        act.Should().Throw<InvalidOperationException>().WithMessage("*revision 5*");
    }

    [Fact]
    public void DecideClose_InvoiceOfAnotherPeriod_Throws()
    {
        var context = Context();

        var act = () => StoreChangeRules.DecideClose(context, c => Valid(c) with { Invoice = InvoiceOf(c.Subscription with { CurrentPeriod = Monthly.PeriodAt(1) }) });

        act.Should().Throw<InvalidOperationException>().WithMessage("*returned an invoice of*");
    }

    [Fact]
    public void DecideClose_LedgerOfAnotherCustomer_Throws()
    {
        var context = Context();

        var act = () => StoreChangeRules.DecideClose(context, c => Valid(c, CreditLedger.Empty("other")));

        act.Should().Throw<InvalidOperationException>().WithMessage("*ledger of 'other'*");
    }

    [Fact]
    public void WithInvoiceNumber_NumbersTheInvoiceAndItsEvents_LeavesOtherEventsAlone()
    {
        var context = Context();
        var invoice = InvoiceOf(Stored);
        var created = BillingEvent.Create(BillingEventType.InvoiceCreated, "c1", invoice.InvoiceId, Start, Payload(invoice, null));
        var otherInvoice = BillingEvent.Create(BillingEventType.InvoicePaid, "c1", "inv-0", Start, Payload(invoice, 1) with { InvoiceId = "inv-0" });
        var renewed = BillingEvent.Create(BillingEventType.SubscriptionRenewed, "c1", "s1", Start, SubscriptionEventPayload.Of(Stored));
        var decision = Valid(context) with { Events = [created, otherInvoice, renewed] };

        var numbered = StoreChangeRules.WithInvoiceNumber(decision, 42);

        numbered.Invoice.Should().Be(invoice with { Number = 42 });
        numbered.Events.Should().HaveCount(3);
        numbered.Events[0].Should().Be(new BillingEvent(created.EventId, created.Type, "c1", invoice.InvoiceId, Start, Payload(invoice, 42)));
        numbered.Events[1].Should().BeSameAs(otherInvoice, "another invoice's event keeps its number");
        numbered.Events[2].Should().BeSameAs(renewed);
        numbered.Next.Should().BeSameAs(decision.Next);
    }

    private static InvoiceEventPayload Payload(Invoice invoice, long? number) =>
        new(invoice.InvoiceId, number, invoice.SubscriptionId, invoice.Period, invoice.Reason, invoice.Status, invoice.Total, 0, []);

    [Fact]
    public void DecideLedgerChange_DroppedTransactions_Throws()
    {
        var stored = CreditLedger.Empty("c1").Grant(new CreditGrant("g1", "c1", new Money(5m, Currency.USD), CreditCategory.Paid, Start));

        var act = () => StoreChangeRules.DecideLedgerChange(stored, _ => new LedgerChange(CreditLedger.Empty("c1"), []));

        act.Should().Throw<InvalidOperationException>().WithMessage("*only append*");
    }
}
