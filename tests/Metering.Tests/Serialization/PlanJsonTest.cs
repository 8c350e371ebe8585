using System.Text.Json;
using System.Text.Json.Nodes;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class PlanJsonTest
{
    [Fact]
    public void Plan_HasTheDocumentedShape()
    {
        Serialize(SamplePlan()).Should().Be(Minify(SamplePlanJson));
    }

    [Fact]
    public void Plan_ReadFromHandWrittenJson_HasTheSameDefinitionAndVersion()
    {
        var plan = Deserialize<Plan>(SamplePlanJson);

        plan.DefinitionEquals(SamplePlan()).Should().BeTrue();
        plan.Version.Should().Be(3);
        plan.Charges[1].Filter.Should().Equal(new Dictionary<string, string> { ["region"] = "eu" });
        plan.Charges[2].Pricing.Should().BeOfType<GraduatedPricing>();
    }

    [Fact]
    public void Plan_WithVolumePricingPerSeatFeeAndRealTimeCredits_RoundTrips()
    {
        var plan = Plan.Create("team", Currency.KWD, BillingInterval.Weeks(2))
            .WithBaseFee(1.250m, perSeat: true)
            .WhenCreditsRunOut(CreditOverflow.Block)
            .WithCharge("gpu_seconds", PricingModel.Volume([new PriceTier(3600m, 0.001m, 0.500m), new PriceTier(null, 0.0008m)], includedUnits: 60m), o => o.BurnsCreditsInRealTime = true)
            .WithFeature(Feature.Off("sso"))
            .Build();

        var back = RoundTrip(plan);

        back.DefinitionEquals(plan).Should().BeTrue();
        back.Version.Should().Be(1);
    }

    [Fact]
    public void PricingModel_AloneAndAsItsConcreteType_HasTheSameShape()
    {
        var package = PricingModel.Package(100m, 5m);

        Serialize<PricingModel>(package).Should().Be("""{"model":"Package","packageSize":100,"packagePrice":5,"rounding":"Up","includedUnits":0}""");
        Serialize(package).Should().Be("""{"model":"Package","packageSize":100,"packagePrice":5,"rounding":"Up","includedUnits":0}""");
        Deserialize<PricingModel>("""{"model":"PerUnit","unitPrice":"0.002"}""").Should().Be(PricingModel.PerUnit(0.002m));
        var wrongType = () => Deserialize<PackagePricing>("""{"model":"PerUnit","unitPrice":1}""");
        wrongType.Should().Throw<JsonException>().WithMessage("*PerUnitPricing, but a PackagePricing was expected*");
    }

    [Theory]
    [InlineData("""{"model":"Graduated","tiers":[{"upTo":100,"unitPrice":1},{"upTo":50,"unitPrice":0.5},{"upTo":null,"unitPrice":0.1}]}""", "*Graduated pricing model is not valid*Tier 2*")]
    [InlineData("""{"model":"Graduated"}""", "*Graduated pricing model needs 'tiers'*")]
    [InlineData("""{"model":"PerUnit"}""", "*PerUnit pricing model needs 'unitPrice'*")]
    [InlineData("""{"model":"PerUnit","unitPrice":-1}""", "*PerUnit pricing model is not valid*")]
    [InlineData("""{"model":"Package","packageSize":0,"packagePrice":1}""", "*Package pricing model is not valid*")]
    [InlineData("""{"model":"Stairs","unitPrice":1}""", "*'model' is \"Stairs\"; it must be one of PerUnit, Package, Graduated, Volume*")]
    [InlineData("""{"unitPrice":1}""", "*pricing model has no 'model'*")]
    [InlineData("""{"model":"Volume","tiers":[{"upTo":10}]}""", "*price tier 1 has no 'unitPrice'*")]
    [InlineData("""{"model":"Volume","tiers":{"upTo":10}}""", "*'tiers' must be an array*")]
    public void MalformedPricing_Fails(string json, string message)
    {
        var act = () => Deserialize<PricingModel>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Theory]
    [InlineData("key", "*plan has no 'key'*")]
    [InlineData("version", "*plan has no 'version'*")]
    [InlineData("currency", "*plan has no 'currency'*")]
    [InlineData("interval", "*plan has no 'interval'*")]
    public void Plan_MissingARequiredMember_Fails(string member, string message)
    {
        var node = JsonNode.Parse(SamplePlanJson)!.AsObject();
        node.Remove(member);

        var act = () => Deserialize<Plan>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Theory]
    [InlineData("key", "\"Pro Plan!\"", "*Plan 'Pro Plan!' is not valid*plan key*")]
    [InlineData("version", "0", "*not valid*")]
    [InlineData("currency", "\"XYZ\"", "*\"XYZ\" is not a known currency*")]
    [InlineData("interval", "\"P0M\"", "*\"P0M\" is not a billing interval*")]
    [InlineData("trialDays", "-1", "*not valid*Trial*")]
    [InlineData("charges", "{}", "*'charges' must be an array*")]
    [InlineData("whenCreditsRunOut", "\"Panic\"", "*'whenCreditsRunOut' is \"Panic\"*Overage, Block*")]
    public void Plan_WithAWrongValue_Fails(string member, string value, string message)
    {
        var node = JsonNode.Parse(SamplePlanJson)!.AsObject();
        node[member] = JsonNode.Parse(value);

        var act = () => Deserialize<Plan>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Fact]
    public void Plan_WithAChargeWithoutPricing_Fails()
    {
        var node = JsonNode.Parse(SamplePlanJson)!.AsObject();
        node["charges"]![0]!.AsObject().Remove("pricing");

        var act = () => Deserialize<Plan>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage("*charge 1 has no 'pricing'*");
    }
    [Fact]
    public void Plan_WithANonStringFilterValue_Fails()
    {
        var node = JsonNode.Parse(SamplePlanJson)!.AsObject();
        node["charges"]![1]!["filter"] = JsonNode.Parse("""{"region":1}""");

        var act = () => Deserialize<Plan>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage("*charge 2's filter value of 'region' must be a string, but is a number*");
    }
    [Fact]
    public void Plan_WithABlankFilterProperty_FailsWithAJsonException()
    {
        var node = JsonNode.Parse(SamplePlanJson)!.AsObject();
        node["charges"]![1]!["filter"] = JsonNode.Parse("""{" ":"eu"}""");

        var act = () => Deserialize<Plan>(node.ToJsonString());

        act.Should().Throw<JsonException>().WithMessage("*Plan 'pro' is not valid*").WithInnerException<ArgumentException>();
    }

    [Fact]
    public void Plan_WithLimitAndUsageAlerts_RoundTripsAndWritesThem()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web).ConfigureForMetering();
        var plan = Plan.Create("capped", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(2.00m), c => c.AlertAtQuantity(80m).AlertAtAmount(150.00m).LimitPerPeriod = 500m)
            .Build();

        var json = JsonSerializer.Serialize(plan, options);
        var back = JsonSerializer.Deserialize<Plan>(json, options)!;

        json.Should().Contain("\"limitPerPeriod\":500").And.Contain("\"alerts\":[{\"kind\":\"Quantity\",\"threshold\":80},{\"kind\":\"Amount\",\"threshold\":150.00}]");
        back.DefinitionEquals(plan).Should().BeTrue();
    }
}
