using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Metering.Storage;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

/// <summary>A source-generated context as a NativeAOT host would declare it; Metering's converters come from the options.</summary>
[JsonSerializable(typeof(Invoice))]
[JsonSerializable(typeof(Money))]
[JsonSerializable(typeof(Plan))]
[JsonSerializable(typeof(UsageOutcome))]
[JsonSerializable(typeof(Page<CreditTransaction>))]
[JsonSerializable(typeof(BillingEvent))]
[JsonSerializable(typeof(InvoiceEventPayload))]
[JsonSerializable(typeof(CreditGrantEventPayload))]
internal sealed partial class MeteringTestJsonContext : JsonSerializerContext;

public sealed class SourceGenerationTest
{
    private static JsonSerializerOptions SourceGenerated(CurrencyTable? currencies = null) =>
        new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = MeteringTestJsonContext.Default }.ConfigureForMetering(currencies);

    private static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    [Fact]
    public void Invoice_WithASourceGeneratedContext_HasTheSameShape_AndRoundTrips()
    {
        var options = SourceGenerated();
        var info = Info<Invoice>(options);

        var json = JsonSerializer.Serialize(SmallInvoice(), info);

        json.Should().Be(Minify(SmallInvoiceJson));
        JsonSerializer.Deserialize(json, info).Should().Be(SmallInvoice());
    }

    [Fact]
    public void Money_WithASourceGeneratedContext_UsesTheMoneyConverter()
    {
        var info = Info<Money>(SourceGenerated());

        JsonSerializer.Serialize(new Money(0.002m, Currency.EUR), info).Should().Be("""{"amount":"0.002","currency":"EUR"}""");
        JsonSerializer.Deserialize("""{"amount":"11699.00","currency":"JMD"}""", info).Should().Be(new Money(11699.00m, Currency.JMD));
        var missing = () => JsonSerializer.Deserialize("""{"currency":"EUR"}""", info);
        missing.Should().Throw<JsonException>().WithMessage("*Money has no 'amount'*");
    }

    [Fact]
    public void PlanOutcomeAndLedgerPage_WithASourceGeneratedContext_RoundTrip()
    {
        var options = SourceGenerated(CurrencyTable.Iso4217.With(Credits));

        JsonSerializer.Serialize(SamplePlan(), Info<Plan>(options)).Should().Be(Minify(SamplePlanJson));
        JsonSerializer.Deserialize(SamplePlanJson, Info<Plan>(options))!.DefinitionEquals(SamplePlan()).Should().BeTrue();
        var conflict = UsageOutcome.Conflict("k1");
        JsonSerializer.Deserialize(JsonSerializer.Serialize(conflict, Info<UsageOutcome>(options)), Info<UsageOutcome>(options)).Should().Be(conflict);
        var page = LedgerPage();
        JsonSerializer.Deserialize(JsonSerializer.Serialize(page, Info<Page<CreditTransaction>>(options)), Info<Page<CreditTransaction>>(options))!
            .Items.Should().Equal(page.Items);
    }

    [Fact]
    public void Invoice_WithASourceGeneratedContext_StillRefusesAMissingMember()
    {
        var options = SourceGenerated();
        var node = System.Text.Json.Nodes.JsonNode.Parse(SmallInvoiceJson)!.AsObject();
        node["content"]!.AsObject().Remove("total");

        var act = () => JsonSerializer.Deserialize(node.ToJsonString(), Info<Invoice>(options));

        act.Should().Throw<JsonException>().WithMessage("*total*");
    }
    [Fact]
    public void AContextBoundToTheConfiguredOptions_WorksToo()
    {
        var context = new MeteringTestJsonContext(new JsonSerializerOptions(JsonSerializerDefaults.Web).ConfigureForMetering());
        var node = System.Text.Json.Nodes.JsonNode.Parse(SmallInvoiceJson)!.AsObject();
        node.Remove("content");

        JsonSerializer.Serialize(SmallInvoice(), context.Invoice).Should().Be(Minify(SmallInvoiceJson));
        JsonSerializer.Deserialize(SmallInvoiceJson, context.Invoice).Should().Be(SmallInvoice());
        var missing = () => JsonSerializer.Deserialize(node.ToJsonString(), context.Invoice);
        missing.Should().Throw<JsonException>().WithMessage("*content*");
    }

    [Fact]
    public void BillingEvent_WithASourceGeneratedContextListingItsPayloads_RoundTrips()
    {
        var info = Info<BillingEvent>(SourceGenerated());
        var granted = new BillingEvent("e1", BillingEventType.CreditsGranted, "c1", "g1", Jan1, new CreditGrantEventPayload("g1", new Money(5m, Currency.EUR)));

        var json = JsonSerializer.Serialize(granted, info);

        json.Should().Be("""{"eventId":"e1","type":"CreditsGranted","schemaVersion":1,"customerId":"c1","subjectId":"g1","occurredAt":"2026-01-01T00:00:00Z","data":{"grantId":"g1","amount":{"amount":"5","currency":"EUR"}}}""");
        JsonSerializer.Deserialize(json, info).Should().Be(granted);
    }
}
