using System.Collections.Concurrent;

namespace Metering;

/// <summary>
/// In-process retry state of failing work items (subscriptions, ledgers): consecutive failures and when each may be
/// tried again, doubling from <c>initial</c> up to <c>max</c>. Forgotten on success; a restart retries at once.
/// </summary>
internal sealed class RetryBackoff(Func<(Duration Initial, Duration Max)> delays)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many items are waiting for a retry.</summary>
    public int Count => _entries.Count;

    /// <summary>True when <paramref name="key"/> failed before and its backoff has not passed at <paramref name="now"/>.</summary>
    public bool IsDeferred(string key, Instant now) => _entries.TryGetValue(key, out var entry) && entry.RetryAfter > now;

    /// <summary>Records one more failure of <paramref name="key"/>; returns the attempt count and the next retry instant.</summary>
    public Entry RecordFailure(string key, Instant now)
    {
        var (initial, max) = delays();
        return _entries.AddOrUpdate(
            key,
            _ => new Entry(1, now + Min(initial, max)),
            (_, previous) => new Entry(previous.Attempts + 1, now + DelayFor(previous.Attempts + 1, initial, max)));
    }

    /// <summary>Forgets <paramref name="key"/> after it succeeded; returns how many attempts had failed before (0 when none).</summary>
    public int Clear(string key) => !_entries.IsEmpty && _entries.TryRemove(key, out var entry) ? entry.Attempts : 0;

    private static Duration DelayFor(int attempts, Duration initial, Duration max)
    {
        // Doubling saturates at max; compare by division so the arithmetic cannot overflow.
        long initialNanos = Math.Max(initial.ToInt64Nanoseconds(), 1);
        long maxNanos = max.ToInt64Nanoseconds();
        long factor = 1L << Math.Min(attempts - 1, 62);
        return factor >= maxNanos / initialNanos ? max : Duration.FromNanoseconds(initialNanos * factor);
    }

    private static Duration Min(Duration a, Duration b) => a < b ? a : b;

    /// <summary>The retry state of one item.</summary>
    internal readonly record struct Entry(int Attempts, Instant RetryAfter);
}
