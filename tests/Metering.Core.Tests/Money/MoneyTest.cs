namespace Metering.Tests.Money;

using Metering;

public class MoneyTest
{
    [Fact]
    public void Plus_SameCurrency_AddsExactly()
    {
        var sum = new Money(0.1m, Currency.EUR) + new Money(0.2m, Currency.EUR);

        sum.Should().Be(new Money(0.3m, Currency.EUR));
    }

    [Fact]
    public void Plus_MixedCurrencies_ThrowsNamingBoth()
    {
        var act = () => new Money(1m, Currency.USD) + new Money(1m, Currency.EUR);

        act.Should().Throw<CurrencyMismatchException>().WithMessage("*USD*EUR*never converts*");
    }

    [Fact]
    public void Compare_MixedCurrencies_Throws()
    {
        var act = () => new Money(1m, Currency.USD) < new Money(1m, Currency.JMD);

        act.Should().Throw<CurrencyMismatchException>();
    }

    [Theory]
    [InlineData("JPY", 0)]
    [InlineData("USD", 2)]
    [InlineData("EUR", 2)]
    [InlineData("JMD", 2)]
    [InlineData("BHD", 3)]
    [InlineData("KWD", 3)]
    public void FromCode_IsoTable_HasMinorDigits(string code, int digits)
    {
        Currency.FromCode(code).MinorDigits.Should().Be(digits);
    }

    [Fact]
    public void FromCode_Unknown_ThrowsNamingCodeAndFix()
    {
        var act = () => Currency.FromCode("XYZ");

        act.Should().Throw<UnknownCurrencyException>().WithMessage("*'XYZ'*Currency.Custom*");
    }

    [Fact]
    public void CurrencyTable_With_AddsCustomUnit()
    {
        var credits = Currency.Custom("credits", 4);
        var table = CurrencyTable.Iso4217.With(credits);

        table.Get("credits").Should().Be(credits);
        CurrencyTable.Iso4217.TryGet("credits", out _).Should().BeFalse();
    }

    [Theory]
    [InlineData(0.005, "USD", MidpointRounding.AwayFromZero, 0.01)]
    [InlineData(0.005, "USD", MidpointRounding.ToEven, 0.00)]
    [InlineData(0.015, "USD", MidpointRounding.ToEven, 0.02)]
    [InlineData(2.5, "JPY", MidpointRounding.AwayFromZero, 3)]
    [InlineData(1.2345, "KWD", MidpointRounding.AwayFromZero, 1.235)]
    [InlineData(-0.005, "USD", MidpointRounding.AwayFromZero, -0.01)]
    public void Round_UsesPolicyAndMinorDigits(double amount, string code, MidpointRounding mode, double expected)
    {
        var money = new Money((decimal)amount, Currency.FromCode(code));

        money.Round(new RoundingPolicy(mode)).Amount.Should().Be((decimal)expected);
    }

    [Fact]
    public void Default_HasNoCurrency_AndSaysHowToCreate()
    {
        Money value = default;

        var act = () => value.Currency;

        act.Should().Throw<InvalidOperationException>().WithMessage("*new Money*");
    }

    [Fact]
    public void Custom_BadCode_Throws()
    {
        var act = () => Currency.Custom("has space", 2);

        act.Should().Throw<ArgumentException>().WithMessage("*'has space'*");
    }

    [Fact]
    public void MinorUnit_MatchesDigits()
    {
        Currency.JPY.MinorUnit.Should().Be(1m);
        Currency.USD.MinorUnit.Should().Be(0.01m);
        Currency.KWD.MinorUnit.Should().Be(0.001m);
    }
}
