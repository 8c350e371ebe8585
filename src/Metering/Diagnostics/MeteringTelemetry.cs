using System.Diagnostics;
using System.Diagnostics.Metrics;
using DiagnosticsMeter = System.Diagnostics.Metrics.Meter;

namespace Metering.Diagnostics;

/// <summary>
/// Metering's instruments and activity source (one per service provider, created through <see cref="IMeterFactory"/>
/// when the host registered one). Every call site checks <c>Enabled</c> first, so an idle listener costs a field
/// read; tags go in a stack <see cref="TagList"/>, so measuring allocates nothing.
/// </summary>
internal sealed class MeteringTelemetry : IDisposable
{
    private static readonly string Version = typeof(MeteringTelemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private readonly DiagnosticsMeter _meter;
    private readonly bool _ownsMeter;

    public MeteringTelemetry(IMeterFactory? meterFactory = null)
    {
        var options = new MeterOptions(MeteringDiagnostics.MeterName) { Version = Version };
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(options) ?? new DiagnosticsMeter(options);
        ActivitySource = new ActivitySource(MeteringDiagnostics.ActivitySourceName, Version);
        UsageRecords = _meter.CreateCounter<long>("metering.usage.records", "{record}", "Usage records handled by the recorder, by outcome and meter.");
        RecordDuration = _meter.CreateHistogram<double>("metering.usage.record.duration", "s", "Time to record one usage record or one batch, from call to acknowledgement.");
        CloseDuration = _meter.CreateHistogram<double>("metering.period_close.duration", "s", "Duration of one period-close run.");
        CloseFailures = _meter.CreateCounter<long>("metering.period_close.failures", "{subscription}", "Subscription closes that failed (each retried later).");
        InvoicesCreated = _meter.CreateCounter<long>("metering.invoices.created", "{invoice}", "Invoices created by period close, by currency and status.");
        CreditsBurned = _meter.CreateCounter<double>("metering.credits.burned", "{credit}", "Credits applied to invoices created by period close (real-time burns included), in the currency's units, by currency.");
        CreditsExpired = _meter.CreateCounter<long>("metering.credits.expired", "{grant}", "Credit grants whose remainder expired.");
        EventsDelivered = _meter.CreateCounter<long>("metering.events.delivered", "{event}", "Billing events a handler returned from, by handler and event type.");
        EventAttemptsFailed = _meter.CreateCounter<long>("metering.events.failed_attempts", "{attempt}", "Handler attempts that threw or timed out (each retried or parked), by handler and event type.");
        EventsParked = _meter.CreateCounter<long>("metering.events.parked", "{event}", "Billing events parked after their last failed attempt, by handler and event type.");
    }

    /// <summary>The meter (stores add their own observable instruments to it).</summary>
    public DiagnosticsMeter Meter => _meter;

    /// <summary>Spans: <c>metering.usage.record_batch</c>, <c>metering.period_close.run</c>, <c>metering.period_close.close</c>.</summary>
    public ActivitySource ActivitySource { get; }

    public Counter<long> UsageRecords { get; }

    public Histogram<double> RecordDuration { get; }

    public Histogram<double> CloseDuration { get; }

    public Counter<long> CloseFailures { get; }

    public Counter<long> InvoicesCreated { get; }

    public Counter<double> CreditsBurned { get; }

    public Counter<long> CreditsExpired { get; }

    public Counter<long> EventsDelivered { get; }

    public Counter<long> EventAttemptsFailed { get; }

    public Counter<long> EventsParked { get; }

    /// <summary>Counts one handled record (no allocation: the tag values are literals or the caller's strings).</summary>
    public void RecordOutcome(in UsageOutcome outcome, string meterKey)
    {
        var tags = new TagList
        {
            { "metering.outcome", OutcomeName(outcome.Kind) },
            // Only counted records name their meter: a rejected one may carry any text, which would explode cardinality.
            { "metering.meter", outcome.IsCounted ? meterKey : "_rejected" },
        };
        if (outcome.Rejection is { } rejection)
        {
            tags.Add("metering.rejection_reason", ReasonName(rejection.Reason));
        }

        UsageRecords.Add(1, tags);
    }

    /// <summary>Counts what one close produced.</summary>
    public void InvoiceCreated(Invoice invoice)
    {
        var currency = invoice.Content.Currency.Code;
        if (InvoicesCreated.Enabled)
        {
            InvoicesCreated.Add(1, new TagList { { "metering.currency", currency }, { "metering.invoice.status", StatusName(invoice.Status) } });
        }

        if (CreditsBurned.Enabled && invoice.Content.CreditsApplied.Amount > 0m)
        {
            CreditsBurned.Add((double)invoice.Content.CreditsApplied.Amount, new TagList { { "metering.currency", currency } });
        }
    }

    public void Dispose()
    {
        ActivitySource.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static string OutcomeName(UsageOutcomeKind kind) => kind switch
    {
        UsageOutcomeKind.Accepted => "accepted",
        UsageOutcomeKind.Duplicate => "duplicate",
        UsageOutcomeKind.Conflict => "conflict",
        UsageOutcomeKind.Rejected => "rejected",
        _ => "other",
    };

    private static string StatusName(InvoiceStatus status) => status switch
    {
        InvoiceStatus.Draft => "draft",
        InvoiceStatus.Finalized => "finalized",
        InvoiceStatus.Paid => "paid",
        InvoiceStatus.Void => "void",
        InvoiceStatus.Uncollectible => "uncollectible",
        _ => "other",
    };

    // Every reason's snake_case name (the metric tag contract: the enum member's name, e.g. no_active_subscription).
    private static readonly string[] ReasonNames = Enum.GetValues<UsageRejectionReason>()
        .Select(r => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()))
        .ToArray();

    /// <summary>The <c>metering.rejection_reason</c> tag value of <paramref name="reason"/>: its snake_case name.</summary>
    internal static string ReasonName(UsageRejectionReason reason) =>
        (uint)reason < (uint)ReasonNames.Length ? ReasonNames[(int)reason] : "other";
}
