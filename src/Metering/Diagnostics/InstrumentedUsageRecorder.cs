using System.Diagnostics;
using Metering.Diagnostics;

namespace Metering;

/// <summary>
/// Measures the recorder from outside (counts by outcome and meter, latency, a span per batch) so the record path
/// itself stays untouched. With no listener it hands the inner call straight through: no extra state machine, no
/// allocation; with one, a synchronously completing record still allocates nothing here.
/// </summary>
internal sealed class InstrumentedUsageRecorder(UsageRecorder inner, MeteringTelemetry telemetry) : IUsageRecorder
{
    public ValueTask<UsageOutcome> RecordAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        if (!telemetry.UsageRecords.Enabled && !telemetry.RecordDuration.Enabled)
        {
            return inner.RecordAsync(record, cancellationToken);
        }

        return RecordMeasuredAsync(record, cancellationToken);
    }

    public ValueTask<BackfillResult> BackfillAsync(IReadOnlyList<UsageRecord> records, string reason, CancellationToken cancellationToken = default) =>
        inner.BackfillAsync(records, reason, cancellationToken);

    public async ValueTask<IReadOnlyList<UsageOutcome>> RecordBatchAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken = default)
    {
        using var activity = telemetry.ActivitySource.StartActivity("metering.usage.record_batch");
        activity?.SetTag("metering.batch.size", records?.Count ?? 0);
        long started = telemetry.RecordDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        IReadOnlyList<UsageOutcome> outcomes;
        try
        {
            outcomes = await inner.RecordBatchAsync(records!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            throw;
        }

        if (started != 0)
        {
            telemetry.RecordDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new TagList { { "metering.operation", "record_batch" } });
        }

        if (telemetry.UsageRecords.Enabled)
        {
            for (int i = 0; i < outcomes.Count; i++)
            {
                telemetry.RecordOutcome(outcomes[i], records![i].MeterKey);
            }
        }

        if (activity is not null)
        {
            int accepted = 0;
            foreach (var outcome in outcomes)
            {
                accepted += outcome.Kind == UsageOutcomeKind.Accepted ? 1 : 0;
            }

            activity.SetTag("metering.batch.accepted", accepted);
        }

        return outcomes;
    }

    private async ValueTask<UsageOutcome> RecordMeasuredAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        var outcome = await inner.RecordAsync(record, cancellationToken).ConfigureAwait(false);
        if (telemetry.RecordDuration.Enabled)
        {
            telemetry.RecordDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new TagList { { "metering.operation", "record" } });
        }

        if (telemetry.UsageRecords.Enabled)
        {
            telemetry.RecordOutcome(outcome, record.MeterKey);
        }

        return outcome;
    }
}
