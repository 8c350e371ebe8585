namespace Metering.Testing;

/// <summary>
/// A NodaTime <see cref="IClock"/> for tests that only moves when told to. Thread-safe. Advance it by
/// a duration, to an instant, or (with <see cref="TestMetering"/>) to the end of a billing period.
/// </summary>
public sealed class TestClock : IClock
{
    private long _ticks;

    /// <summary>Creates a clock showing <paramref name="start"/>.</summary>
    public TestClock(Instant start) => _ticks = start.ToUnixTimeTicks();

    /// <summary>The instant the clock shows.</summary>
    public Instant Now => Instant.FromUnixTimeTicks(Interlocked.Read(ref _ticks));

    /// <inheritdoc/>
    public Instant GetCurrentInstant() => Now;

    /// <summary>Moves the clock forward by <paramref name="duration"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The duration is negative: billing time never runs backwards.</exception>
    public Instant Advance(Duration duration)
    {
        if (duration < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A test clock only moves forward; use a non-negative duration.");
        }

        return Instant.FromUnixTimeTicks(Interlocked.Add(ref _ticks, duration.BclCompatibleTicks));
    }

    /// <summary>Moves the clock to <paramref name="instant"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="instant"/> is before the clock's now.</exception>
    public Instant AdvanceTo(Instant instant)
    {
        var now = Now;
        if (instant < now)
        {
            throw new ArgumentOutOfRangeException(nameof(instant), instant, $"A test clock only moves forward; it shows {now} already.");
        }

        Interlocked.Exchange(ref _ticks, instant.ToUnixTimeTicks());
        return instant;
    }
}
