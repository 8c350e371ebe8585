using System.Text.Json;
using System.Text.Json.Nodes;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class InvoiceJsonTest
{
    [Fact]
    public void Invoice_HasTheDocumentedShape()
    {
        Serialize(SmallInvoice()).Should().Be(Minify(SmallInvoiceJson));
    }

    [Fact]
    public void Invoice_ReadFromHandWrittenJson_EqualsTheValue()
    {
        Deserialize<Invoice>(SmallInvoiceJson).Should().Be(SmallInvoice());
    }

    [Fact]
    public void CalculatedInvoice_WithBaseFeeTiersPackageProrationAndCredits_RoundTrips()
    {
        var plan = Plan.Create("scale", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(49.99m, perSeat: true)
            .WithCharge("api_calls", PricingModel.Graduated([new PriceTier(1000m, 0.002m, 5m), new PriceTier(10_000m, 0.0015m), new PriceTier(null, 0.001m, 2.50m)]))
            .WithCharge("storage_gb", PricingModel.Package(10m, 1.25m, includedUnits: 5m))
            .WithCharge("seats_active", PricingModel.Volume([new PriceTier(5m, 3m), new PriceTier(null, 2.5m)]))
            .WithCharge("messages", PricingModel.PerUnit(0.0001m))
            .Build();
        var input = new InvoiceInput(
            plan,
            January,
            new Dictionary<string, decimal> { ["api_calls"] = 12_345.5m, ["storage_gb"] = 37m, ["seats_active"] = 7m, ["messages"] = 3m })
        {
            CoveredFrom = Jan1 + Duration.FromDays(10),
            Seats = 3,
            CreditsAvailable = new Money(20m, Currency.USD),
            PrepaidByCharge = new Dictionary<string, decimal> { ["messages"] = 0.0003m },
        };
        var calculated = new InvoiceCalculator().Calculate(input);
        var invoice = SmallInvoice() with { Content = calculated, PlanKey = "scale", PlanVersion = 1, Status = InvoiceStatus.Paid, SettledAt = Feb1 + Duration.FromDays(3), PaymentFailures = 2 };

        calculated.Lines.Should().Contain(l => l.Tiers.Count == 3).And.Contain(l => l.Kind == InvoiceLineKind.Credit).And.Contain(l => l.ProrationFraction != null);
        RoundTrip(calculated).Should().Be(calculated);
        RoundTrip(invoice).Should().Be(invoice);
    }

    [Fact]
    public void Invoice_WithDefaultWebOptionsButNotConfigured_WouldLoseData()
    {
        // The problem ConfigureForMetering solves (issue #15): without it an Instant is written as {}.
        var json = JsonSerializer.Serialize(SmallInvoice(), new JsonSerializerOptions(JsonSerializerDefaults.Web));

        JsonNode.Parse(json)!["createdAt"]!.ToJsonString().Should().Be("{}");
    }

    [Theory]
    [InlineData("content", "*content*")]
    [InlineData("invoiceId", "*invoiceId*")]
    [InlineData("period", "*period*")]
    public void Invoice_MissingARequiredMember_Fails(string member, string message)
    {
        var node = JsonNode.Parse(SmallInvoiceJson)!.AsObject();
        node.Remove(member);

        var act = () => Deserialize<Invoice>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Theory]
    [InlineData("invoiceId", "null", "*invoiceId*")]
    [InlineData("status", "1", "*")]
    [InlineData("status", "\"Refunded\"", "*")]
    [InlineData("createdAt", "\"yesterday\"", "*")]
    [InlineData("number", "\"one\"", "*")]
    [InlineData("content", "null", "*content*")]
    public void Invoice_WithAWrongValue_Fails(string member, string value, string message)
    {
        var node = JsonNode.Parse(SmallInvoiceJson)!.AsObject();
        node[member] = JsonNode.Parse(value);

        var act = () => Deserialize<Invoice>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Theory]
    [InlineData("total", "*total*")]
    [InlineData("lines", "*lines*")]
    [InlineData("currency", "*currency*")]
    public void CalculatedInvoice_MissingAMember_FailsInsteadOfReadingADefault(string member, string message)
    {
        var node = JsonNode.Parse(SmallInvoiceJson)!["content"]!.AsObject();
        node.Remove(member);

        var act = () => Deserialize<CalculatedInvoice>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Fact]
    public void InvoiceLine_WithAMalformedAmount_FailsNamingIt()
    {
        var node = JsonNode.Parse(SmallInvoiceJson)!.AsObject();
        node["content"]!["lines"]![0]!["amount"] = JsonNode.Parse("""{"currency":"EUR"}""");

        var act = () => Deserialize<Invoice>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage("*Money has no 'amount'*");
    }
}
