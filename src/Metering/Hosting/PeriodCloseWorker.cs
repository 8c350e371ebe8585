using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Closes due periods (and expires due credits, as every close run does) on <see cref="MeteringBackgroundOptions.CloseInterval"/>.</summary>
internal sealed class PeriodCloseWorker(
    PeriodCloser closer,
    MeteringBackgroundStatus status,
    IClock clock,
    IOptions<MeteringBackgroundOptions> options,
    TimeProvider time,
    ILogger<PeriodCloseWorker>? logger = null)
    : PeriodicWorker(time, (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
{
    private PeriodCloseReport? _report;

    protected override string Name => "period-close";

    protected override bool Enabled => options.Value.ClosePeriods;

    protected override TimeSpan Interval => options.Value.CloseInterval;

    protected override double Jitter => options.Value.Jitter;

    protected override async Task RunOnceAsync(CancellationToken stopClaiming, CancellationToken abort) =>
        _report = await closer.CloseDueAsync(stopClaiming, abort).ConfigureAwait(false);

    protected override void Publish(Exception? failure)
    {
        status.CloseRunFinished(clock.GetCurrentInstant(), failure is null ? _report : null, failure);
        _report = null;
    }
}

/// <summary>Expires due credit grants on <see cref="MeteringBackgroundOptions.CreditExpiryInterval"/>, between close runs.</summary>
internal sealed class CreditExpiryWorker(
    CreditService credits,
    MeteringBackgroundStatus status,
    IClock clock,
    IOptions<MeteringBackgroundOptions> options,
    TimeProvider time,
    ILogger<CreditExpiryWorker>? logger = null)
    : PeriodicWorker(time, (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
{
    protected override string Name => "credit-expiry";

    protected override bool Enabled => options.Value.ExpireCredits;

    protected override TimeSpan Interval => options.Value.CreditExpiryInterval;

    protected override double Jitter => options.Value.Jitter;

    // Each ledger is its own transaction, so stopping between ledgers loses nothing: a stop aborts the rest of the run.
    protected override async Task RunOnceAsync(CancellationToken stopClaiming, CancellationToken abort)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopClaiming, abort);
        await credits.ExpireDueCoreAsync(clock.GetCurrentInstant(), linked.Token).ConfigureAwait(false);
    }

    protected override void Publish(Exception? failure) => status.CreditExpiryRunFinished();
}
