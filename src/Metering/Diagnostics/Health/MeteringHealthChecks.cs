using Metering.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>
/// <c>metering.store</c>: the store answers a read (Unhealthy when it throws), and a store that can fault as a whole
/// (<see cref="IMeteringStoreHealth"/>, e.g. the SQLite writer) is not faulted (Unhealthy while it is).
/// </summary>
internal sealed class MeteringStoreHealthCheck(IMeteringStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.FindCustomerAsync("__metering_health_check__", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The Metering store ({store.GetType().Name}) cannot be read: {exception.Message}", exception);
        }

        if (store is IMeteringStoreHealth { CurrentFault: { } fault })
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The Metering store's writer is faulted; writes fail until the cause is fixed: {fault.Message}", fault);
        }

        return HealthCheckResult.Healthy($"The Metering store ({store.GetType().Name}) is reachable.");
    }
}

/// <summary>
/// <c>metering.close_backlog</c>: Degraded when a billing period is overdue (past its end, the grace window and
/// <see cref="MeteringHealthCheckOptions.CloseBacklogThreshold"/>) — the closer is not running or keeps failing.
/// </summary>
internal sealed class CloseBacklogHealthCheck(
    IMeteringStore store,
    IClock clock,
    IOptions<MeteringOptions> options,
    IOptionsMonitor<MeteringHealthCheckOptions> healthOptions) : IHealthCheck
{
    private const int Sample = 100;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = Duration.FromTimeSpan(healthOptions.Get(context.Registration.Name).CloseBacklogThreshold);
        // Strictly more than the threshold: a period that became due exactly threshold ago is still on time.
        var overdueBy = clock.GetCurrentInstant() - options.Value.GracePeriod - threshold - Duration.Epsilon;
        var overdue = await store.FindSubscriptionsDueAsync(overdueBy, Sample, cancellationToken).ConfigureAwait(false);
        if (overdue.Count == 0)
        {
            return HealthCheckResult.Healthy("No billing period is overdue for close.");
        }

        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["overdue_subscriptions"] = overdue.Count,
            ["first_overdue"] = overdue[0],
        };
        var count = overdue.Count == Sample ? $"{Sample} or more" : overdue.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new HealthCheckResult(
            HealthStatus.Degraded,
            $"{count} subscriptions have a billing period overdue for close by more than {threshold} (first: '{overdue[0]}'); check that the closer runs (RunInBackground) and look for logged close failures (event 2002).",
            data: data);
    }
}
