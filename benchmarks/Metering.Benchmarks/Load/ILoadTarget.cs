namespace Metering.Benchmarks.Load;

/// <summary>
/// One store the load runner can drive. Adding a store is one small class: wire Metering to it, and measure the
/// "raw ceiling" (the fastest plain way to put the same records into that store's medium) for the ratio.
/// </summary>
public interface ILoadTarget : IAsyncDisposable
{
    /// <summary>The <c>--store</c> name (memory, sqlite, postgres).</summary>
    string Name { get; }

    /// <summary>What the raw ceiling measures, as printed in the report (say honestly what it skips).</summary>
    string RawCeilingDescription { get; }

    /// <summary>Points Metering at this store (e.g. <c>builder.UseInMemoryStore()</c>).</summary>
    void ConfigureMetering(MeteringBuilder builder);

    /// <summary>
    /// Writes the same records as the recorder run, one array per producer, with the same number of concurrent
    /// producers and the same batch size, the plainest way the medium allows; returns the records written and the
    /// elapsed time. Must not touch the Metering store of the recorder run.
    /// </summary>
    ValueTask<RawCeilingResult> RawInsertCeilingAsync(IReadOnlyList<UsageRecord[]> recordsPerProducer, int batchSize, CancellationToken cancellationToken);
}

/// <summary>What a raw ceiling run wrote and how long it took.</summary>
/// <param name="Records">Records written.</param>
/// <param name="Elapsed">Wall time of the writes (producers started together).</param>
public readonly record struct RawCeilingResult(long Records, TimeSpan Elapsed)
{
    /// <summary>Records per second.</summary>
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;
}
