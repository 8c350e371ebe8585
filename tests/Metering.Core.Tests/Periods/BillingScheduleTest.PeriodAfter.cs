namespace Metering.Tests.Periods;

using Metering;

public partial class BillingScheduleTest
{
    [Fact]
    public void PeriodAfter_OnItsOwnPeriods_IsTheNextPeriod()
    {
        var random = new Random(777);
        var failures = new List<string>();
        for (int c = 0; c < 2_000 && failures.Count < 20; c++)
        {
            var schedule = RandomSchedule(random);
            int index = random.Next(0, 300);
            var period = schedule.PeriodAt(index);
            var after = schedule.PeriodAfter(period);
            if (after != schedule.PeriodAt(index + 1))
            {
                failures.Add($"{schedule}: after {period} came {after}, not {schedule.PeriodAt(index + 1)}");
            }
        }

        failures.Should().BeEmpty();
    }

    [Fact]
    public void PeriodAfter_AcrossTheSkippedDayInApia_StepsOverTheEmptyPeriod()
    {
        var schedule = new BillingSchedule(new LocalDateTime(2011, 12, 25, 10, 0), Tzdb["Pacific/Apia"], BillingInterval.Days(1));

        // Period 5 is empty (see PeriodAt_DailyOverSkippedDayInApia...): after period 4 comes period 6.
        schedule.PeriodAfter(schedule.PeriodAt(4)).Should().Be(schedule.PeriodAt(6));
    }

    [Fact]
    public void PeriodAfter_AZoneMovedEast_EndsTheTransitionAtTheNewLocalMidnight()
    {
        // November 2026 in New York (EDT until Nov 1 02:00): [Nov 1 04:00Z, Dec 1 05:00Z). Then Tokyo (+9):
        // the next period runs to Jan 1 00:00 Tokyo = Dec 31 15:00Z, about 14 hours shorter than a month.
        var newYork = new BillingSchedule(new LocalDateTime(2026, 1, 1, 0, 0), Tzdb["America/New_York"], BillingInterval.Months(1));
        var november = newYork.PeriodAt(10);
        november.Should().Be(new BillingPeriod(10, Instant.FromUtc(2026, 11, 1, 4, 0), Instant.FromUtc(2026, 12, 1, 5, 0)));

        var tokyo = newYork.WithZone(Tzdb["Asia/Tokyo"]);

        tokyo.PeriodAfter(november).Should().Be(new BillingPeriod(11, Instant.FromUtc(2026, 12, 1, 5, 0), Instant.FromUtc(2026, 12, 31, 15, 0)));
        tokyo.PeriodAfter(tokyo.PeriodAfter(november)).Should().Be(tokyo.PeriodAt(12));
    }

    [Fact]
    public void PeriodAfter_AZoneMovedWest_NeverGivesAnEmptyOrTinyPeriod()
    {
        // Tokyo (+9) to New York (-5 in December): November in Tokyo ends Nov 30 15:00Z; New York's Dec 1 00:00 is
        // Dec 1 05:00Z, only 14 hours later, so the transition runs to Jan 1 00:00 New York (Jan 1 05:00Z) instead.
        var tokyo = new BillingSchedule(new LocalDateTime(2026, 1, 1, 0, 0), Tzdb["Asia/Tokyo"], BillingInterval.Months(1));
        var november = tokyo.PeriodAt(10);
        var newYork = tokyo.WithZone(Tzdb["America/New_York"]);

        newYork.PeriodAfter(november).Should().Be(new BillingPeriod(11, Instant.FromUtc(2026, 11, 30, 15, 0), Instant.FromUtc(2027, 1, 1, 5, 0)));
    }

    [Fact]
    public void PeriodAfter_DailyAcrossTheWidestZoneJump_StillTilesForward()
    {
        // Daily at midnight, from UTC-12 to UTC+14 (26 hours apart): day 10 in -12 ends Jan 12 12:00Z; +14's starts
        // are at 10:00Z, so index 12's start (Jan 12 10:00Z) is already behind: the transition ends at Jan 13 10:00Z.
        var west = new BillingSchedule(new LocalDateTime(2026, 1, 1, 0, 0), Tzdb["Etc/GMT+12"], BillingInterval.Days(1));
        var day = west.PeriodAt(10);
        day.End.Should().Be(Instant.FromUtc(2026, 1, 12, 12, 0));
        var east = west.WithZone(Tzdb["Pacific/Kiritimati"]);

        var transition = east.PeriodAfter(day);

        transition.Should().Be(new BillingPeriod(12, Instant.FromUtc(2026, 1, 12, 12, 0), Instant.FromUtc(2026, 1, 13, 10, 0)));
        east.PeriodAfter(transition).Should().Be(east.PeriodAt(13));
    }
}
