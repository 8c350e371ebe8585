using System.Diagnostics.Metrics;

namespace Metering.Sqlite;

/// <summary>The SQLite store's instruments, on the <c>Metering</c> meter (listed in README).</summary>
internal sealed class SqliteTelemetry : IDisposable
{
    private readonly System.Diagnostics.Metrics.Meter? _ownedMeter;

    private SqliteTelemetry(System.Diagnostics.Metrics.Meter meter, bool owned, SqliteMeteringStore store)
    {
        _ownedMeter = owned ? meter : null;
        // Observed only when a listener collects: reading the channel count costs nothing on the write path.
        meter.CreateObservableGauge(
            "metering.sqlite.writer.queue_depth",
            () => new Measurement<int>(store.Writer?.QueueDepth ?? 0, new KeyValuePair<string, object?>("metering.store", store.DataSource)),
            "{request}",
            "Write requests waiting for the SQLite store's single writer.");
    }

    /// <summary>Adds the store's instruments to the <c>Metering</c> meter from <paramref name="meterFactory"/> (or an owned one).</summary>
    public static SqliteTelemetry Register(SqliteMeteringStore store, IMeterFactory? meterFactory)
    {
        var options = new MeterOptions(MeteringDiagnostics.MeterName) { Version = typeof(MeteringDiagnostics).Assembly.GetName().Version?.ToString() };
        return meterFactory is null
            ? new SqliteTelemetry(new System.Diagnostics.Metrics.Meter(options), true, store)
            : new SqliteTelemetry(meterFactory.Create(options), false, store);
    }

    public void Dispose() => _ownedMeter?.Dispose();
}
