namespace Metering.Tests.Periods;

public class DurationTextTest
{
    public static TheoryData<Duration, string> Durations => new()
    {
        { Duration.FromHours(1), "1 hour" },
        { Duration.FromMinutes(5), "5 minutes" },
        { Duration.FromDays(366), "366 days" },
        { Duration.FromHours(72), "3 days" },
        { Duration.FromMinutes(90), "1 hour 30 minutes" },
        { Duration.FromDays(1) + Duration.FromSeconds(1), "1 day 1 second" },
        { Duration.FromSeconds(1), "1 second" },
        { Duration.FromMilliseconds(1500), "1 second 500 milliseconds" },
        { Duration.FromMilliseconds(1), "1 millisecond" },
        { Duration.FromNanoseconds(500_000), "0.5 milliseconds" },
        { Duration.FromNanoseconds(1), "0.000001 milliseconds" },
        { Duration.Zero, "0 seconds" },
        { -Duration.FromMinutes(5), "-5 minutes" },
        { -Duration.FromMinutes(61), "-1 hour 1 minute" },
    };

    [Theory]
    [MemberData(nameof(Durations))]
    public void Format_Duration_WritesWordsNotClockText(Duration duration, string expected) =>
        DurationText.Format(duration).Should().Be(expected);

    [Theory]
    [InlineData("01:00:00", "1 hour")]
    [InlineData("00:05:00", "5 minutes")]
    [InlineData("366.00:00:00", "366 days")]
    [InlineData("00:00:30", "30 seconds")]
    [InlineData("1.02:00:00", "1 day 2 hours")]
    [InlineData("-00:00:01", "-1 second")]
    [InlineData("00:00:00.0000001", "0.0001 milliseconds")]
    public void Format_TimeSpan_WritesWordsNotClockText(string timeSpan, string expected) =>
        DurationText.Format(TimeSpan.Parse(timeSpan, System.Globalization.CultureInfo.InvariantCulture)).Should().Be(expected);

    [Fact]
    public void Format_Extremes_DoNotOverflow()
    {
        DurationText.Format(Duration.MaxValue).Should().StartWith("16777215 days 23 hours 59 minutes 59 seconds");
        DurationText.Format(Duration.MinValue).Should().StartWith("-16777216 days");
        DurationText.Format(TimeSpan.MinValue).Should().StartWith("-10675199 days");
    }
}
