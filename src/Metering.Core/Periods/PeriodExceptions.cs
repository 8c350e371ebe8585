using NodaTime.Text;

namespace Metering;

/// <summary>
/// Thrown by <see cref="BillingSchedule.PeriodAt"/> for a period that contains no time at all: its local start
/// falls in a whole calendar day the time zone skipped (e.g. Pacific/Apia skipped 2011-12-30), so its start and
/// end map to the same instant. Only daily schedules in such zones can meet this.
/// </summary>
public sealed class EmptyBillingPeriodException : MeteringException
{
    /// <summary>Creates the exception for period <paramref name="index"/> of <paramref name="schedule"/>.</summary>
    public EmptyBillingPeriodException(BillingSchedule schedule, int index, Instant instant)
        : base(BuildMessage(schedule, index, instant))
    {
        Schedule = schedule;
        Index = index;
        Instant = instant;
    }

    /// <summary>The schedule the period belongs to.</summary>
    public BillingSchedule Schedule { get; }

    /// <summary>Index of the empty period.</summary>
    public int Index { get; }

    /// <summary>The instant both ends of the empty period map to.</summary>
    public Instant Instant { get; }

    private static string BuildMessage(BillingSchedule schedule, int index, Instant instant)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var pattern = LocalDateTimePattern.ExtendedIso;
        return $"Period {index} of the schedule {schedule} is empty: its local start {pattern.Format(schedule.LocalStartOf(index))} "
            + $"and end {pattern.Format(schedule.LocalStartOf(index + 1))} both map to {instant} because {schedule.Zone.Id} skipped that local time. "
            + "No instant can fall in it; step over it with PeriodContaining(previousPeriod.End), or bill that customer weekly or monthly.";
    }
}
