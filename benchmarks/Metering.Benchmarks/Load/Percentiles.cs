using System.Diagnostics;

namespace Metering.Benchmarks.Load;

/// <summary>Latency percentiles from raw <see cref="Stopwatch.GetTimestamp"/> differences.</summary>
public readonly record struct LatencySummary(long Count, double P50Microseconds, double P99Microseconds, double MaxMicroseconds)
{
    /// <summary>Sorts the samples in place and reads the nearest-rank percentiles.</summary>
    public static LatencySummary FromTicks(long[] samples)
    {
        if (samples.Length == 0)
        {
            return default;
        }

        Array.Sort(samples);
        return new LatencySummary(samples.Length, ToMicroseconds(Rank(samples, 0.50)), ToMicroseconds(Rank(samples, 0.99)), ToMicroseconds(samples[^1]));
    }

    /// <summary>All producers' samples in one array.</summary>
    public static long[] Concat(IReadOnlyList<long[]> perProducer, IReadOnlyList<int> counts)
    {
        var all = new long[counts.Sum()];
        int offset = 0;
        for (int i = 0; i < perProducer.Count; i++)
        {
            Array.Copy(perProducer[i], 0, all, offset, counts[i]);
            offset += counts[i];
        }

        return all;
    }

    private static long Rank(long[] sorted, double percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double ToMicroseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
