namespace Metering.Tests.Periods;

using Metering;

public partial class BillingScheduleTest
{
    private static readonly IDateTimeZoneProvider Tzdb = DateTimeZoneProviders.Tzdb;

    [Fact]
    public void StartOf_Jan31MonthlyInLeapYear_FollowsMonthEndsWithoutDrift()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        // Each start is Jan 31 + n months, truncated to the month's last day: Feb has 29 days in 2024, 28 in 2025.
        schedule.StartOf(0).Should().Be(Utc(2024, 1, 31));
        schedule.StartOf(1).Should().Be(Utc(2024, 2, 29));
        schedule.StartOf(2).Should().Be(Utc(2024, 3, 31));
        schedule.StartOf(3).Should().Be(Utc(2024, 4, 30));
        schedule.StartOf(4).Should().Be(Utc(2024, 5, 31));
        schedule.StartOf(5).Should().Be(Utc(2024, 6, 30));
        schedule.StartOf(6).Should().Be(Utc(2024, 7, 31));
        schedule.StartOf(7).Should().Be(Utc(2024, 8, 31));
        schedule.StartOf(13).Should().Be(Utc(2025, 2, 28));
        schedule.StartOf(14).Should().Be(Utc(2025, 3, 31));
    }

    [Fact]
    public void StartOf_Jan31MonthlyInCommonYear_GivesFeb28ThenMar31()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2025, 1, 31, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        schedule.StartOf(1).Should().Be(Utc(2025, 2, 28));
        schedule.StartOf(2).Should().Be(Utc(2025, 3, 31));
        schedule.LocalStartOf(2).Should().Be(new LocalDateTime(2025, 3, 31, 0, 0));
    }

    [Fact]
    public void PeriodAt_Jan31Monthly_PeriodsRunMonthEndToMonthEnd()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        // Period 1: Feb 29 .. Mar 31 = 31 days.
        var period = schedule.PeriodAt(1);

        period.Should().Be(new BillingPeriod(1, Utc(2024, 2, 29), Utc(2024, 3, 31)));
        period.Duration.Should().Be(Duration.FromDays(31));
    }

    [Fact]
    public void StartOf_Feb29Yearly_GivesFeb28InCommonYearsAndFeb29InLeapYears()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 2, 29, 0, 0), DateTimeZone.Utc, BillingInterval.Years(1));

        schedule.StartOf(1).Should().Be(Utc(2025, 2, 28));
        schedule.StartOf(3).Should().Be(Utc(2027, 2, 28));
        schedule.StartOf(4).Should().Be(Utc(2028, 2, 29));
    }

    [Fact]
    public void StartOf_QuarterlyFromNov30_TruncatesFebruaryOnly()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2023, 11, 30, 9, 15), DateTimeZone.Utc, BillingInterval.Months(3));

        // Nov 30 + 3 months = Feb 29 2024 (truncated); + 6 = May 30; + 9 = Aug 30; + 12 = Nov 30.
        schedule.StartOf(1).Should().Be(Instant.FromUtc(2024, 2, 29, 9, 15));
        schedule.StartOf(2).Should().Be(Instant.FromUtc(2024, 5, 30, 9, 15));
        schedule.StartOf(3).Should().Be(Instant.FromUtc(2024, 8, 30, 9, 15));
        schedule.StartOf(4).Should().Be(Instant.FromUtc(2024, 11, 30, 9, 15));
    }

    [Fact]
    public void PeriodContaining_InstantExactlyAtEnd_IsInTheNextPeriod()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 1, 1, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        var atBoundary = schedule.PeriodContaining(Utc(2024, 2, 1));
        var justBefore = schedule.PeriodContaining(Utc(2024, 2, 1) - Duration.FromTicks(1));

        atBoundary.Should().Be(new BillingPeriod(1, Utc(2024, 2, 1), Utc(2024, 3, 1)));
        justBefore.Should().Be(new BillingPeriod(0, Utc(2024, 1, 1), Utc(2024, 2, 1)));
    }

    [Fact]
    public void PeriodContaining_AtTheAnchor_IsPeriodZero()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        schedule.PeriodContaining(Utc(2024, 1, 31)).Should().Be(new BillingPeriod(0, Utc(2024, 1, 31), Utc(2024, 2, 29)));
    }

    [Fact]
    public void PeriodContaining_BeforeTheAnchor_ThrowsNamingTheAnchor()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        var act = () => schedule.PeriodContaining(Utc(2024, 1, 31) - Duration.FromTicks(1));

        act.Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*before the first period*P1M from 2024-01-31T00:00:00 UTC*starts at 2024-01-31T00:00:00Z*");
    }

    [Fact]
    public void PeriodContaining_DailyAHundredYearsOn_FindsTheIndexDirectly()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2000, 1, 1, 0, 0), DateTimeZone.Utc, BillingInterval.Days(1));

        // 2000-01-01 .. 2100-01-01: 100 × 365 days + 25 leap days (2000, 2004, ..., 2096; 2100 is not leap) = 36,525.
        schedule.PeriodContaining(Instant.FromUtc(2100, 1, 1, 12, 0))
            .Should().Be(new BillingPeriod(36_525, Utc(2100, 1, 1), Utc(2100, 1, 2)));
    }

    [Fact]
    public void PeriodContaining_MonthlyAlmostAThousandYearsOn_FindsTheIndexDirectly()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2000, 1, 31, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        // 999 years = 11,988 months -> 2999-01-31; index 11,989 starts Feb 28 2999 (not a leap year), 11,990 on Mar 31.
        schedule.PeriodContaining(Utc(2999, 3, 15))
            .Should().Be(new BillingPeriod(11_989, Utc(2999, 2, 28), Utc(2999, 3, 31)));
    }

    [Fact]
    public void StartOf_NegativeIndex_Throws()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 1, 1, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));

        var act = () => schedule.StartOf(-1);
        var actPeriod = () => schedule.PeriodAt(-1);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*must be 0 or more, but was -1*");
        actPeriod.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*must be 0 or more*");
    }

    [Fact]
    public void PeriodAt_PastYear9999_ThrowsOutOfRange()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 1, 1, 0, 0), DateTimeZone.Utc, BillingInterval.Days(1));

        var act = () => schedule.PeriodAt(int.MaxValue);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*9999-12-31*smaller index*");
    }

    [Fact]
    public void Construction_NonIsoAnchor_Throws()
    {
        var anchor = new LocalDateTime(2024, 1, 1, 0, 0).WithCalendar(CalendarSystem.Julian);

        var act = () => new BillingSchedule(anchor, DateTimeZone.Utc, BillingInterval.Months(1));

        act.Should().Throw<ArgumentException>().WithMessage("*ISO calendar*WithCalendar(CalendarSystem.Iso)*");
    }

    [Fact]
    public void Equality_ComparesAnchorZoneAndInterval()
    {
        var a = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), Tzdb["Europe/London"], BillingInterval.Months(1));
        var b = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), Tzdb["Europe/London"], BillingInterval.Months(1));
        var otherInterval = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), Tzdb["Europe/London"], BillingInterval.Months(2));
        var otherZone = new BillingSchedule(new LocalDateTime(2024, 1, 31, 0, 0), Tzdb["Europe/Paris"], BillingInterval.Months(1));

        (a == b).Should().BeTrue();
        a.GetHashCode().Should().Be(b.GetHashCode());
        (a != otherInterval).Should().BeTrue();
        a.Equals(otherZone).Should().BeFalse();
        a.ToString().Should().Be("P1M from 2024-01-31T00:00:00 Europe/London");
        a.Equals(null).Should().BeFalse();
    }

    private static Instant Utc(int year, int month, int day) => Instant.FromUtc(year, month, day, 0, 0);
}
