using System.Diagnostics.CodeAnalysis;
using NodaTime.Text;
using NodaTime.TimeZones;

namespace Metering;

/// <summary>
/// The billing periods of a subscription: an anchor (a local date-time in the customer's time zone) and an interval.
/// Period <c>n</c> is <c>[StartOf(n), StartOf(n + 1))</c>, with the local start <c>anchor + n × interval</c>.
/// </summary>
/// <remarks>
/// <para>Starts are computed from the anchor, never from the previous period, so month ends do not drift: an anchor
/// on Jan 31 gives Feb 28 (or 29), Mar 31, Apr 30, ... (NodaTime truncates to the end of shorter months).</para>
/// <para>Local starts map to instants with <see cref="Resolvers.LenientResolver"/>: a local time in a DST gap is shifted
/// forward by the length of the gap (02:30 on a spring-forward night becomes 03:30), and an ambiguous local time takes
/// the earlier offset (its first occurrence). The same mapping serves as the end of one period and the start of the
/// next, so periods tile time with no gaps and no overlaps; a period's length follows DST (a daily period on a
/// spring-forward day lasts 23 hours).</para>
/// <para>Starts never decrease with the index. Two consecutive starts coincide only when the zone skipped a whole
/// local day (the largest gap in the tz database, e.g. Pacific/Apia on 2011-12-30) and the interval is one day: that one
/// period is empty, <see cref="PeriodAt"/> throws <see cref="EmptyBillingPeriodException"/> for it, and
/// <see cref="PeriodContaining"/> never returns it. Every <see cref="BillingPeriod"/> this type returns has Start &lt; End.</para>
/// <para>Indexes start at 0; the anchor must use the ISO calendar. Schedules are equal when their anchors, zone ids and
/// intervals are equal.</para>
/// </remarks>
public sealed class BillingSchedule : IEquatable<BillingSchedule>
{
    private readonly Instant _firstStart;

    /// <summary>Creates a schedule whose period 0 starts at <paramref name="anchor"/> in <paramref name="zone"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="zone"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="anchor"/> is not in the ISO calendar.</exception>
    public BillingSchedule(LocalDateTime anchor, DateTimeZone zone, BillingInterval interval)
    {
        Preconditions.CheckNotNull(zone);
        Preconditions.CheckArgument(
            anchor.Calendar == CalendarSystem.Iso,
            nameof(anchor),
            $"The anchor of a billing schedule must use the ISO calendar, but {anchor} uses {anchor.Calendar.Id}; convert it with anchor.WithCalendar(CalendarSystem.Iso).");

        Anchor = anchor;
        Zone = zone;
        Interval = interval;
        _firstStart = Resolve(anchor);
    }

    /// <summary>Local date-time, in <see cref="Zone"/>, at which period 0 starts.</summary>
    public LocalDateTime Anchor { get; }

    /// <summary>The customer's time zone, in which period boundaries are local times.</summary>
    public DateTimeZone Zone { get; }

    /// <summary>Length of each period in local calendar units.</summary>
    public BillingInterval Interval { get; }

    /// <summary>Compares two schedules by anchor, zone id and interval.</summary>
    public static bool operator ==(BillingSchedule? left, BillingSchedule? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Compares two schedules by anchor, zone id and interval.</summary>
    public static bool operator !=(BillingSchedule? left, BillingSchedule? right) => !(left == right);

    /// <summary>
    /// A schedule whose anchor is <paramref name="start"/> seen as a local time in <paramref name="zone"/>.
    /// Period 0 starts at <paramref name="start"/>, except when <paramref name="start"/> is the second occurrence of an
    /// ambiguous local time (the repeated hour when clocks go back): the anchor then resolves to the first occurrence,
    /// so period 0 starts one DST shift earlier and still contains <paramref name="start"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="zone"/> is null.</exception>
    public static BillingSchedule FromStart(Instant start, DateTimeZone zone, BillingInterval interval)
    {
        Preconditions.CheckNotNull(zone);
        return new BillingSchedule(start.InZone(zone).LocalDateTime, zone, interval);
    }

    /// <summary>Local start of period <paramref name="index"/>: <c>Anchor + index × Interval</c>, month ends truncated.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative, or the date is past the year 9999.</exception>
    public LocalDateTime LocalStartOf(int index)
    {
        CheckIndex(index);
        return LocalStartOfCore(index);
    }

    /// <summary>First instant of period <paramref name="index"/>: its local start resolved leniently in <see cref="Zone"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative, or the date is past the year 9999.</exception>
    public Instant StartOf(int index)
    {
        CheckIndex(index);
        return Resolve(LocalStartOfCore(index));
    }

    /// <summary>Period <paramref name="index"/>: <c>[StartOf(index), StartOf(index + 1))</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative, or the period ends past the year 9999.</exception>
    /// <exception cref="EmptyBillingPeriodException">The period lies in a local day the zone skipped (see the type's remarks).</exception>
    public BillingPeriod PeriodAt(int index)
    {
        CheckIndex(index);
        var start = Resolve(LocalStartOfCore(index));
        var end = Resolve(LocalStartOfCore((long)index + 1));
        if (end <= start)
        {
            throw new EmptyBillingPeriodException(this, index, start);
        }

        return new BillingPeriod(index, start, end);
    }

    /// <summary>
    /// The period with <c>Start &lt;= instant &lt; End</c>; an instant exactly at a period's end belongs to the next one.
    /// Runs in constant time whatever the index (estimated from the elapsed time, then corrected by single steps).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="instant"/> is before the start of period 0, or in a
    /// period that ends past the year 9999.</exception>
    public BillingPeriod PeriodContaining(Instant instant)
    {
        if (instant < _firstStart)
        {
            throw new ArgumentOutOfRangeException(
                nameof(instant),
                instant,
                $"{instant} is before the first period of the schedule {this}, which starts at {_firstStart}; periods count forward from the anchor only, so use a schedule anchored earlier.");
        }

        // Nested floor divisions equal one division by the product and cannot overflow.
        long estimate = (instant - _firstStart).BclCompatibleTicks / Interval.ApproximateUnitTicks / Interval.Count;
        int index = (int)Math.Min(estimate, int.MaxValue - 1);

        // The estimate is off by at most a step or two (uneven months, DST); starts never decrease with the index.
        var start = Resolve(LocalStartOfCore(index));
        while (start > instant)
        {
            index--;
            start = Resolve(LocalStartOfCore(index));
        }

        var end = Resolve(LocalStartOfCore((long)index + 1));
        while (end <= instant)
        {
            index++;
            start = end;
            end = Resolve(LocalStartOfCore((long)index + 1));
        }

        return new BillingPeriod(index, start, end);
    }

    /// <summary>
    /// The period that follows <paramref name="previous"/>: it starts exactly at <paramref name="previous"/>'s end (so
    /// periods keep tiling time) and ends at the first start of this schedule after that, skipping at least one index.
    /// When <paramref name="previous"/> is a period of this schedule, the result is <c>PeriodAt(previous.Index + 1)</c>
    /// (or the next non-empty period, see the type's remarks). When the schedule changed after <paramref name="previous"/>
    /// began (e.g. the customer moved to another time zone), it is the transition period that brings the boundaries back
    /// onto this schedule's local times, a little shorter or longer than a full period.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The period would end past the year 9999.</exception>
    public BillingPeriod PeriodAfter(BillingPeriod previous)
    {
        long index = (long)Math.Max(previous.Index, 0) + 2;
        var start = previous.End;
        var end = Resolve(LocalStartOfCore(index));
        if (end <= start)
        {
            // The schedule moved: jump to the index whose start follows the previous end, then step forward.
            var containing = start < _firstStart ? null : (BillingPeriod?)PeriodContaining(start);
            if (containing is { } c && c.Index + 1L > index)
            {
                index = c.Index + 1L;
                end = c.End;
            }

            while (end <= start)
            {
                index++;
                end = Resolve(LocalStartOfCore(index));
            }
        }

        return new BillingPeriod((int)(index - 1), start, end);
    }

    /// <summary>The same anchor and interval in <paramref name="zone"/> (the local times stay, the instants move).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="zone"/> is null.</exception>
    public BillingSchedule WithZone(DateTimeZone zone) => new(Anchor, zone, Interval);

    /// <summary>True when both schedules have the same anchor, zone id and interval.</summary>
    public bool Equals([NotNullWhen(true)] BillingSchedule? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Anchor == other.Anchor && Interval == other.Interval && string.Equals(Zone.Id, other.Zone.Id, StringComparison.Ordinal)));

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => Equals(obj as BillingSchedule);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Anchor, Interval, StringComparer.Ordinal.GetHashCode(Zone.Id));

    /// <summary>E.g. <c>P1M from 2024-01-31T00:00:00 Europe/London</c>.</summary>
    public override string ToString() => $"{Interval} from {LocalDateTimePattern.ExtendedIso.Format(Anchor)} {Zone.Id}";

    private static void CheckIndex(int index)
    {
        if (index < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"A billing period index must be 0 or more, but was {index}; period 0 starts at the anchor.");
        }
    }

    private Instant Resolve(LocalDateTime local) => Zone.ResolveLocal(local, Resolvers.LenientResolver).ToInstant();

    private LocalDateTime LocalStartOfCore(long index)
    {
        long units = Interval.Count * index;
        if (units <= int.MaxValue)
        {
            try
            {
                int n = (int)units;
                return Interval.Unit switch
                {
                    IntervalUnit.Day => Anchor.PlusDays(n),
                    IntervalUnit.Week => Anchor.PlusWeeks(n),
                    IntervalUnit.Month => Anchor.PlusMonths(n),
                    _ => Anchor.PlusYears(n),
                };
            }
            catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
            {
                // Reported below with the index, which is what the caller can change.
            }
        }

        throw new ArgumentOutOfRangeException(
            "index",
            index,
            $"Period {index} of the schedule {this} would start after 9999-12-31, the last date NodaTime supports; billing periods cannot reach that far, so use a smaller index.");
    }
}
