using System.Text.Json;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class MoneyJsonTest
{
    [Theory]
    [InlineData("0.002", "EUR", """{"amount":"0.002","currency":"EUR"}""")]
    [InlineData("11699.00", "JMD", """{"amount":"11699.00","currency":"JMD"}""")]
    [InlineData("-10.50", "USD", """{"amount":"-10.50","currency":"USD"}""")]
    [InlineData("1500", "JPY", """{"amount":"1500","currency":"JPY"}""")]
    [InlineData("0.125", "KWD", """{"amount":"0.125","currency":"KWD"}""")]
    public void Money_IsAnExactAmountStringAndACurrencyCode_AndReadsBackWithItsScale(string amount, string code, string expected)
    {
        var money = new Money(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), Currency.FromCode(code));

        var json = Serialize(money);
        var back = Deserialize<Money>(json);

        json.Should().Be(expected);
        back.Should().Be(money);
        back.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture).Should().Be(amount, "the scale as written is kept (11699.00 stays 11699.00)");
        back.Currency.Should().BeSameAs(money.Currency);
    }

    [Theory]
    [InlineData("""{"amount":0.002,"currency":"EUR"}""", "0.002")]
    [InlineData("""{"amount":11699.00,"currency":"EUR"}""", "11699.00")]
    [InlineData("""{"currency":"EUR","amount":"7.10"}""", "7.10")]
    [InlineData("""{"Amount":"7.10","CURRENCY":"EUR"}""", "7.10")]
    public void Money_ReadsANumberAmountExactly_AndMembersInAnyOrder(string json, string amount)
    {
        var money = Deserialize<Money>(json);

        money.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture).Should().Be(amount);
        money.Currency.Should().Be(Currency.EUR);
    }

    [Fact]
    public void CustomUnit_RoundTrips_WithTheDigitsOfTheRegisteredUnit()
    {
        var options = WebWithCredits();
        var money = new Money(12.3456m, Credits);

        var json = Serialize(money, options);
        var back = Deserialize<Money>(json, options);

        json.Should().Be("""{"amount":"12.3456","currency":"credits"}""");
        back.Should().Be(money);
        back.Currency.MinorDigits.Should().Be(4);
        back.Currency.IsCustom.Should().BeTrue();
    }

    [Fact]
    public void CustomUnit_NotRegistered_FailsNamingTheCodeAndTheFix()
    {
        var act = () => Deserialize<Money>("""{"amount":"1","currency":"credits"}""");

        act.Should().Throw<JsonException>().WithMessage("*\"credits\" is not a known currency*CurrencyTable.Iso4217.With(Currency.Custom(\"credits\"*");
    }

    [Theory]
    [InlineData("""{"currency":"EUR"}""", "*Money has no 'amount'*")]
    [InlineData("""{"amount":"1.00"}""", "*Money has no 'currency'*")]
    [InlineData("""{"amount":"1.00","currency":"XXY"}""", "*\"XXY\" is not a known currency*")]
    [InlineData("""{"amount":"1.00","currency":"eur"}""", "*\"eur\" is not a known currency*")]
    [InlineData("""{"amount":true,"currency":"EUR"}""", "*'amount' must be a decimal number*boolean*")]
    [InlineData("""{"amount":"1e3","currency":"EUR"}""", "*'amount' is \"1e3\", which is not a decimal number*")]
    [InlineData("""{"amount":"12,50","currency":"EUR"}""", "*'amount' is \"12,50\", which is not a decimal number*")]
    [InlineData("""{"amount":null,"currency":"EUR"}""", "*'amount' is null*")]
    [InlineData("""{"amount":"1","currency":null}""", "*currency*must be a currency code string*null*")]
    [InlineData("""{"amount":"1","currency":978}""", "*currency*must be a currency code string*number*")]
    [InlineData("""null""", "*Money cannot be null*")]
    [InlineData(""" "1.00 EUR" """, "*Money is a JSON object*string*")]
    [InlineData("""[]""", "*Money is a JSON object*array*")]
    [InlineData("""{}""", "*Money has no 'amount'*")]
    public void MalformedMoney_FailsWithAJsonExceptionThatNamesTheProblem(string json, string message)
    {
        var act = () => Deserialize<Money>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Fact]
    public void NullableMoney_ReadsNullAsNull()
    {
        Deserialize<Money?>("null").Should().BeNull();
        Deserialize<Money?>("""{"amount":"2","currency":"GBP"}""").Should().Be(new Money(2m, Currency.GBP));
    }

    [Fact]
    public void DefaultMoney_CannotBeWritten()
    {
        var act = () => Serialize(default(Money));

        act.Should().Throw<JsonException>().WithMessage("*default value and has no currency*");
    }

    [Fact]
    public void Currency_IsItsCode()
    {
        Serialize(Currency.JPY).Should().Be("\"JPY\"");
        Deserialize<Currency>("\"BHD\"").Should().BeSameAs(Currency.BHD);
        Serialize(Credits, WebWithCredits()).Should().Be("\"credits\"");
        Deserialize<Currency>("\"credits\"", WebWithCredits()).Should().Be(Credits);
    }

    [Theory]
    [InlineData("\"ABC\"", "*\"ABC\" is not a known currency*")]
    [InlineData("3", "*must be a currency code string*number*")]
    [InlineData("{\"code\":\"EUR\"}", "*must be a currency code string*object*")]
    public void MalformedCurrency_Fails(string json, string message)
    {
        var act = () => Deserialize<Currency>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Fact]
    public void PropertyNames_FollowTheNamingPolicy()
    {
        var options = new JsonSerializerOptions().ConfigureForMetering();

        Serialize(new Money(1.5m, Currency.EUR), options).Should().Be("""{"Amount":"1.5","Currency":"EUR"}""");
        Deserialize<Money>("""{"Amount":"1.5","Currency":"EUR"}""", options).Should().Be(new Money(1.5m, Currency.EUR));
    }

    [Fact]
    public void ConfigureForMetering_ReturnsTheSameOptions_AndTwiceIsHarmless()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        var configured = options.ConfigureForMetering();
        var count = options.Converters.Count;
        options.ConfigureForMetering().Should().BeSameAs(options);

        configured.Should().BeSameAs(options);
        options.Converters.Should().HaveCount(count);
        Serialize(new Money(1m, Currency.EUR), options).Should().Be("""{"amount":"1","currency":"EUR"}""");
    }
}
