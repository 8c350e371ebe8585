using System.Text.Json;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class BillingEventJsonTest
{
    private static readonly Instant At = Feb1 + Duration.FromHours(1);

    private static Money Eur(decimal amount) => new(amount, Currency.EUR);

    private static BillingEvent Finalized() => new(
        "evt_1",
        BillingEventType.InvoiceFinalized,
        "cus_1",
        "inv_1",
        At,
        new InvoiceEventPayload(
            "inv_1",
            7,
            "sub_1",
            January,
            InvoiceReason.PeriodEnd,
            InvoiceStatus.Finalized,
            Eur(22.50m),
            0,
            [new InvoiceLineSummary(InvoiceLineKind.Usage, "api_calls", Eur(32.50m)), new InvoiceLineSummary(InvoiceLineKind.Credit, null, Eur(-10.00m))]));

    public static TheoryData<BillingEvent> OneOfEachPayload() =>
    [
        Finalized(),
        new BillingEvent("evt_2", BillingEventType.SubscriptionCanceled, "cus_1", "sub_1", At,
            new SubscriptionEventPayload("sub_1", "pro", 2, January, 3, At, At)),
        new BillingEvent("evt_3", BillingEventType.CreditsExpired, "cus_1", "grant_1", At, new CreditGrantEventPayload("grant_1", new Money(12.5m, Credits))),
        new BillingEvent("evt_4", BillingEventType.CreditsExhausted, "cus_1", "credits", At, new CreditBalanceEventPayload(Credits, new Money(0m, Credits), null)),
        new BillingEvent("evt_5", BillingEventType.UsageThresholdReached, "cus_1", "sub_1", At,
            new UsageThresholdEventPayload("sub_1", "api_calls", UsageAlertKind.Amount, 150.00m, 160.00m, Jan1)),
        new BillingEvent("evt_6", BillingEventType.InvoicePaid, "cus_1", "inv_1", At,
            new LegacyEventPayload(new Dictionary<string, string> { ["total"] = "22.50 EUR" })),
    ];

    [Fact]
    public void InvoiceEvent_HasTheDocumentedShape()
    {
        Serialize(Finalized()).Should().Be(Minify("""
            {
              "eventId": "evt_1", "type": "InvoiceFinalized", "schemaVersion": 1, "customerId": "cus_1", "subjectId": "inv_1",
              "occurredAt": "2026-02-01T01:00:00Z",
              "data": {
                "invoiceId": "inv_1", "number": 7, "subscriptionId": "sub_1",
                "period": { "index": 0, "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z" },
                "reason": "PeriodEnd", "status": "Finalized", "total": { "amount": "22.50", "currency": "EUR" }, "paymentFailures": 0,
                "lines": [
                  { "kind": "Usage", "chargeKey": "api_calls", "amount": { "amount": "32.50", "currency": "EUR" } },
                  { "kind": "Credit", "chargeKey": null, "amount": { "amount": "-10.00", "currency": "EUR" } }
                ]
              }
            }
            """));
    }

    [Theory]
    [MemberData(nameof(OneOfEachPayload))]
    public void BillingEvent_EachPayload_RoundTrips(BillingEvent e)
    {
        var options = WebWithCredits();

        var back = Deserialize<BillingEvent>(Serialize(e, options), options);

        back.Should().Be(e);
        back.SchemaVersion.Should().Be(e.Payload is LegacyEventPayload ? 0 : 1);
    }

    [Fact]
    public void BillingEvent_SnakeCasePolicy_NamesEveryMemberInSnakeCase()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }.ConfigureForMetering();
        var e = new BillingEvent("evt_5", BillingEventType.UsageThresholdReached, "cus_1", "sub_1", At,
            new UsageThresholdEventPayload("sub_1", "api_calls", UsageAlertKind.Quantity, 80m, 80m, Jan1));

        var json = Serialize(e, options);

        json.Should().Be("""{"event_id":"evt_5","type":"UsageThresholdReached","schema_version":1,"customer_id":"cus_1","subject_id":"sub_1","occurred_at":"2026-02-01T01:00:00Z","data":{"subscription_id":"sub_1","charge_key":"api_calls","kind":"Quantity","threshold":80,"value":80,"period_start":"2026-01-01T00:00:00Z"}}""");
        Deserialize<BillingEvent>(json, options).Should().Be(e);
    }

    [Fact]
    public void BillingEvent_DataBeforeType_StillReads()
    {
        var json = """{"data":{"grantId":"g1","amount":{"amount":"5","currency":"EUR"}},"eventId":"e","customerId":"c","subjectId":"g1","occurredAt":"2026-01-01T00:00:00Z","type":"CreditsGranted","schemaVersion":1}""";

        Deserialize<BillingEvent>(json).Payload.Should().Be(new CreditGrantEventPayload("g1", Eur(5m)));
    }

    [Fact]
    public void Payload_Alone_WritesAsItsConcreteShape_ButReadsOnlyAsAConcreteType()
    {
        BillingEventPayload payload = new CreditGrantEventPayload("g1", Eur(5m));

        Serialize(payload).Should().Be("""{"grantId":"g1","amount":{"amount":"5","currency":"EUR"}}""");
        Deserialize<CreditGrantEventPayload>(Serialize(payload)).Should().Be(payload);
        var act = () => Deserialize<BillingEventPayload>(Serialize(payload));
        act.Should().Throw<JsonException>().WithMessage("*read with its event*");
    }

    private const string Grant = "\"data\":{\"grantId\":\"g1\",\"amount\":{\"amount\":\"5\",\"currency\":\"EUR\"}}";

    [Theory]
    [InlineData("""{"eventId":"e","type":"CreditsGranted","schemaVersion":1,"customerId":"c","subjectId":"s",""" + Grant + "}", "*occurredAt*")]
    [InlineData("""{"eventId":"e","type":7,"schemaVersion":1,"customerId":"c","subjectId":"s","occurredAt":"2026-01-01T00:00:00Z",""" + Grant + "}", "*type*")]
    [InlineData("""{"eventId":"e","type":"CreditsGranted","customerId":"c","subjectId":"s","occurredAt":"2026-01-01T00:00:00Z",""" + Grant + "}", "*schemaVersion*")]
    [InlineData("""{"eventId":"e","type":"CreditsGranted","schemaVersion":2,"customerId":"c","subjectId":"s","occurredAt":"2026-01-01T00:00:00Z",""" + Grant + "}", "*schemaVersion' is 2*reads 0 and 1*")]
    [InlineData("""{"eventId":"e","type":"CreditsGranted","schemaVersion":1,"customerId":"c","subjectId":"s","occurredAt":"2026-01-01T00:00:00Z","data":null}""", "*data*")]
    [InlineData("""{"eventId":"e","type":"InvoicePaid","schemaVersion":1,"customerId":"c","subjectId":"s","occurredAt":"2026-01-01T00:00:00Z",""" + Grant + "}", "*InvoiceEventPayload*")]
    public void MalformedBillingEvent_Fails(string json, string message)
    {
        var act = () => Deserialize<BillingEvent>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }
}
