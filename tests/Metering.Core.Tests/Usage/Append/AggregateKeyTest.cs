namespace Metering.Tests.Usage.Append;

using Metering;
using Metering.Storage;

public class AggregateKeyTest
{
    private static Charge ChargeOf(PlanBuilder builder) => builder.Build().Charges[0];

    [Fact]
    public void For_UnfilteredCharge_IsTheMeterAggregate()
    {
        var charge = ChargeOf(Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1m)));

        var key = AggregateKey.For(charge);

        key.Value.Should().Be("api_calls");
        key.Kind.Should().Be(AggregateKeyKind.Meter);
        key.Should().Be(AggregateKey.ForMeter("api_calls"));
    }

    [Fact]
    public void For_FilteredCharge_IsMeterBarCharge()
    {
        var charge = ChargeOf(Plan.Create("p", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m), o => { o.Key = "eu_calls"; o.Where("region", "eu"); }));

        var key = AggregateKey.For(charge);

        key.Value.Should().Be("api_calls|eu_calls");
        key.Kind.Should().Be(AggregateKeyKind.FilteredCharge);
        key.MeterKey.Should().Be("api_calls");
        key.ChargeKey.Should().Be("eu_calls");
    }

    [Fact]
    public void PrepaidFor_IsCreditsColonCharge()
    {
        var key = AggregateKey.PrepaidFor("api_calls");

        key.Value.Should().Be("credits:api_calls");
        key.Kind.Should().Be(AggregateKeyKind.Prepaid);
        key.MeterKey.Should().BeNull();
        key.ChargeKey.Should().Be("api_calls");
    }

    [Theory]
    [InlineData("api_calls", AggregateKeyKind.Meter)]
    [InlineData("api_calls|eu_calls", AggregateKeyKind.FilteredCharge)]
    [InlineData("credits:api_calls", AggregateKeyKind.Prepaid)]
    public void Parse_StoredForm_RoundTrips(string stored, AggregateKeyKind kind)
    {
        var key = AggregateKey.Parse(stored);

        key.Kind.Should().Be(kind);
        key.Value.Should().Be(stored);
        key.ToString().Should().Be(stored);
    }

    [Theory]
    [InlineData("")]
    [InlineData("|x")]
    [InlineData("x|")]
    [InlineData("a|b|c")]
    [InlineData("credits:")]
    [InlineData("has space")]
    public void Parse_NotAKey_ThrowsFormatException(string stored)
    {
        var act = () => AggregateKey.Parse(stored);

        act.Should().Throw<FormatException>().WithMessage("*is not an aggregate key*");
        AggregateKey.TryParse(stored, out _).Should().BeFalse();
    }

    [Fact]
    public void Order_IsOrdinalOverTheStoredForm()
    {
        string[] stored = ["b", "a|x", "credits:a", "B", "a"];

        var ordered = stored.Select(AggregateKey.Parse).Order().Select(k => k.Value);

        ordered.Should().Equal("B", "a", "a|x", "b", "credits:a");
    }
}
