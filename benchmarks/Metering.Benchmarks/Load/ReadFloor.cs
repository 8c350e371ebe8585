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

/// <summary>Times <paramref name="reads"/> calls of <paramref name="read"/>, one at a time, after 500 untimed ones.</summary>
internal static class ReadFloorTiming
{
    public static async ValueTask<LatencySummary> TimeAsync(int reads, Func<CancellationToken, ValueTask> read, CancellationToken cancellationToken)
    {
        for (int i = 0; i < Math.Min(500, reads); i++)
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
