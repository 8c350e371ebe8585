using System.Diagnostics;
using System.Globalization;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metering.Benchmarks.Load;

/// <summary>
/// Drives one store through the phases of a billing month: subscribe S customers; P producers record R records
/// concurrently (timed, with per-call ack latency); the raw ceiling of the same records; reads of current usage and
/// invoice previews; then the period close of every subscription. Checks that every record was accepted and every
/// subscription invoiced, so a fast but wrong run does not pass.
/// </summary>
public sealed class LoadRunner(LoadOptions options, ILoadTarget target, TextWriter progress)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>Runs every phase and returns the figures.</summary>
    public async Task<LoadResult> RunAsync(CancellationToken cancellationToken)
    {
        using var listeners = options.Listener ? new TelemetryListeners() : null;
        var events = new EventDeliveryPhase();
        await using var metering = LoadPlan.Create(Start, b =>
        {
            target.ConfigureMetering(b);
            events.Register(b);
        });
        var grace = metering.Services.GetRequiredService<IOptions<MeteringOptions>>().Value.GracePeriod;

        Log($"store {target.Name}: subscribing {options.Subscriptions:N0} customers to plan '{LoadPlan.PlanKey}' (3 charges)");
        long setupStarted = Stopwatch.GetTimestamp();
        await LoadPlan.AddCustomersAsync(metering.Subscriptions, options.Subscriptions, parallelism: Environment.ProcessorCount, cancellationToken).ConfigureAwait(false);
        var setupElapsed = Stopwatch.GetElapsedTime(setupStarted);
        Log($"  done in {setupElapsed.TotalSeconds:F2} s");

        // Records are stamped during the first day of the period, up to an hour before the clock.
        metering.Clock.Advance(Duration.FromDays(1));
        var warmup = BuildRecords(metering.Clock.Now, Math.Max(options.Producers, options.Records / 20), "w");
        var records = BuildRecords(metering.Clock.Now, options.Records, "r");

        Log($"warm-up: {warmup.Sum(r => r.Length):N0} records");
        await RecordAsync(metering.Recorder, warmup, options.Batch, cancellationToken).ConfigureAwait(false);

        Log($"recording {options.Records:N0} records with {options.Producers} producers, {(options.Batch == 1 ? "RecordAsync" : $"RecordBatchAsync of {options.Batch}")}");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var recorded = await RecordAsync(metering.Recorder, records, options.Batch, cancellationToken).ConfigureAwait(false);
        var recordedCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gcs = (GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
        Log($"  {recorded.Accepted:N0} accepted in {recorded.Elapsed.TotalSeconds:F2} s");
        if (listeners is not null)
        {
            Log($"  listeners received {listeners.Measurements:N0} measurements and {listeners.Spans:N0} spans so far");
        }

        var audit = BuildRecords(metering.Clock.Now, Math.Min(100_000, Math.Max(options.Producers, options.Records / 10)), "a");
        Log($"allocation audit: {audit.Sum(r => r.Length):N0} RecordAsync calls on one thread");
        var allocations = await AuditAllocationsAsync(metering.Recorder, audit, cancellationToken).ConfigureAwait(false);

        Log($"raw ceiling: {target.RawCeilingDescription}");
        var raw = await target.RawInsertCeilingAsync(records, options.Batch, cancellationToken).ConfigureAwait(false);

        CeilingRun? groupCommit = null;
        if (target is IGroupCommitCeiling ceiling)
        {
            Log($"group-commit ceiling: {ceiling.GroupCommitDescription}");
            groupCommit = await ceiling.GroupCommitCeilingAsync(records, cancellationToken).ConfigureAwait(false);
            Log($"  {groupCommit.Value.Records:N0} records in {groupCommit.Value.Elapsed.TotalSeconds:F2} s, {groupCommit.Value.Groups:N0} groups");
        }

        Log($"reads: {options.Reads:N0} (GetCurrentAsync and PreviewAsync, alternating), after a warm-up of at least 500 pairs and {ReadFloorTiming.WarmUpTime.TotalSeconds:F0} s");
        var reads = await ReadAsync(metering, cancellationToken).ConfigureAwait(false);
        LatencySummary? readFloor = null;
        if (target is IReadFloor floor)
        {
            Log($"read floor: {floor.ReadFloorDescription}");
            readFloor = await floor.ReadFloorAsync(options.Reads, cancellationToken).ConfigureAwait(false);
        }

        var periodEnd = (await metering.Subscriptions.GetAsync(LoadPlan.SubscriptionId(0), cancellationToken).ConfigureAwait(false))!.CurrentPeriod.End;
        metering.Clock.AdvanceTo(periodEnd + grace);
        Log($"period close: {options.Subscriptions:N0} subscriptions x {LoadPlan.MeterKeys.Count} charges");
        var closeCeiling = target as ICloseCeiling;
        if (closeCeiling is not null)
        {
            await closeCeiling.MarkBeforeCloseAsync(cancellationToken).ConfigureAwait(false);
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long closeStarted = Stopwatch.GetTimestamp();
        var report = await metering.PeriodCloser.CloseDueAsync(cancellationToken).ConfigureAwait(false);
        var closeElapsed = Stopwatch.GetElapsedTime(closeStarted);
        Log($"  {report.Invoices.Count:N0} invoices in {closeElapsed.TotalSeconds:F2} s");
        // The SQLite log file never shrinks unless the store restarts the log: after the close it is as large as it got.
        long? logFileBytes = target is SqliteLoadTarget sqlite ? new FileInfo(sqlite.MeteringPath + "-wal") is { Exists: true } log ? log.Length : 0 : null;
        CloseCeilingRun? closeRun = null;
        if (closeCeiling is not null)
        {
            Log($"close ceiling: {closeCeiling.CloseCeilingDescription}");
            closeRun = await closeCeiling.CloseCeilingAsync(cancellationToken).ConfigureAwait(false);
            Log($"  {closeRun.Value.Invoices:N0} invoices and {closeRun.Value.Events:N0} events in {closeRun.Value.Elapsed.TotalSeconds:F2} s, {closeRun.Value.BytesPerInvoice:N0} document bytes per invoice");
        }

        Log("events: the dispatcher drains the log to a no-op handler, then delivers 1,000 grants made one at a time (lag)");
        var delivered = await events.RunAsync(metering, LoadPlan.CustomerId(0), 1_000, cancellationToken).ConfigureAwait(false);
        Log($"  {delivered.Backlog:N0} events in {delivered.DrainElapsed.TotalSeconds:F2} s; lag p99 {delivered.Lag.P99Microseconds / 1000:F1} ms");

        var problems = new List<string>();
        if (listeners is { Measurements: 0 })
        {
            problems.Add("--listener was given but the listeners received no measurement: the comparison would be void");
        }
        long expected = records.Sum(r => (long)r.Length);
        if (recorded.Accepted != expected)
        {
            problems.Add($"{expected - recorded.Accepted:N0} of {expected:N0} records were not accepted (first: {recorded.FirstProblem})");
        }

        if (report.Invoices.Count != options.Subscriptions)
        {
            problems.Add($"the close made {report.Invoices.Count:N0} invoices for {options.Subscriptions:N0} subscriptions");
        }

        decimal invoicedEvents = report.Invoices.Sum(i => i.Content.Lines.Where(l => l.ChargeKey == "events").Sum(l => l.Quantity));
        long expectedEvents = CountEvents(warmup) + CountEvents(records) + CountEvents(audit);
        if (invoicedEvents != expectedEvents)
        {
            problems.Add($"the invoices count {invoicedEvents:N0} events, {expectedEvents:N0} were recorded");
        }

        return new LoadResult(
            target.Name,
            options,
            setupElapsed,
            recorded,
            allocated / (double)expected,
            gcs,
            allocations,
            raw,
            target.RawCeilingDescription,
            reads.Current,
            reads.Preview,
            reads.All,
            report.Invoices.Count,
            closeElapsed,
            delivered,
            problems)
        {
            GroupCommit = groupCommit,
            GroupCommitDescription = (target as IGroupCommitCeiling)?.GroupCommitDescription,
            ReadFloor = readFloor,
            ReadFloorDescription = (target as IReadFloor)?.ReadFloorDescription,
            RecordedCpu = recordedCpu,
            CloseCeiling = closeRun,
            CloseCeilingDescription = closeCeiling?.CloseCeilingDescription,
            LogFileBytes = logFileBytes,
        };
    }

    private UsageRecord[][] BuildRecords(Instant now, int total, string prefix) =>
        BuildRecords(now, total, prefix, options.Producers, options.Subscriptions);

    /// <summary>
    /// <paramref name="total"/> records for <paramref name="producers"/> producers (one array each), keyed
    /// <c>{prefix}{producer}-{index}</c>, spread over <paramref name="subscriptions"/> customers and the three meters.
    /// </summary>
    internal static UsageRecord[][] BuildRecords(Instant now, int total, string prefix, int producers, int subscriptions)
    {
        var perProducer = new UsageRecord[producers][];
        for (int p = 0; p < producers; p++)
        {
            int count = (total / producers) + (p < total % producers ? 1 : 0);
            var mine = new UsageRecord[count];
            for (int j = 0; j < count; j++)
            {
                // Interleaved across producers, so concurrent producers hit different customers.
                long g = p + ((long)j * producers);
                int meter = (int)(g % LoadPlan.MeterKeys.Count);
                mine[j] = new UsageRecord(
                    LoadPlan.CustomerId((int)(g % subscriptions)),
                    LoadPlan.MeterKeys[meter],
                    meter == 1 ? (g % 500) + 0.5m : 1m,
                    now - Duration.FromSeconds(g % 3_600),
                    string.Create(CultureInfo.InvariantCulture, $"{prefix}{p}-{j}"));
            }

            perProducer[p] = mine;
        }

        return perProducer;
    }

    /// <summary>
    /// Bytes the calling thread allocates in each RecordAsync call, one call at a time: separates what the recorder
    /// allocates per record (ideally nothing) from the store's amortized growth (dictionary and list resizes). Exact
    /// for a store that completes synchronously; an asynchronous store's own threads are not counted.
    /// </summary>
    private static async Task<AllocationAudit> AuditAllocationsAsync(IUsageRecorder recorder, UsageRecord[][] recordsPerProducer, CancellationToken cancellationToken)
    {
        var perCall = new long[recordsPerProducer.Sum(r => r.Length)];
        int n = 0;
        foreach (var records in recordsPerProducer)
        {
            foreach (var record in records)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var outcome = await recorder.RecordAsync(record, cancellationToken).ConfigureAwait(false);
                perCall[n++] = GC.GetAllocatedBytesForCurrentThread() - before;
                if (outcome.Kind != UsageOutcomeKind.Accepted)
                {
                    throw new InvalidOperationException($"Allocation audit record '{record.IdempotencyKey}' was not accepted: {outcome}");
                }
            }
        }

        long zero = perCall.LongCount(b => b == 0);
        Array.Sort(perCall);
        return new AllocationAudit(perCall.Length, zero / (double)perCall.Length, perCall[perCall.Length / 2], perCall.Average());
    }

    internal static long CountEvents(UsageRecord[][] records) => records.Sum(r => r.LongCount(x => x.MeterKey == "events"));

    /// <summary>One producer task per array, released together; each awaits every call (RecordAsync, or RecordBatchAsync of <paramref name="batch"/>).</summary>
    internal static async Task<RecordRun> RecordAsync(IUsageRecorder recorder, UsageRecord[][] recordsPerProducer, int batch, CancellationToken cancellationToken)
    {
        var latencies = recordsPerProducer.Select(r => new long[(r.Length + batch - 1) / batch]).ToArray();
        var calls = new int[recordsPerProducer.Length];
        var accepted = new long[recordsPerProducer.Length];
        var problems = new string?[recordsPerProducer.Length];
        var chunks = batch == 1 ? null : recordsPerProducer.Select(r => r.Chunk(batch).ToArray()).ToArray();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var producers = Enumerable.Range(0, recordsPerProducer.Length).Select(p => Task.Run(async () =>
        {
            await start.Task.ConfigureAwait(false);
            var lat = latencies[p];
            long ok = 0;
            if (chunks is null)
            {
                var mine = recordsPerProducer[p];
                for (int i = 0; i < mine.Length; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    var outcome = await recorder.RecordAsync(mine[i], cancellationToken).ConfigureAwait(false);
                    lat[i] = Stopwatch.GetTimestamp() - t0;
                    if (outcome.Kind == UsageOutcomeKind.Accepted)
                    {
                        ok++;
                    }
                    else
                    {
                        problems[p] ??= outcome.ToString();
                    }
                }

                calls[p] = mine.Length;
            }
            else
            {
                var mine = chunks[p];
                for (int i = 0; i < mine.Length; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    var outcomes = await recorder.RecordBatchAsync(mine[i], cancellationToken).ConfigureAwait(false);
                    lat[i] = Stopwatch.GetTimestamp() - t0;
                    foreach (var outcome in outcomes)
                    {
                        if (outcome.Kind == UsageOutcomeKind.Accepted)
                        {
                            ok++;
                        }
                        else
                        {
                            problems[p] ??= outcome.ToString();
                        }
                    }
                }

                calls[p] = mine.Length;
            }

            accepted[p] = ok;
        }, cancellationToken)).ToArray();

        long started = Stopwatch.GetTimestamp();
        start.SetResult();
        await Task.WhenAll(producers).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var ack = LatencySummary.FromTicks(LatencySummary.Concat(latencies, calls));
        return new RecordRun(accepted.Sum(), elapsed, ack, problems.FirstOrDefault(p => p is not null));
    }

    private async Task<(LatencySummary Current, LatencySummary Preview, LatencySummary All)> ReadAsync(TestMetering metering, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        var usage = metering.Usage;
        var invoices = metering.Invoices;
        // Warmed up like the read floor: the timed reads run the JIT's final code, as in a long-running host.
        long warmUpStarted = Stopwatch.GetTimestamp();
        for (int i = 0; ReadFloorTiming.WarmingUp(i, options.Reads, warmUpStarted); i++)
        {
            var id = LoadPlan.SubscriptionId(random.Next(options.Subscriptions));
            _ = await usage.GetCurrentAsync(id, cancellationToken).ConfigureAwait(false);
            _ = await invoices.PreviewAsync(id, cancellationToken).ConfigureAwait(false);
        }

        var current = new long[(options.Reads + 1) / 2];
        var preview = new long[options.Reads / 2];
        for (int i = 0; i < options.Reads; i++)
        {
            var id = LoadPlan.SubscriptionId(random.Next(options.Subscriptions));
            long t0 = Stopwatch.GetTimestamp();
            if (i % 2 == 0)
            {
                _ = await usage.GetCurrentAsync(id, cancellationToken).ConfigureAwait(false);
                current[i / 2] = Stopwatch.GetTimestamp() - t0;
            }
            else
            {
                _ = await invoices.PreviewAsync(id, cancellationToken).ConfigureAwait(false);
                preview[i / 2] = Stopwatch.GetTimestamp() - t0;
            }
        }

        var all = current.Concat(preview).ToArray();
        return (LatencySummary.FromTicks(current), LatencySummary.FromTicks(preview), LatencySummary.FromTicks(all));
    }

    private void Log(string message) => progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[load] {message}"));
}

/// <summary>What single RecordAsync calls allocated on the calling thread.</summary>
/// <param name="Calls">Calls audited.</param>
/// <param name="ZeroAllocationShare">Share of calls that allocated nothing.</param>
/// <param name="MedianBytes">Median bytes per call.</param>
/// <param name="MeanBytes">Mean bytes per call (store growth included).</param>
public readonly record struct AllocationAudit(int Calls, double ZeroAllocationShare, long MedianBytes, double MeanBytes);

/// <summary>One timed recorder run.</summary>
/// <param name="Accepted">Records the store accepted.</param>
/// <param name="Elapsed">Wall time from releasing the producers to the last ack.</param>
/// <param name="Ack">Latency of each recorder call (one record, or one batch).</param>
/// <param name="FirstProblem">The first outcome that was not Accepted, if any.</param>
public sealed record RecordRun(long Accepted, TimeSpan Elapsed, LatencySummary Ack, string? FirstProblem)
{
    /// <summary>Accepted records per second.</summary>
    public double RecordsPerSecond => Accepted / Elapsed.TotalSeconds;
}
