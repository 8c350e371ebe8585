using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

/// <summary>The public JSON of grouped invoice lines and group usage, "no value" groups included.</summary>
public sealed class GroupedInvoiceJsonTest
{
    private static CalculatedInvoice Grouped()
    {
        var plan = Plan.Create("api", Currency.USD, BillingInterval.Months(1))
            .WithCharge(Meter.Sum("api_calls").WithGroupBy("region"), PricingModel.PerUnit(0.10m), c => c.GroupedBy("region"))
            .Build();
        return new InvoiceCalculator().Calculate(new InvoiceInput(plan, January, new Dictionary<string, decimal>())
        {
            UsageByGroup = new Dictionary<string, IReadOnlyList<ChargeGroupUsage>> { ["api_calls"] = [new([null], 3m), new(["eu"], 30m)] },
        });
    }

    [Fact]
    public void GroupedInvoice_RoundTrips_WithTheNoValueGroupAsNull()
    {
        var invoice = Grouped();

        var json = Serialize(invoice);
        var back = Deserialize<CalculatedInvoice>(json);

        back.Should().Be(invoice);
        json.Should().Contain("\"group\":{\"region\":\"eu\"}").And.Contain("\"group\":{\"region\":null}");
        back.Lines[1].Group.Should().ContainKey("region").WhoseValue.Should().BeNull();
    }

    [Fact]
    public void GroupUsage_RoundTrips_WithANullValue()
    {
        var usage = new GroupUsage("api_calls", "api_calls", new Dictionary<string, string?> { ["region"] = null, ["model"] = "gpt" }, 3m, 3);

        var back = RoundTrip(usage);

        back.ChargeKey.Should().Be("api_calls");
        back.Group.Should().BeEquivalentTo(usage.Group);
        back.Group.Keys.Should().Equal("region", "model");
        back.Quantity.Should().Be(3m);
        back.RecordCount.Should().Be(3);
    }
}
