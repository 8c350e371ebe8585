namespace Metering.Tests.Usage.Append;

using Metering;
using Metering.Storage;

/// <summary>The keys of a grouped charge's aggregates: one per group, unambiguous whatever the values hold.</summary>
public class AggregateKeyGroupTest
{
    private static readonly Charge ByRegion = Plan.Create("p", Currency.USD, BillingInterval.Months(1))
        .WithCharge("api_calls", PricingModel.PerUnit(0.10m), o => o.GroupedBy("region"))
        .Build().Charges[0];

    private static readonly Charge ByRegionAndModel = Plan.Create("p", Currency.USD, BillingInterval.Months(1))
        .WithCharge("tokens", PricingModel.PerUnit(0.10m), o => { o.Key = "tokens_by_model"; o.GroupedBy("region", "model"); })
        .Build().Charges[0];

    [Fact]
    public void ForGroup_OneValue_IsMeterBarChargeBarLengthPrefixedValue()
    {
        var key = AggregateKey.ForGroup(ByRegion, ["eu"]);

        key.Value.Should().Be("api_calls|api_calls|2:eu");
        key.Kind.Should().Be(AggregateKeyKind.GroupedCharge);
        key.MeterKey.Should().Be("api_calls");
        key.ChargeKey.Should().Be("api_calls");
        key.GroupValues.Should().Equal("eu");
    }

    [Fact]
    public void ForGroup_NoValue_IsADashAndDiffersFromTheEmptyValue()
    {
        var none = AggregateKey.ForGroup(ByRegion, [null]);
        var empty = AggregateKey.ForGroup(ByRegion, [""]);

        none.Value.Should().Be("api_calls|api_calls|-");
        empty.Value.Should().Be("api_calls|api_calls|0:");
        none.Should().NotBe(empty);
        none.GroupValues.Should().Equal([null]);
        empty.GroupValues.Should().Equal("");
    }

    [Fact]
    public void ForGroup_FromRecordProperties_PicksTheGroupByValues_AndNullForAMissingOne()
    {
        var properties = new Dictionary<string, string> { ["model"] = "gpt", ["user"] = "u1" };

        var key = AggregateKey.ForGroup(ByRegionAndModel, properties);

        key.Value.Should().Be("tokens|tokens_by_model|-3:gpt");
        key.GroupValues.Should().Equal(null, "gpt");
        AggregateKey.ForGroup(ByRegionAndModel, (IReadOnlyDictionary<string, string>?)null).Value.Should().Be("tokens|tokens_by_model|--");
    }

    [Fact]
    public void ForGroup_WrongNumberOfValues_Throws_NamingTheCharge()
    {
        var act = () => AggregateKey.ForGroup(ByRegionAndModel, ["eu"]);

        act.Should().Throw<ArgumentException>().WithMessage("*'tokens_by_model' groups by 2 properties but 1 group values*");
    }

    [Fact]
    public void ForGroup_UngroupedCharge_Throws()
    {
        var plain = Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1m)).Build().Charges[0];

        var act = () => AggregateKey.ForGroup(plain, []);

        act.Should().Throw<ArgumentException>();
    }

    public static TheoryData<string?, string?> HostileValuePairs => new()
    {
        // Values that a naive "a|b" or "a,b" join would confuse: each pair must give two different keys.
        { "eu|x", "eu" },
        { "1:a", "a" },
        { "-", null },
        { "", null },
        { "2:eu", "eu" },
        { "a:b", "a" },
        { "é", "e\u0301" },
        { "日本", "日" },
        { "🙂", "?" },
        { " eu", "eu" },
        { "EU", "eu" },
    };

    [Theory]
    [MemberData(nameof(HostileValuePairs))]
    public void ForGroup_HostileValues_GiveDistinctKeys_ThatParseBackExactly(string? first, string? second)
    {
        var a = AggregateKey.ForGroup(ByRegion, [first]);
        var b = AggregateKey.ForGroup(ByRegion, [second]);

        a.Should().NotBe(b);
        AggregateKey.Parse(a.Value).GroupValues.Should().Equal(first);
        AggregateKey.Parse(b.Value).GroupValues.Should().Equal(second);
    }

    [Theory]
    [InlineData("a|", "b")]
    [InlineData("a", "|b")]
    [InlineData("1:", "a")]
    [InlineData("", "1:a")]
    [InlineData("-", "-")]
    [InlineData("10:", "x")]
    public void ForGroup_TwoValues_ShiftingTextBetweenThem_GivesDifferentKeys(string first, string second)
    {
        // "a|" + "b" and "a" + "|b" concatenate to the same text; the length prefix keeps them apart.
        var key = AggregateKey.ForGroup(ByRegionAndModel, [first, second]);
        var shifted = AggregateKey.ForGroup(ByRegionAndModel, [first + second, ""]);
        var noValue = AggregateKey.ForGroup(ByRegionAndModel, [first + second, null]);

        new[] { key, shifted, noValue }.Distinct().Should().HaveCount(3);
        var parsed = AggregateKey.Parse(key.Value);
        parsed.Kind.Should().Be(AggregateKeyKind.GroupedCharge);
        parsed.ChargeKey.Should().Be("tokens_by_model");
        parsed.MeterKey.Should().Be("tokens");
        parsed.GroupValues.Should().Equal(first, second);
        parsed.Should().Be(key);
    }

    [Fact]
    public void Parse_LongValue_RoundTrips()
    {
        var value = new string('x', MeteringLimits.MaxGroupValueLength) + "|:-";

        var key = AggregateKey.ForGroup(ByRegion, [value]);

        key.Value.Should().Be($"api_calls|api_calls|{value.Length}:{value}");
        AggregateKey.Parse(key.Value).GroupValues.Should().Equal(value);
    }

    [Theory]
    [InlineData("api_calls|api_calls|")] // no group
    [InlineData("api_calls|api_calls|3:eu")] // length past the end
    [InlineData("api_calls|api_calls|2eu")] // no ':'
    [InlineData("api_calls|api_calls|02:eu")] // leading zero: not what ForGroup writes
    [InlineData("api_calls|api_calls|+2:eu")] // sign
    [InlineData("api_calls|api_calls|x")] // neither '-' nor a length
    [InlineData("api_calls|api_calls|2:eux")] // trailing text
    [InlineData("api_calls|bad key|2:eu")] // invalid charge key
    [InlineData("api_calls|api_calls|9999999999:eu")] // length overflows
    public void TryParse_MalformedGroup_IsFalse(string stored)
    {
        AggregateKey.TryParse(stored, out _).Should().BeFalse();
        var act = () => AggregateKey.Parse(stored);
        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void OtherKinds_HaveNoGroupValues()
    {
        AggregateKey.ForMeter("api_calls").GroupValues.Should().BeEmpty();
        AggregateKey.Parse("api_calls|eu_calls").GroupValues.Should().BeEmpty();
        default(AggregateKey).GroupValues.Should().BeEmpty();
    }
}
