namespace Metering.Tests.Periods;

using Metering;

public class BillingIntervalTest
{
    [Fact]
    public void Construction_CountZero_ThrowsNamingTheMinimum()
    {
        var act = () => BillingInterval.Months(0);

        act.Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*at least 1 month*was 0*BillingInterval.Months(1)*");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Construction_NegativeCount_Throws(int count)
    {
        var act = () => BillingInterval.Days(count);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least 1 day*");
    }

    [Fact]
    public void Construction_UndefinedUnit_Throws()
    {
        var act = () => new BillingInterval((IntervalUnit)7, 1);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Day, Week, Month or Year*");
    }

    [Fact]
    public void Factories_SetUnitAndCount()
    {
        BillingInterval.Days(10).Should().Match<BillingInterval>(i => i.Unit == IntervalUnit.Day && i.Count == 10);
        BillingInterval.Weeks(2).Should().Match<BillingInterval>(i => i.Unit == IntervalUnit.Week && i.Count == 2);
        BillingInterval.Months(3).Should().Match<BillingInterval>(i => i.Unit == IntervalUnit.Month && i.Count == 3);
        BillingInterval.Years(1).Should().Match<BillingInterval>(i => i.Unit == IntervalUnit.Year && i.Count == 1);
    }

    [Fact]
    public void Default_IsOneDay()
    {
        default(BillingInterval).Should().Be(BillingInterval.Days(1));
        default(BillingInterval).Count.Should().Be(1);
    }

    [Fact]
    public void Equality_ComparesUnitAndCount()
    {
        (BillingInterval.Months(3) == BillingInterval.Months(3)).Should().BeTrue();
        BillingInterval.Months(3).GetHashCode().Should().Be(BillingInterval.Months(3).GetHashCode());

        // 12 months and 1 year are different intervals (they differ on Feb 29 anchors).
        (BillingInterval.Months(12) != BillingInterval.Years(1)).Should().BeTrue();
        BillingInterval.Weeks(1).Should().NotBe(BillingInterval.Days(7));
    }

    [Fact]
    public void ToPeriod_MultipliesTheInterval()
    {
        // 3 months × 2 = 6 months; 2 weeks × 5 = 10 weeks; 10 days × 0 = zero.
        BillingInterval.Months(3).ToPeriod(2).Should().Be(Period.FromMonths(6));
        BillingInterval.Weeks(2).ToPeriod(5).Should().Be(Period.FromWeeks(10));
        BillingInterval.Days(10).ToPeriod(0).Should().Be(Period.FromDays(0));
        BillingInterval.Years(1).ToPeriod(4).Should().Be(Period.FromYears(4));
    }

    [Fact]
    public void ToPeriod_ProductTooLarge_Throws()
    {
        var act = () => BillingInterval.Days(2).ToPeriod(int.MaxValue);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*smaller multiple*");
    }

    [Theory]
    [InlineData(IntervalUnit.Day, 1, "1 day")]
    [InlineData(IntervalUnit.Day, 10, "10 days")]
    [InlineData(IntervalUnit.Week, 2, "2 weeks")]
    [InlineData(IntervalUnit.Month, 1, "1 month")]
    [InlineData(IntervalUnit.Month, 3, "3 months")]
    [InlineData(IntervalUnit.Year, 1, "1 year")]
    public void ToDisplayString_SaysCountAndUnit(IntervalUnit unit, int count, string expected)
    {
        new BillingInterval(unit, count).ToDisplayString().Should().Be(expected);
    }

    [Theory]
    [InlineData(IntervalUnit.Month, 1, "P1M")]
    [InlineData(IntervalUnit.Month, 3, "P3M")]
    [InlineData(IntervalUnit.Week, 2, "P2W")]
    [InlineData(IntervalUnit.Day, 10, "P10D")]
    [InlineData(IntervalUnit.Year, 1, "P1Y")]
    [InlineData(IntervalUnit.Day, int.MaxValue, "P2147483647D")]
    public void ToString_IsIsoForm_AndParsesBack(IntervalUnit unit, int count, string expected)
    {
        var interval = new BillingInterval(unit, count);

        interval.ToString().Should().Be(expected);
        BillingInterval.Parse(expected).Should().Be(interval);
    }

    [Theory]
    [InlineData("3 months", IntervalUnit.Month, 3)]
    [InlineData("1 month", IntervalUnit.Month, 1)]
    [InlineData("2 Weeks", IntervalUnit.Week, 2)]
    [InlineData("p2w", IntervalUnit.Week, 2)]
    [InlineData("  P1Y ", IntervalUnit.Year, 1)]
    [InlineData("P010D", IntervalUnit.Day, 10)]
    public void Parse_AcceptsIsoAndDisplayForms(string text, IntervalUnit unit, int count)
    {
        BillingInterval.Parse(text).Should().Be(new BillingInterval(unit, count));
    }

    [Fact]
    public void Parse_DisplayString_RoundTrips()
    {
        var interval = BillingInterval.Months(6);

        BillingInterval.Parse(interval.ToDisplayString()).Should().Be(interval);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("1M")]
    [InlineData("P0M")]
    [InlineData("PM")]
    [InlineData("P1X")]
    [InlineData("P1.5M")]
    [InlineData("P-1M")]
    [InlineData("P+1M")]
    [InlineData("P 1M")]
    [InlineData("P1M2D")]
    [InlineData("P99999999999D")]
    [InlineData("monthly")]
    [InlineData("3 month")]
    [InlineData("1 months")]
    [InlineData("0 days")]
    public void Parse_BadText_ThrowsNamingTheExpectedForm(string text)
    {
        var act = () => BillingInterval.Parse(text);

        act.Should().Throw<FormatException>().WithMessage($"'{text}' is not a billing interval; write P<count><unit>*P1M*");
        BillingInterval.TryParse(text, out _).Should().BeFalse();
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNull()
    {
        var act = () => BillingInterval.Parse(null!);

        act.Should().Throw<ArgumentNullException>();
        BillingInterval.TryParse(null, out _).Should().BeFalse();
    }
}
