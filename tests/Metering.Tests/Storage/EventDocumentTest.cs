using Metering.Storage;

namespace Metering.Tests.Storage;

/// <summary>The stored event document: the typed payload with its schema version, and documents written before it.</summary>
public sealed class EventDocumentTest
{
    private static readonly Instant At = Instant.FromUtc(2026, 2, 1, 1, 0);
    private static readonly BillingPeriod January = new(0, Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0));
    private static readonly Currency Credits = Currency.Custom("credits", 4);

    private static Money Usd(decimal amount) => new(amount, Currency.USD);

    public static TheoryData<BillingEvent> OneOfEachPayload() =>
    [
        new BillingEvent("e1", BillingEventType.InvoiceVoided, "c1", "inv_1", At, new InvoiceEventPayload(
            "inv_1", 3, "s1", January, InvoiceReason.Cancellation, InvoiceStatus.Void, Usd(12.00m), 1,
            [new InvoiceLineSummary(InvoiceLineKind.BaseFee, null, Usd(10.00m)), new InvoiceLineSummary(InvoiceLineKind.Usage, "api_calls", Usd(2.00m))])),
        new BillingEvent("e2", BillingEventType.InvoiceCreated, "c1", "inv_2", At, new InvoiceEventPayload(
            "inv_2", null, "s1", January, InvoiceReason.PeriodEnd, InvoiceStatus.Draft, Usd(0m), 0, [])),
        new BillingEvent("e3", BillingEventType.SubscriptionCancellationScheduled, "c1", "s1", At,
            new SubscriptionEventPayload("s1", "pro", 2, January, 5, January.End, null)),
        new BillingEvent("e4", BillingEventType.CreditsGranted, "c1", "g1", At, new CreditGrantEventPayload("g1", new Money(100.0000m, Credits))),
        new BillingEvent("e5", BillingEventType.CreditsLow, "c1", "credits", At, new CreditBalanceEventPayload(Credits, new Money(8.5m, Credits), new Money(10m, Credits))),
        new BillingEvent("e6", BillingEventType.UsageThresholdReached, "c1", "s1", At,
            new UsageThresholdEventPayload("s1", "api_calls", UsageAlertKind.Quantity, 80m, 80.5m, January.Start)),
    ];

    [Theory]
    [MemberData(nameof(OneOfEachPayload))]
    public void Event_EachPayload_RoundTripsThroughItsDocument(BillingEvent e)
    {
        var back = StoreDocuments.ToEvent(StoreDocuments.Json(e));

        back.Should().Be(e);
        back.SchemaVersion.Should().Be(1);
    }

    [Fact]
    public void Document_KeepsExactAmountsAndTheCustomUnitsDigits()
    {
        var e = new BillingEvent("e4", BillingEventType.CreditsGranted, "c1", "g1", At, new CreditGrantEventPayload("g1", new Money(100.0000m, Credits)));

        var json = StoreDocuments.Json(e);

        json.Should().Contain("\"SchemaVersion\":1").And.Contain("\"Amount\":\"100.0000\"").And.Contain("\"MinorDigits\":4");
        ((CreditGrantEventPayload)StoreDocuments.ToEvent(json).Payload).Amount.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture).Should().Be("100.0000");
    }

    [Fact]
    public void Document_MembersReordered_AsJsonbReturnsThem_StillReads()
    {
        // jsonb orders members by length, then bytes: the payload's discriminator comes back after its shorter members.
        const string reordered = """{"Data":null,"Type":"CreditsGranted","EventId":"e4","Payload":{"Amount":{"Amount":"5","Currency":{"Code":"USD","IsCustom":false,"MinorDigits":2}},"GrantId":"g1","$payload":"CreditGrant"},"SubjectId":"g1","CustomerId":"c1","OccurredAt":"2026-02-01T01:00:00Z","SchemaVersion":1}""";

        StoreDocuments.ToEvent(reordered).Should().Be(
            new BillingEvent("e4", BillingEventType.CreditsGranted, "c1", "g1", At, new CreditGrantEventPayload("g1", Usd(5m))));
    }

    [Fact]
    public void DocumentWrittenBeforeTypedPayloads_ReadsAsSchemaZero_WithItsTextDetails()
    {
        // Literally what the stores wrote before schema version 1: no version, no payload, text details in Data.
        const string old = """{"EventId":"InvoiceCreated:in_s1_17672256000000000:0f8e","Type":"InvoiceCreated","CustomerId":"c1","SubjectId":"in_s1_17672256000000000","OccurredAt":"2026-02-01T01:00:00Z","Data":{"total":"22.50 EUR","reason":"PeriodEnd"}}""";

        var e = StoreDocuments.ToEvent(old);

        e.EventId.Should().Be("InvoiceCreated:in_s1_17672256000000000:0f8e");
        e.Type.Should().Be(BillingEventType.InvoiceCreated);
        e.SubjectId.Should().Be("in_s1_17672256000000000");
        e.OccurredAt.Should().Be(At);
        e.SchemaVersion.Should().Be(0);
        e.Payload.Should().BeOfType<LegacyEventPayload>().Which.Data.Should().Equal(new Dictionary<string, string> { ["total"] = "22.50 EUR", ["reason"] = "PeriodEnd" });
        StoreDocuments.ToEvent(StoreDocuments.Json(e)).Should().Be(e, "a schema-0 event is written back as it was read");
    }

    [Fact]
    public void DocumentWrittenBeforeTypedPayloads_WithoutDetails_ReadsWithNoDetails()
    {
        const string old = """{"EventId":"e","Type":"SubscriptionReactivated","CustomerId":"c1","SubjectId":"s1","OccurredAt":"2026-02-01T01:00:00Z","Data":{}}""";

        StoreDocuments.ToEvent(old).Payload.Should().Be(new LegacyEventPayload(new Dictionary<string, string>()));
    }

    [Fact]
    public void DocumentOfANewerSchema_IsRefused_WithTheVersionInTheMessage()
    {
        const string newer = """{"EventId":"e","Type":"CreditsGranted","CustomerId":"c1","SubjectId":"g1","OccurredAt":"2026-02-01T01:00:00Z","Data":null,"SchemaVersion":2,"Payload":null}""";

        var act = () => StoreDocuments.ToEvent(newer);

        act.Should().Throw<NotSupportedException>().WithMessage("*schema version 2*reads versions up to 1*");
    }
}
