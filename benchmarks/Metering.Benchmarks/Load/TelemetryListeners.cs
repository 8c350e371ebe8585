using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Metering.Benchmarks.Load;

/// <summary>
/// What an observability pipeline attaches to Metering: a MeterListener on every instrument of the <c>Metering</c>
/// meter and an ActivityListener that records every <c>Metering</c> span. The callbacks only count, so the run measures
/// what Metering pays for producing the measurements and spans, not an exporter's cost.
/// </summary>
internal sealed class TelemetryListeners : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private long _measurements;
    private long _spans;

    public TelemetryListeners()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeteringDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.SetMeasurementEventCallback<int>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.SetMeasurementEventCallback<decimal>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.Start();

        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MeteringDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref _spans),
        };
        ActivitySource.AddActivityListener(_activities);
    }

    /// <summary>Measurements received.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    /// <summary>Spans stopped.</summary>
    public long Spans => Interlocked.Read(ref _spans);

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }
}
