namespace Metering.Tests.Storage;

using Metering.Storage;

/// <summary>The store-side checks of a void-and-regenerate decision (<see cref="StoreChangeRules.DecideRegeneration"/>) and the replacement's numbering, without a store.</summary>
public class RegenerationRulesTest
{
    private static readonly Instant Now = Instant.FromUtc(2026, 2, 3, 9, 0);
    private static readonly BillingPeriod January = new(0, Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0));

    private static Invoice Original(InvoiceStatus status = InvoiceStatus.Finalized) => new()
    {
        InvoiceId = "inv-1",
        Number = 1,
        SubscriptionId = "s1",
        CustomerId = "c1",
        PlanKey = "standard",
        PlanVersion = 1,
        Period = January,
        Reason = InvoiceReason.PeriodEnd,
        Status = status,
        Content = new CalculatedInvoice(
            "standard", 1, Currency.USD, January,
            [new InvoiceLine(InvoiceLineKind.BaseFee, "Base fee", null, null, 1m, null, [], 20.00m, new Money(20.00m, Currency.USD), null)],
            new Money(20.00m, Currency.USD), new Money(0m, Currency.USD), new Money(20.00m, Currency.USD)),
        CreatedAt = January.End,
    };

    private static InvoiceRegenerationDecision Valid(Invoice original)
    {
        var replacement = original with { InvoiceId = "inv-1_r1", Number = 0, Revision = 1, ReplacesInvoiceId = "inv-1", CreatedAt = Now };
        var voided = original with { Status = InvoiceStatus.Void, SettledAt = Now, ReplacedByInvoiceId = "inv-1_r1" };
        return new InvoiceRegenerationDecision(voided, replacement, null, [InvoiceEvents.Create(BillingEventType.InvoiceVoided, voided, Now), InvoiceEvents.Create(BillingEventType.InvoiceCreated, replacement, Now)]);
    }

    private static InvoiceRegenerationDecision Check(Invoice stored, InvoiceRegenerationDecision decision) =>
        StoreChangeRules.DecideRegeneration(new InvoiceRegenerationContext(stored, null!, [], CreditLedger.Empty("c1")), _ => decision);

    [Fact]
    public void AValidDecision_PassesAndIsNumbered_OnlyTheReplacementsEventsGetTheNumber()
    {
        var decision = StoreChangeRules.WithReplacementNumber(Check(Original(), Valid(Original())), 2);

        decision.Replacement.Number.Should().Be(2);
        decision.Voided.Number.Should().Be(1);
        decision.Events.Select(e => ((InvoiceEventPayload)e.Payload).Number).Should().Equal(1L, 2L);
    }

    [Fact]
    public void ABuggyDecision_IsRefusedBeforeAnythingIsWritten()
    {
        var valid = Valid(Original());
        var notVoid = () => Check(Original(), valid with { Voided = valid.Voided with { Status = InvoiceStatus.Finalized } });
        var unlinked = () => Check(Original(), valid with { Replacement = valid.Replacement with { ReplacesInvoiceId = null } });
        var sameId = () => Check(Original(), valid with { Replacement = valid.Replacement with { InvoiceId = "inv-1" }, Voided = valid.Voided with { ReplacedByInvoiceId = "inv-1" } });
        var numbered = () => Check(Original(), valid with { Replacement = valid.Replacement with { Number = 5 } });
        var alreadyVoid = () => Check(Original(InvoiceStatus.Void), Valid(Original(InvoiceStatus.Void)));

        notVoid.Should().Throw<InvalidOperationException>().WithMessage("*must be Void*");
        unlinked.Should().Throw<InvalidOperationException>().WithMessage("*names the invoice it replaces*");
        sameId.Should().Throw<InvalidOperationException>();
        numbered.Should().Throw<InvalidOperationException>().WithMessage("*number 5*");
        alreadyVoid.Should().Throw<InvalidOperationException>().WithMessage("*already Void*");
    }

    [Fact]
    public void ReplacementIds_AreThePeriodsInvoiceIdWithTheRevision()
    {
        var start = Instant.FromUtc(2026, 1, 1, 0, 0);

        BillingEngine.InvoiceIdFor("s1", start, 0).Should().Be(BillingEngine.InvoiceIdFor("s1", start));
        BillingEngine.InvoiceIdFor("s1", start, 2).Should().Be(BillingEngine.InvoiceIdFor("s1", start) + "_r2");
    }
}
