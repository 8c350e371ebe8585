using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Tests.Diagnostics;

/// <summary>
/// The <c>Metering</c> meter and activity source (README lists the contract). Measurements are captured with a
/// <see cref="MeterListener"/> scoped to this test's <see cref="IMeterFactory"/>, spans by this test's trace id.
/// </summary>
public sealed class TelemetryTest : IDisposable
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly ActivitySource TestSource = new("Metering.Tests.Telemetry");

    private readonly ConcurrentQueue<(string Instrument, string? Unit, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _spans;
    private IMeterFactory? _factory;

    public TelemetryTest()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeteringDiagnostics.MeterName && _factory is not null && ReferenceEquals(instrument.Meter.Scope, _factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Capture(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Capture(i, v, tags));
        _meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Capture(i, v, tags));
        _spans = new ActivityListener
        {
            ShouldListenTo = s => s.Name is MeteringDiagnostics.ActivitySourceName or "Metering.Tests.Telemetry",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_spans);
    }

    private void Capture(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, instrument.Unit, value, copy));
    }

    private TestMetering Create() => TestMetering.Create(
        o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(2.00m)).Build()),
        Start,
        b => b.Services.AddMetrics());

    private async Task<TestMetering> StartAsync()
    {
        var billing = Create();
        _factory = billing.Services.GetRequiredService<IMeterFactory>();
        _meters.Start();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", SubscriptionId = "sub-1" });
        return billing;
    }

    [Fact]
    public async Task Records_AreCountedByOutcomeAndMeter_WithLatencyInSeconds()
    {
        await using var billing = await StartAsync();

        await billing.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 1m, Start, "a"));
        await billing.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 1m, Start, "a"));
        await billing.Recorder.RecordBatchAsync([new UsageRecord("c1", "api_calls", 2m, Start, "b"), new UsageRecord("nobody", "api_calls", 1m, Start, "c")]);

        var records = _measurements.Where(m => m.Instrument == "metering.usage.records").ToList();
        records.Should().HaveCount(4).And.OnlyContain(m => m.Value == 1 && m.Unit == "{record}");
        records.Count(m => Equals(m.Tags["metering.outcome"], "accepted") && Equals(m.Tags["metering.meter"], "api_calls")).Should().Be(2);
        records.Should().ContainSingle(m => Equals(m.Tags["metering.outcome"], "duplicate"));
        var rejected = records.Should().ContainSingle(m => Equals(m.Tags["metering.outcome"], "rejected")).Subject;
        rejected.Tags["metering.rejection_reason"].Should().Be("unknown_customer");
        rejected.Tags["metering.meter"].Should().Be("_rejected");
        var durations = _measurements.Where(m => m.Instrument == "metering.usage.record.duration").ToList();
        durations.Should().HaveCount(3).And.OnlyContain(m => m.Unit == "s" && m.Value >= 0);
        durations.Count(m => Equals(m.Tags["metering.operation"], "record_batch")).Should().Be(1);
    }

    [Fact]
    public async Task EventDelivery_CountsDeliveredFailedAttemptsAndParked_ByHandlerAndType()
    {
        await using var billing = TestMetering.Create(configureBuilder: b =>
        {
            b.Services.AddMetrics();
            b.ConfigureEventDelivery(o => o.PollInterval = TimeSpan.FromMilliseconds(10))
             .AddEventHandler("mailer", (d, _, _) => d.Event.Type == BillingEventType.CreditsGranted ? throw new InvalidOperationException("no") : ValueTask.CompletedTask, o =>
             {
                 o.MaxAttempts = 2;
                 o.InitialBackoff = TimeSpan.Zero;
             });
        });
        _factory = billing.Services.GetRequiredService<IMeterFactory>();
        _meters.Start();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(4.00m, Currency.USD), GrantId = "g" });
        await billing.StartHostedServicesAsync();

        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!_measurements.Any(m => m.Instrument == "metering.events.parked"))
        {
            await Task.Delay(10, guard.Token);
        }

        _measurements.Where(m => m.Instrument == "metering.events.failed_attempts").Should().HaveCount(2)
            .And.OnlyContain(m => m.Unit == "{attempt}" && Equals(m.Tags["metering.handler"], "mailer") && Equals(m.Tags["metering.event_type"], "CreditsGranted"));
        _measurements.Should().ContainSingle(m => m.Instrument == "metering.events.parked")
            .Which.Tags.Should().Contain("metering.handler", "mailer").And.Contain("metering.event_type", "CreditsGranted");
        _measurements.Where(m => m.Instrument == "metering.events.delivered").Should().BeEmpty("the only event (the grant) failed");
    }

    [Fact]
    public async Task PeriodClose_ReportsInvoicesCreditsAndDuration_AndTracesTheRunAndEachClose()
    {
        await using var billing = await StartAsync();
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(4.00m, Currency.USD), GrantId = "g" });
        using var root = TestSource.StartActivity("test-root")!;

        await billing.AdvanceToPeriodEndAsync("sub-1");
        root.Stop();

        _measurements.Should().ContainSingle(m => m.Instrument == "metering.invoices.created")
            .Which.Tags.Should().Contain("metering.currency", "USD").And.Contain("metering.invoice.status", "finalized");
        _measurements.Should().ContainSingle(m => m.Instrument == "metering.credits.burned").Which.Value.Should().Be(4.0);
        _measurements.Should().ContainSingle(m => m.Instrument == "metering.period_close.duration").Which.Unit.Should().Be("s");
        var spans = _activities.Where(a => a.TraceId == root.TraceId && a.Source.Name == MeteringDiagnostics.ActivitySourceName).ToList();
        var run = spans.Should().ContainSingle(a => a.OperationName == "metering.period_close.run").Subject;
        run.GetTagItem("metering.invoices").Should().Be(1);
        var close = spans.Should().ContainSingle(a => a.OperationName == "metering.period_close.close").Subject;
        close.ParentSpanId.Should().Be(run.SpanId);
        close.GetTagItem("metering.subscription_id").Should().Be("sub-1");
        close.GetTagItem("metering.close.status").Should().Be("closed");
    }

    [Fact]
    public async Task WithoutAListener_NothingIsMeasured()
    {
        await using var billing = Create();
        _factory = billing.Services.GetRequiredService<IMeterFactory>();
        var telemetry = billing.Services.GetRequiredService<Metering.Diagnostics.MeteringTelemetry>();

        telemetry.UsageRecords.Enabled.Should().BeFalse();
        telemetry.RecordDuration.Enabled.Should().BeFalse();
        billing.Services.GetRequiredService<IUsageRecorder>().Should().BeOfType<InstrumentedUsageRecorder>();
    }

    public void Dispose()
    {
        _meters.Dispose();
        _spans.Dispose();
    }
}
