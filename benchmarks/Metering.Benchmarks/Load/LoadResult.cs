using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Metering.Benchmarks.Load;

/// <summary>The figures of one load run, printed as a table and as one JSON line.</summary>
public sealed record LoadResult(
    string Store,
    LoadOptions Options,
    TimeSpan SetupElapsed,
    RecordRun Recorded,
    double AllocatedBytesPerRecord,
    (int Gen0, int Gen1, int Gen2) Collections,
    AllocationAudit Allocations,
    RawCeilingResult Raw,
    string RawDescription,
    LatencySummary CurrentReads,
    LatencySummary PreviewReads,
    LatencySummary AllReads,
    int ClosedSubscriptions,
    TimeSpan CloseElapsed,
    EventDeliveryResult Events,
    IReadOnlyList<string> Problems)
{
    /// <summary>Ours over the raw ceiling.</summary>
    public double RatioToRaw => Recorded.RecordsPerSecond / Raw.RecordsPerSecond;

    /// <summary>The group-commit ceiling (same ack contract as ours), or null when the store has none (memory).</summary>
    public CeilingRun? GroupCommit { get; init; }

    /// <summary>What the group-commit ceiling measures.</summary>
    public string? GroupCommitDescription { get; init; }

    /// <summary>The read floor (one plain round trip, timed like the reads), or null when the store has none.</summary>
    public LatencySummary? ReadFloor { get; init; }

    /// <summary>What the read floor measures.</summary>
    public string? ReadFloorDescription { get; init; }

    /// <summary>This process's CPU time (user + kernel, all threads) over the timed recorder run.</summary>
    public TimeSpan RecordedCpu { get; init; }

    /// <summary>The close ceiling (the close's rows written the plainest way), or null when the store has none (memory).</summary>
    public CloseCeilingRun? CloseCeiling { get; init; }

    /// <summary>What the close ceiling measures.</summary>
    public string? CloseCeilingDescription { get; init; }

    /// <summary>SQLite: bytes of the write-ahead log file right after the close; null for other stores.</summary>
    public long? LogFileBytes { get; init; }

    /// <summary>Our close's invoices/s over the close ceiling's, or null without one.</summary>
    public double? CloseRatioToCeiling => CloseCeiling is { } c ? c.Elapsed / CloseElapsed : null;

    /// <summary>Ours over the group-commit ceiling, or null without one.</summary>
    public double? RatioToGroupCommit => GroupCommit is { } g ? Recorded.RecordsPerSecond / g.RecordsPerSecond : null;

    /// <summary>Process CPU microseconds per accepted record in the timed recorder run (a server process is not counted).</summary>
    public double CpuMicrosecondsPerRecord => Recorded.Accepted == 0 ? 0 : RecordedCpu.TotalMicroseconds / Recorded.Accepted;

    /// <summary>The human-readable table.</summary>
    public string ToTable()
    {
        var o = Options;
        var text = new StringBuilder();
        void Row(string what, string value, string? note = null) =>
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {what,-34} | {value,20} | {note ?? string.Empty}"));

        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Metering load run: store={Store}, producers={o.Producers}, records={o.Records:N0}, batch={o.Batch}, subscriptions={o.Subscriptions:N0}{(o.Quick ? " (quick)" : string.Empty)}, {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
        text.AppendLine(new string('-', 100));
        Row("setup (customers + subscriptions)", Fmt($"{SetupElapsed.TotalSeconds:F2} s"));
        Row("recorder: accepted records/s", Fmt($"{Recorded.RecordsPerSecond:N0}"), Fmt($"{Recorded.Accepted:N0} records in {Recorded.Elapsed.TotalSeconds:F2} s"));
        Row("recorder: ack latency p50", Fmt($"{Recorded.Ack.P50Microseconds:F1} us"), o.Batch == 1 ? "per RecordAsync call" : Fmt($"per RecordBatchAsync call of {o.Batch}"));
        Row("recorder: ack latency p99", Fmt($"{Recorded.Ack.P99Microseconds:F1} us"), Fmt($"max {Recorded.Ack.MaxMicroseconds:F0} us"));
        Row("recorder: allocated per record", Fmt($"{AllocatedBytesPerRecord:F0} B"), Fmt($"all threads, store growth included; GCs gen0/1/2: {Collections.Gen0}/{Collections.Gen1}/{Collections.Gen2}"));
        Row("recorder: calls allocating 0 B", Fmt($"{Allocations.ZeroAllocationShare:P2}"), Fmt($"one thread, {Allocations.Calls:N0} calls: median {Allocations.MedianBytes} B, mean {Allocations.MeanBytes:F0} B (store growth)"));
        Row("raw ceiling: records/s", Fmt($"{Raw.RecordsPerSecond:N0}"), RawDescription);
        Row("ratio ours / raw", Fmt($"{RatioToRaw:P1}"));
        if (GroupCommit is { } g)
        {
            Row("group-commit ceiling: records/s", Fmt($"{g.RecordsPerSecond:N0}"), Fmt($"mean group {g.MeanGroup:F1}, {g.CpuMicrosecondsPerRecord:F1} us CPU/record; {GroupCommitDescription}"));
            Row("ratio ours / group commit", Fmt($"{RatioToGroupCommit:P1}"));
        }
        else
        {
            Row("group-commit ceiling", "n/a", "no durable medium to commit to");
        }

        Row("recorder: process CPU per record", Fmt($"{CpuMicrosecondsPerRecord:F2} us"), Fmt($"{RecordedCpu.TotalSeconds:F2} s CPU over {Recorded.Elapsed.TotalSeconds:F2} s wall; this process only"));
        Row("read GetCurrentAsync p50 / p99", Fmt($"{CurrentReads.P50Microseconds:F1} / {CurrentReads.P99Microseconds:F1} us"), Fmt($"{CurrentReads.Count:N0} reads"));
        Row("read PreviewAsync p50 / p99", Fmt($"{PreviewReads.P50Microseconds:F1} / {PreviewReads.P99Microseconds:F1} us"), Fmt($"{PreviewReads.Count:N0} reads"));
        Row("read both p50 / p99", Fmt($"{AllReads.P50Microseconds:F1} / {AllReads.P99Microseconds:F1} us"));
        if (ReadFloor is { } floor)
        {
            Row("read floor p50 / p99", Fmt($"{floor.P50Microseconds:F1} / {floor.P99Microseconds:F1} us"), Fmt($"{floor.Count:N0} reads; {ReadFloorDescription}"));
        }
        Row("period close", Fmt($"{CloseElapsed.TotalSeconds:F2} s"), Fmt($"{ClosedSubscriptions:N0} subscriptions x 3 charges ({ClosedSubscriptions / CloseElapsed.TotalSeconds:N0} invoices/s)"));
        if (CloseCeiling is { } closeRun)
        {
            Row("close ceiling", Fmt($"{closeRun.Elapsed.TotalSeconds:F2} s"), Fmt($"{closeRun.InvoicesPerSecond:N0} invoices/s, {closeRun.Events:N0} events, {closeRun.BytesPerInvoice:N0} document bytes per invoice; {CloseCeilingDescription}"));
            Row("ratio close ours / ceiling", Fmt($"{CloseRatioToCeiling:P1}"));
        }

        if (LogFileBytes is { } logBytes)
        {
            Row("write-ahead log file", Fmt($"{logBytes / 1e6:F1} MB"), "after the close; kept near SqliteStoreOptions.WalSizeLimit (64 MB by default)");
        }

        Row("events: dispatcher events/s", Fmt($"{Events.EventsPerSecond:N0}"), Fmt($"{Events.Backlog:N0} events to a no-op handler in {Events.DrainElapsed.TotalSeconds:F2} s"));
        Row("events: delivery lag p50 / p99", Fmt($"{Events.Lag.P50Microseconds / 1000:F1} / {Events.Lag.P99Microseconds / 1000:F1} ms"), Fmt($"commit to handler, {Events.Lag.Count:N0} events one at a time, default poll interval"));
        text.AppendLine(new string('-', 100));
        text.AppendLine(Problems.Count == 0 ? "checks: every record accepted, every subscription invoiced once, invoiced events = recorded events" : "CHECKS FAILED: " + string.Join("; ", Problems));
        return text.ToString();
    }

    /// <summary>The machine-readable line, with exactly the documented keys.</summary>
    public string ToJsonLine()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("store", Store);
            json.WriteNumber("records_per_s", Math.Round(Recorded.RecordsPerSecond));
            json.WriteNumber("raw_records_per_s", Math.Round(Raw.RecordsPerSecond));
            json.WriteNumber("ratio_to_raw", Math.Round(RatioToRaw, 4));
            json.WriteNumber("ack_p50_us", Math.Round(Recorded.Ack.P50Microseconds, 2));
            json.WriteNumber("ack_p99_us", Math.Round(Recorded.Ack.P99Microseconds, 2));
            json.WriteNumber("close_subscriptions", ClosedSubscriptions);
            json.WriteNumber("close_s", Math.Round(CloseElapsed.TotalSeconds, 3));
            json.WriteNumber("read_p50_us", Math.Round(AllReads.P50Microseconds, 2));
            json.WriteNumber("read_p99_us", Math.Round(AllReads.P99Microseconds, 2));
            json.WriteNumber("events_per_s", Math.Round(Events.EventsPerSecond));
            json.WriteNumber("event_lag_p50_ms", Math.Round(Events.Lag.P50Microseconds / 1000, 2));
            json.WriteNumber("event_lag_p99_ms", Math.Round(Events.Lag.P99Microseconds / 1000, 2));
            json.WriteBoolean("listener", Options.Listener);
            if (GroupCommit is { } g)
            {
                json.WriteNumber("group_commit_records_per_s", Math.Round(g.RecordsPerSecond));
                json.WriteNumber("ratio_to_group_commit", Math.Round(RatioToGroupCommit!.Value, 4));
                json.WriteNumber("group_commit_mean_group", Math.Round(g.MeanGroup, 1));
                json.WriteNumber("group_commit_cpu_us_per_record", Math.Round(g.CpuMicrosecondsPerRecord, 2));
            }
            else
            {
                json.WriteNull("group_commit_records_per_s");
                json.WriteNull("ratio_to_group_commit");
                json.WriteNull("group_commit_mean_group");
                json.WriteNull("group_commit_cpu_us_per_record");
            }

            json.WriteNumber("cpu_us_per_record", Math.Round(CpuMicrosecondsPerRecord, 2));
            if (ReadFloor is { } readFloor)
            {
                json.WriteNumber("read_floor_p50_us", Math.Round(readFloor.P50Microseconds, 2));
                json.WriteNumber("read_floor_p99_us", Math.Round(readFloor.P99Microseconds, 2));
            }
            else
            {
                json.WriteNull("read_floor_p50_us");
                json.WriteNull("read_floor_p99_us");
            }

            if (CloseCeiling is { } close)
            {
                json.WriteNumber("close_ceiling_s", Math.Round(close.Elapsed.TotalSeconds, 3));
                json.WriteNumber("ratio_close_to_ceiling", Math.Round(CloseRatioToCeiling!.Value, 4));
                json.WriteNumber("close_bytes_per_invoice", Math.Round(close.BytesPerInvoice));
            }
            else
            {
                json.WriteNull("close_ceiling_s");
                json.WriteNull("ratio_close_to_ceiling");
                json.WriteNull("close_bytes_per_invoice");
            }

            if (LogFileBytes is { } logFile)
            {
                json.WriteNumber("log_file_bytes", logFile);
            }
            else
            {
                json.WriteNull("log_file_bytes");
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Fmt(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
