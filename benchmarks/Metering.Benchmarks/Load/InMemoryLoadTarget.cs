using System.Diagnostics;

namespace Metering.Benchmarks.Load;

/// <summary>
/// The in-memory store. Its raw ceiling appends the records to one <see cref="List{T}"/> under one lock (one lock
/// acquisition per batch), which is what any in-process store must at least do, without validation, idempotency,
/// attribution or aggregates.
/// </summary>
public sealed class InMemoryLoadTarget : ILoadTarget
{
    /// <inheritdoc/>
    public string Name => "memory";

    /// <inheritdoc/>
    public string RawCeilingDescription => "plain List<UsageRecord>.Add under one lock (no validation, dedupe or aggregates)";

    /// <inheritdoc/>
    public void ConfigureMetering(MeteringBuilder builder) => builder.UseInMemoryStore();

    /// <inheritdoc/>
    public async ValueTask<RawCeilingResult> RawInsertCeilingAsync(IReadOnlyList<UsageRecord[]> recordsPerProducer, int batchSize, CancellationToken cancellationToken)
    {
        var gate = new Lock();
        long total = recordsPerProducer.Sum(r => (long)r.Length);
        var list = new List<UsageRecord>();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var producers = recordsPerProducer.Select(records => Task.Run(async () =>
        {
            await start.Task.ConfigureAwait(false);
            for (int i = 0; i < records.Length; i += batchSize)
            {
                int end = Math.Min(records.Length, i + batchSize);
                lock (gate)
                {
                    for (int j = i; j < end; j++)
                    {
                        list.Add(records[j]);
                    }
                }
            }
        }, cancellationToken)).ToArray();

        long started = Stopwatch.GetTimestamp();
        start.SetResult();
        await Task.WhenAll(producers).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (list.Count != total)
        {
            throw new InvalidOperationException($"The raw ceiling stored {list.Count} of {total} records.");
        }

        return new RawCeilingResult(total, elapsed);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
