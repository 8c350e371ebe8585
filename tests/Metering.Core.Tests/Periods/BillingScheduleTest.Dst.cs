namespace Metering.Tests.Periods;

using Metering;

public partial class BillingScheduleTest
{
    [Fact]
    public void StartOf_AnchorInSpringForwardGap_ShiftsForwardByTheGap()
    {
        // New York springs forward on 2024-03-10 at 02:00 EST (-5) to 03:00 EDT (-4): 02:30 does not exist.
        var schedule = new BillingSchedule(new LocalDateTime(2024, 3, 10, 2, 30), Tzdb["America/New_York"], BillingInterval.Months(1));

        // Lenient: 02:30 shifted forward one hour = 03:30 EDT = 07:30Z. Next start 2024-04-10 02:30 EDT = 06:30Z.
        var period = schedule.PeriodAt(0);

        period.Start.Should().Be(Instant.FromUtc(2024, 3, 10, 7, 30));
        period.End.Should().Be(Instant.FromUtc(2024, 4, 10, 6, 30));
        period.Duration.Should().Be(Duration.FromDays(31) - Duration.FromHours(1));
        schedule.PeriodAt(1).Start.Should().Be(period.End);
        schedule.PeriodContaining(Instant.FromUtc(2024, 3, 10, 7, 30)).Index.Should().Be(0);
    }

    [Fact]
    public void PeriodAt_LaterStartInSpringForwardGap_BothNeighboursAgree()
    {
        // Anchor Feb 10 02:30 EST = 07:30Z; index 1 is Mar 10 02:30 (in the gap) -> 03:30 EDT = 07:30Z.
        var schedule = new BillingSchedule(new LocalDateTime(2024, 2, 10, 2, 30), Tzdb["America/New_York"], BillingInterval.Months(1));

        var before = schedule.PeriodAt(0);
        var after = schedule.PeriodAt(1);

        // Feb 10 .. Mar 10 2024 = 19 + 10 = 29 days, both ends at 07:30Z.
        before.Should().Be(new BillingPeriod(0, Instant.FromUtc(2024, 2, 10, 7, 30), Instant.FromUtc(2024, 3, 10, 7, 30)));
        after.Start.Should().Be(before.End);
        after.End.Should().Be(Instant.FromUtc(2024, 4, 10, 6, 30));
        schedule.PeriodContaining(Instant.FromUtc(2024, 3, 10, 7, 29)).Index.Should().Be(0);
        schedule.PeriodContaining(Instant.FromUtc(2024, 3, 10, 7, 30)).Index.Should().Be(1);
    }

    [Fact]
    public void PeriodAt_DailyOnSpringForwardDay_Lasts23Hours()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2024, 3, 9, 0, 0), Tzdb["America/New_York"], BillingInterval.Days(1));

        // Mar 10 00:00 EST = 05:00Z .. Mar 11 00:00 EDT = 04:00Z.
        schedule.PeriodAt(1).Should().Be(new BillingPeriod(1, Instant.FromUtc(2024, 3, 10, 5, 0), Instant.FromUtc(2024, 3, 11, 4, 0)));
        schedule.PeriodAt(1).Duration.Should().Be(Duration.FromHours(23));
    }

    [Fact]
    public void PeriodAt_WeeklyAcrossLondonFallBack_IsSevenDaysAndAnHour()
    {
        // London falls back on 2024-10-27 at 02:00 BST (+1) to 01:00 GMT (+0).
        var schedule = new BillingSchedule(new LocalDateTime(2024, 10, 20, 12, 0), Tzdb["Europe/London"], BillingInterval.Weeks(1));

        // Oct 20 12:00 BST = 11:00Z .. Oct 27 12:00 GMT = 12:00Z; then Nov 3 12:00 GMT = 12:00Z.
        var crossing = schedule.PeriodAt(0);
        var next = schedule.PeriodAt(1);

        crossing.Should().Be(new BillingPeriod(0, Instant.FromUtc(2024, 10, 20, 11, 0), Instant.FromUtc(2024, 10, 27, 12, 0)));
        crossing.Duration.Should().Be(Duration.FromDays(7) + Duration.FromHours(1));
        next.Should().Be(new BillingPeriod(1, Instant.FromUtc(2024, 10, 27, 12, 0), Instant.FromUtc(2024, 11, 3, 12, 0)));
        next.Duration.Should().Be(Duration.FromDays(7));
    }

    [Fact]
    public void StartOf_AnchorInFallBackOverlap_TakesTheEarlierOffset()
    {
        // 01:30 happens twice in London on 2024-10-27: 00:30Z (BST) and 01:30Z (GMT); the first is used.
        var schedule = new BillingSchedule(new LocalDateTime(2024, 10, 27, 1, 30), Tzdb["Europe/London"], BillingInterval.Days(1));

        // 00:30Z .. Oct 28 01:30 GMT = 01:30Z = 25 hours.
        schedule.PeriodAt(0).Should().Be(new BillingPeriod(0, Instant.FromUtc(2024, 10, 27, 0, 30), Instant.FromUtc(2024, 10, 28, 1, 30)));
    }

    [Fact]
    public void FromStart_SecondOccurrenceOfAmbiguousTime_PeriodZeroStillContainsStart()
    {
        // 01:30Z is 01:30 GMT, the second 01:30 in London; the anchor resolves to the first one, 00:30Z.
        var start = Instant.FromUtc(2024, 10, 27, 1, 30);

        var schedule = BillingSchedule.FromStart(start, Tzdb["Europe/London"], BillingInterval.Days(1));

        schedule.Anchor.Should().Be(new LocalDateTime(2024, 10, 27, 1, 30));
        schedule.StartOf(0).Should().Be(Instant.FromUtc(2024, 10, 27, 0, 30));
        schedule.PeriodContaining(start).Index.Should().Be(0);
    }

    [Fact]
    public void FromStart_OrdinaryInstant_PeriodZeroStartsThere()
    {
        // 2024-01-31 15:00Z in Sydney (AEDT, +11) is 2024-02-01 02:00 local; one month on is 2024-03-01 02:00 AEDT = Feb 29 15:00Z.
        var schedule = BillingSchedule.FromStart(Instant.FromUtc(2024, 1, 31, 15, 0), Tzdb["Australia/Sydney"], BillingInterval.Months(1));

        schedule.Anchor.Should().Be(new LocalDateTime(2024, 2, 1, 2, 0));
        schedule.PeriodAt(0).Should().Be(new BillingPeriod(0, Instant.FromUtc(2024, 1, 31, 15, 0), Instant.FromUtc(2024, 2, 29, 15, 0)));
    }

    [Fact]
    public void PeriodAt_DailyOverSkippedDayInApia_ThrowsEmptyPeriodAndPeriodContainingStepsOver()
    {
        // Samoa (Pacific/Apia) went from -10 to +14 after 2011-12-29 23:59:59 local, skipping Dec 30 entirely.
        var schedule = new BillingSchedule(new LocalDateTime(2011, 12, 25, 10, 0), Tzdb["Pacific/Apia"], BillingInterval.Days(1));

        // Index 4: Dec 29 10:00 (-10) = Dec 29 20:00Z. Index 5: Dec 30 10:00 skipped -> shifted 24 h to Dec 31 10:00 (+14)
        // = Dec 30 20:00Z, the same instant as index 6 (Dec 31 10:00 +14). So period 5 is empty.
        var act = () => schedule.PeriodAt(5);

        schedule.PeriodAt(4).Should().Be(new BillingPeriod(4, Instant.FromUtc(2011, 12, 29, 20, 0), Instant.FromUtc(2011, 12, 30, 20, 0)));
        act.Should().Throw<EmptyBillingPeriodException>()
            .Where(e => e.Index == 5 && e.Instant == Instant.FromUtc(2011, 12, 30, 20, 0))
            .WithMessage("Period 5 of the schedule P1D from 2011-12-25T10:00:00 Pacific/Apia is empty*2011-12-30T10:00:00*2011-12-31T10:00:00*PeriodContaining*");
        schedule.PeriodAt(6).Should().Be(new BillingPeriod(6, Instant.FromUtc(2011, 12, 30, 20, 0), Instant.FromUtc(2011, 12, 31, 20, 0)));
        schedule.PeriodContaining(Instant.FromUtc(2011, 12, 30, 20, 0)).Index.Should().Be(6);
        schedule.PeriodContaining(schedule.PeriodAt(4).End).Index.Should().Be(6);
    }
}
