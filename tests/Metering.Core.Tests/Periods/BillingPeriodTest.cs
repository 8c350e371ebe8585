namespace Metering.Tests.Periods;

using Metering;

public class BillingPeriodTest
{
    // April 2024 in UTC: [2024-04-01, 2024-05-01) = 30 days.
    private static readonly BillingPeriod April = new(3, Utc(2024, 4, 1), Utc(2024, 5, 1));

    [Fact]
    public void FractionCovered_HalfThePeriod_IsExactlyOneHalf()
    {
        // Apr 16 .. May 1 = 15 days of 30 -> 0.5.
        April.FractionCovered(Utc(2024, 4, 16), Utc(2024, 5, 1)).Should().Be(0.5m);
    }

    [Fact]
    public void FractionCovered_WholePeriodAndBeyond_IsExactlyOne()
    {
        April.FractionCovered(Utc(2024, 3, 1), Utc(2024, 6, 1)).Should().Be(1m);
        April.FractionCovered(April.Start, April.End).Should().Be(1m);
    }

    [Fact]
    public void FractionCovered_StartsBeforePeriod_IsClippedToStart()
    {
        // [Mar 20, Apr 11) clipped to [Apr 1, Apr 11) = 10 days of 30 = 1/3, to decimal's 28 places.
        April.FractionCovered(Utc(2024, 3, 20), Utc(2024, 4, 11)).Should().Be(0.3333333333333333333333333333m);
    }

    [Fact]
    public void FractionCovered_EndsAfterPeriod_IsClippedToEnd()
    {
        // [Apr 20, Jun 1) clipped to [Apr 20, May 1) = 11 days of 30 = 0.3666..., last of 28 places rounded up.
        April.FractionCovered(Utc(2024, 4, 20), Utc(2024, 6, 1)).Should().Be(0.3666666666666666666666666667m);
    }

    [Fact]
    public void FractionCovered_PartOfADay_UsesExactTime()
    {
        // 18 hours of 30 × 24 = 720 hours -> 18 / 720 = 0.025.
        April.FractionCovered(Utc(2024, 4, 10, 6), Utc(2024, 4, 11)).Should().Be(0.025m);
    }

    [Fact]
    public void FractionCovered_OneNanosecond_IsAboveZero()
    {
        April.FractionCovered(April.Start, April.Start + Duration.Epsilon).Should().BePositive();
    }

    [Fact]
    public void FractionCovered_OutsideThePeriod_IsZero()
    {
        // Half-open: a range ending at Start or starting at End touches no instant of the period.
        April.FractionCovered(Utc(2024, 3, 1), Utc(2024, 4, 1)).Should().Be(0m);
        April.FractionCovered(Utc(2024, 5, 1), Utc(2024, 5, 10)).Should().Be(0m);
    }

    [Fact]
    public void FractionCovered_EmptyOrReversedRange_IsZero()
    {
        April.FractionCovered(Utc(2024, 4, 10), Utc(2024, 4, 10)).Should().Be(0m);
        April.FractionCovered(Utc(2024, 4, 20), Utc(2024, 4, 10)).Should().Be(0m);
    }

    [Fact]
    public void FractionCovered_DefaultPeriod_IsZero()
    {
        default(BillingPeriod).FractionCovered(Utc(1970, 1, 1), Utc(2000, 1, 1)).Should().Be(0m);
    }

    private static Instant Utc(int year, int month, int day, int hour = 0) => Instant.FromUtc(year, month, day, hour, 0);
}
