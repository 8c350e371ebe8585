namespace Metering.Tests.Periods;

using Metering;

public partial class BillingScheduleTest
{
    private static readonly string[] TilingZones =
    [
        "UTC", "America/New_York", "Europe/London", "Europe/Paris", "Australia/Sydney", "Australia/Lord_Howe",
        "Asia/Kolkata", "Asia/Kathmandu", "America/Sao_Paulo", "America/St_Johns", "Pacific/Chatham",
    ];

    private static readonly BillingInterval[] TilingIntervals =
    [
        BillingInterval.Days(1), BillingInterval.Days(2), BillingInterval.Days(3),
        BillingInterval.Weeks(1), BillingInterval.Weeks(2),
        BillingInterval.Months(1), BillingInterval.Months(2), BillingInterval.Months(3), BillingInterval.Months(12),
        BillingInterval.Years(1),
    ];

    [Fact]
    public void Periods_RandomSchedules_TileTimeAndPeriodContainingFindsEachOne()
    {
        const int Cases = 4_000;
        const int ConsecutivePeriods = 24;
        var random = new Random(12345);
        var failures = new List<string>();
        int periodsChecked = 0;

        for (int c = 0; c < Cases && failures.Count < 20; c++)
        {
            var schedule = RandomSchedule(random);

            // Half the cases start deep into the schedule, so PeriodContaining's index estimate is exercised.
            int first = random.Next(2) == 0 ? 0 : random.Next(1, 400);
            var previous = schedule.PeriodAt(first);
            for (int i = first; i <= first + ConsecutivePeriods; i++)
            {
                var period = i == first ? previous : schedule.PeriodAt(i);
                periodsChecked++;
                string where = $"{schedule}, period {i} {period}";

                if (period.Index != i)
                {
                    failures.Add($"{where}: index {period.Index}");
                }

                if (period.Start >= period.End)
                {
                    failures.Add($"{where}: not Start < End");
                }

                if (i > first && period.Start != previous.End)
                {
                    failures.Add($"{where}: starts at {period.Start} but period {i - 1} ends at {previous.End}");
                }

                var inside = period.Start + Duration.FromTicks(random.NextInt64(0, period.Duration.BclCompatibleTicks));
                foreach (var probe in new[] { period.Start, inside, period.End - Duration.FromTicks(1) })
                {
                    var found = schedule.PeriodContaining(probe);
                    if (found != period)
                    {
                        failures.Add($"{where}: PeriodContaining({probe}) gave {found}");
                    }
                }

                if (schedule.PeriodContaining(period.End).Index != i + 1)
                {
                    failures.Add($"{where}: PeriodContaining(End) is not period {i + 1}");
                }

                // Computed from the anchor: the local start is exactly anchor + i × interval (NodaTime truncates month ends).
                if (schedule.LocalStartOf(i) != schedule.Anchor.Plus(schedule.Interval.ToPeriod(i)))
                {
                    failures.Add($"{where}: local start {schedule.LocalStartOf(i)} is not the anchor plus {i} intervals");
                }

                previous = period;
            }
        }

        failures.Should().BeEmpty();
        periodsChecked.Should().Be(Cases * (ConsecutivePeriods + 1));
    }

    private static BillingSchedule RandomSchedule(Random random)
    {
        int year = random.Next(2000, 2031);
        int month = random.Next(1, 13);
        int daysInMonth = CalendarSystem.Iso.GetDaysInMonth(year, month);

        // A third of anchors sit on a month end (Feb 29 included in leap years), where truncation matters.
        int day = random.Next(3) == 0 ? daysInMonth : random.Next(1, daysInMonth + 1);

        // A third of anchors sit between 00:00 and 03:59, where most DST transitions happen.
        int hour = random.Next(3) == 0 ? random.Next(0, 4) : random.Next(0, 24);
        int minute = random.Next(4) == 0 ? 0 : random.Next(0, 60);
        int second = random.Next(2) == 0 ? 0 : random.Next(0, 60);

        var anchor = new LocalDateTime(year, month, day, hour, minute, second);
        var zone = Tzdb[TilingZones[random.Next(TilingZones.Length)]];
        var interval = TilingIntervals[random.Next(TilingIntervals.Length)];
        return new BillingSchedule(anchor, zone, interval);
    }
}
