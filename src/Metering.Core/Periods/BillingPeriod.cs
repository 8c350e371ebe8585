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

    /// <inheritdoc/>
    public override string ToString() => $"#{Index} [{Start}, {End})";
}
