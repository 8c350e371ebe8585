using System.Globalization;
using Metering.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>
/// <c>metering.event_delivery</c>: for each handler registered in this process, Degraded when events are parked for it
/// (re-drive them with <see cref="IEventDeliveryService"/> once the cause is fixed) or when the oldest event it has not
/// handled occurred more than <see cref="MeteringHealthCheckOptions.EventDeliveryLagThreshold"/> ago (delivery is stuck).
/// </summary>
internal sealed class EventDeliveryHealthCheck(
    IMeteringStore store,
    IClock clock,
    IEnumerable<EventHandlerRegistration> registrations,
    IOptionsMonitor<MeteringHealthCheckOptions> healthOptions) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var registered = registrations.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        if (registered.Count == 0)
        {
            return HealthCheckResult.Healthy("No event handler is registered.");
        }

        var threshold = Duration.FromTimeSpan(healthOptions.Get(context.Registration.Name).EventDeliveryLagThreshold);
        var now = clock.GetCurrentInstant();
        var problems = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var states = (await store.ListEventHandlersAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Handler, StringComparer.Ordinal);
        foreach (var handler in registered.Order(StringComparer.Ordinal))
        {
            var state = states.GetValueOrDefault(handler);
            if (state is { ParkedCount: > 0 })
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{state.ParkedCount} events are parked for handler '{handler}'"));
                data[$"{handler}.parked"] = state.ParkedCount;
            }

            var next = await store.ReadEventsAsync(state?.Position, 1, cancellationToken).ConfigureAwait(false);
            if (next.Count == 1 && now - next[0].Event.OccurredAt > threshold)
            {
                problems.Add($"handler '{handler}' has not handled event {next[0].Event.EventId} of {next[0].Event.OccurredAt} (more than {DurationText.Format(threshold.ToTimeSpan())} ago)");
                data[$"{handler}.oldest_pending"] = next[0].Event.OccurredAt.ToString();
            }
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"Events are delivered to {registered.Count} handlers.")
            : new HealthCheckResult(
                HealthStatus.Degraded,
                $"Event delivery needs attention: {string.Join("; ", problems)}. Look for logged handler failures (events 1202, 1203) and re-drive parked events with IEventDeliveryService.",
                data: data);
    }
}
