namespace Metering;

/// <summary>
/// One billing period of a subscription: the half-open interval <c>[Start, End)</c> of instants,
/// and its index counted from the subscription's anchor (period 0 starts at the anchor).
/// An event exactly at <see cref="End"/> belongs to the next period.
/// </summary>
/// <remarks>The default value is period 0 with both bounds at the Unix epoch (an empty period).</remarks>
public readonly record struct BillingPeriod
{
    /// <summary>Creates a period.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="end"/> is not after <paramref name="start"/>.</exception>
    public BillingPeriod(int index, Instant start, Instant end)
    {
        if (end <= start)
        {
            throw new ArgumentOutOfRangeException(nameof(end), end, "The end of a billing period must be later than its start.");
        }

        Index = index;
        Start = start;
        End = end;
    }

    /// <summary>Position of the period counted from the anchor: 0 starts at the anchor.</summary>
    public int Index { get; }

    /// <summary>First instant inside the period (inclusive).</summary>
    public Instant Start { get; }

    /// <summary>First instant after the period (exclusive).</summary>
    public Instant End { get; }

    /// <summary>Length of the period (varies with month lengths and DST changes).</summary>
    public Duration Duration => End - Start;

    /// <summary>True when <paramref name="instant"/> is in <c>[Start, End)</c>.</summary>
    public bool Contains(Instant instant) => instant >= Start && instant < End;

    /// <summary>The period as a NodaTime <see cref="Interval"/> (also half-open).</summary>
    public Interval ToInterval() => new(Start, End);

    /// <summary>
    /// The share of this period covered by <c>[from, to)</c>, for prorating fees: the length of the overlap of
    /// <c>[from, to)</c> with the period divided by the period's <see cref="Duration"/>, from 0 to 1.
    /// The range is clipped to the period; an empty or reversed range (<paramref name="from"/> &gt;= <paramref name="to"/>)
    /// or one outside the period gives 0, and one covering the whole period gives exactly 1.
    /// </summary>
    /// <remarks>Computed from exact nanosecond counts; the quotient is exact when it terminates within decimal's
    /// 28 significant digits (15 of 30 days is exactly 0.5) and rounded to 28 digits otherwise (10 of 30 days).</remarks>
    public decimal FractionCovered(Instant from, Instant to)
    {
        var start = from > Start ? from : Start;
        var end = to < End ? to : End;
        if (end <= start)
        {
            return 0m;
        }

        return TotalNanoseconds(end - start) / TotalNanoseconds(End - Start);
    }

    /// <inheritdoc/>
    public override string ToString() => $"#{Index} [{Start}, {End})";

    // Days and nanosecond-of-day keep the count exact for any duration Instant allows (no Int64 overflow).
    private static decimal TotalNanoseconds(Duration duration) =>
        (duration.Days * 86_400_000_000_000m) + duration.NanosecondOfDay;
}
