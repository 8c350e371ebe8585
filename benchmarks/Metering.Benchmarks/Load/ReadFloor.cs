using System.Diagnostics;

namespace Metering.Benchmarks.Load;

/// <summary>
/// A store whose load target also measures the read floor: the latency of the plainest query on the same connection
/// pool settings, timed exactly like the reads (one at a time, after a warm-up), so the read figures can be set against
/// what one round trip costs on the machine.
/// </summary>
public interface IReadFloor
{
    /// <summary>What the read floor measures, as printed in the report.</summary>
    string ReadFloorDescription { get; }

    /// <summary>Runs <paramref name="reads"/> timed plain queries (after a warm-up) and returns their latency.</summary>
    ValueTask<LatencySummary> ReadFloorAsync(int reads, CancellationToken cancellationToken);
}

/// <summary>
/// Times <paramref name="reads"/> calls of <paramref name="read"/>, one at a time, after an untimed warm-up of the same
/// length as the reads' (<see cref="WarmingUp"/>).
/// </summary>
internal static class ReadFloorTiming
{
    /// <summary>The least time reads are warmed up before the timed ones.</summary>
    public static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Whether a warm-up that made <paramref name="done"/> calls since <paramref name="started"/> goes on: at least 500
    /// calls (fewer when fewer are timed) and at least <see cref="WarmUpTime"/>, so the timed calls run the JIT's final
    /// (tier-1) code as a long-running host does; 500 calls alone take ~0.1 s, before tiered compilation has replaced
    /// the first code.
    /// </summary>
    public static bool WarmingUp(int done, int reads, long started) =>
        done < Math.Min(500, reads) || Stopwatch.GetElapsedTime(started) < WarmUpTime;

    public static async ValueTask<LatencySummary> TimeAsync(int reads, Func<CancellationToken, ValueTask> read, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; WarmingUp(i, reads, started); i++)
        {
            await read(cancellationToken).ConfigureAwait(false);
        }

        var samples = new long[reads];
        for (int i = 0; i < reads; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            await read(cancellationToken).ConfigureAwait(false);
            samples[i] = Stopwatch.GetTimestamp() - t0;
        }

        return LatencySummary.FromTicks(samples);
    }
}
