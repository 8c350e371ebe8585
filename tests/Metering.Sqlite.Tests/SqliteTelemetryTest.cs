using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>The SQLite writer's queue depth is observable on the <c>Metering</c> meter.</summary>
public sealed class SqliteTelemetryTest
{
    [Fact]
    public async Task WriterQueueDepth_Observed_GaugeOnTheMeteringMeter()
    {
        using var db = new TempDatabase();
        await using var billing = TestMetering.Create(configureBuilder: b => b.UseSqlite(db.Path).Services.AddMetrics());
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", TestContext.Current.CancellationToken);
        var factory = billing.Services.GetRequiredService<IMeterFactory>();
        var seen = new List<(string Name, string? Unit, int Value, object? Store)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MeteringDiagnostics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => seen.Add((instrument.Name, instrument.Unit, value, tags.ToArray().Single(t => t.Key == "metering.store").Value)));
        listener.Start();

        listener.RecordObservableInstruments();

        var depth = seen.Should().ContainSingle(m => m.Name == "metering.sqlite.writer.queue_depth").Subject;
        depth.Unit.Should().Be("{request}");
        depth.Value.Should().Be(0, "nothing is queued between calls");
        depth.Store.Should().Be(db.Path);
    }
}
