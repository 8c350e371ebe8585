namespace Metering.Tests.Events;

using Metering;

public class BillingEventTest
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly BillingPeriod January = new(0, T0, Instant.FromUtc(2026, 2, 1, 0, 0));

    private static readonly BillingEventPayload[] OneOfEach =
    [
        new SubscriptionEventPayload("s1", "pro", 1, January, 1, null, null),
        new InvoiceEventPayload("inv_1", 1, "s1", January, InvoiceReason.PeriodEnd, InvoiceStatus.Finalized, new Money(10m, Currency.USD), 0, []),
        new CreditGrantEventPayload("g1", new Money(5m, Currency.USD)),
        new CreditBalanceEventPayload(Currency.USD, new Money(0m, Currency.USD), null),
        new UsageThresholdEventPayload("s1", "api_calls", UsageAlertKind.Quantity, 80m, 80m, T0),
        new CreditNoteEventPayload("cn_1", 1, "inv_1", 7, new Money(30m, Currency.USD), CreditNoteReason.OrderChange, CreditNoteOutcome.Refund, null, new Money(30m, Currency.USD), new Money(70m, Currency.USD)),
    ];

    [Fact]
    public void TypeFor_EveryEventType_MapsToExactlyOneConcretePayloadType()
    {
        foreach (var type in Enum.GetValues<BillingEventType>())
        {
            var payloadType = BillingEventPayload.TypeFor(type);

            payloadType.IsSealed.Should().BeTrue($"{type} carries a concrete payload");
            payloadType.IsSubclassOf(typeof(BillingEventPayload)).Should().BeTrue();
            payloadType.Should().NotBe(typeof(LegacyEventPayload), "new events are typed");
            OneOfEach.Where(p => p.GetType() == payloadType).Should().ContainSingle();
        }

        OneOfEach.Select(p => p.GetType()).Should().OnlyContain(t => Enum.GetValues<BillingEventType>().Any(e => BillingEventPayload.TypeFor(e) == t), "every payload type is used");
    }

    [Fact]
    public void Constructor_EveryEventTypeWithEveryPayload_AcceptsOnlyItsOwn()
    {
        foreach (var type in Enum.GetValues<BillingEventType>())
        {
            foreach (var payload in OneOfEach)
            {
                var create = () => new BillingEvent("e1", type, "c1", "x", T0, payload);

                if (payload.GetType() == BillingEventPayload.TypeFor(type))
                {
                    create().Payload.Should().BeSameAs(payload);
                }
                else
                {
                    create.Should().Throw<ArgumentException>()
                        .WithMessage($"A {type} event carries a {BillingEventPayload.TypeFor(type).Name}, but the payload is a {payload.GetType().Name}*")
                        .Which.ParamName.Should().Be("payload");
                }
            }
        }
    }

    [Fact]
    public void TypeFor_UndefinedType_Throws()
    {
        var act = () => BillingEventPayload.TypeFor((BillingEventType)99);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Create_TypedPayload_SchemaVersionOne_AndTheDocumentedIdScheme()
    {
        var e = BillingEvent.Create(BillingEventType.CreditsGranted, "c1", "g1", T0, new CreditGrantEventPayload("g1", new Money(5m, Currency.USD)));

        e.SchemaVersion.Should().Be(BillingEvent.CurrentSchemaVersion).And.Be(1);
        e.EventId.Should().MatchRegex($"^CreditsGranted:g1:{T0.ToUnixTimeTicks()}:[0-9a-f]{{32}}$");
        BillingEvent.Create(BillingEventType.CreditsGranted, "c1", "g1", T0, e.Payload).EventId.Should().NotBe(e.EventId, "the random part keeps ids unique");
    }

    [Fact]
    public void LegacyPayload_AcceptedForAnyTypeAsSchemaZero_ButNotForNewEvents()
    {
        var legacy = new LegacyEventPayload(new Dictionary<string, string> { ["total"] = "12.00 USD" });

        new BillingEvent("e1", BillingEventType.InvoicePaid, "c1", "inv_1", T0, legacy).SchemaVersion.Should().Be(0);
        var create = () => BillingEvent.Create(BillingEventType.InvoicePaid, "c1", "inv_1", T0, legacy);
        create.Should().Throw<ArgumentException>().WithMessage("*carries a InvoiceEventPayload*");
    }

    [Fact]
    public void CreditBalancePayload_AmountInAnotherUnit_Throws()
    {
        var act = () => new CreditBalanceEventPayload(Currency.USD, new Money(1m, Currency.EUR), null);

        act.Should().Throw<ArgumentException>().WithMessage("*EUR*USD*");
    }

    [Fact]
    public void InvoicePayload_EqualLines_AreEqual()
    {
        var line = new InvoiceLineSummary(InvoiceLineKind.Usage, "api_calls", new Money(2m, Currency.USD));
        InvoiceEventPayload Of(params InvoiceLineSummary[] lines) =>
            new("inv_1", 1, "s1", January, InvoiceReason.PeriodEnd, InvoiceStatus.Paid, new Money(2m, Currency.USD), 0, lines);

        Of(line).Should().Be(Of(line with { }));
        Of(line).Should().NotBe(Of(line, line));
    }
}
