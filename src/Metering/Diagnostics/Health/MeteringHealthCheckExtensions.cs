using Metering;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Metering's health checks.</summary>
public static class MeteringHealthCheckExtensions
{
    /// <summary>Name of the store check: Unhealthy when the store cannot be read or its writer is faulted.</summary>
    public const string StoreCheckName = "metering.store";

    /// <summary>Name of the close-backlog check: Degraded when a period is overdue beyond the threshold.</summary>
    public const string CloseBacklogCheckName = "metering.close_backlog";

    /// <summary>Name of the event-delivery check: Degraded when a registered handler has parked events or lags beyond the threshold.</summary>
    public const string EventDeliveryCheckName = "metering.event_delivery";

    /// <summary>
    /// Adds <c>metering.store</c> (store reachable; writer not faulted: else Unhealthy) and <c>metering.close_backlog</c>
    /// (no period overdue beyond <see cref="MeteringHealthCheckOptions.CloseBacklogThreshold"/>: else Degraded) and
    /// <c>metering.event_delivery</c> (no event parked for, or waiting longer than
    /// <see cref="MeteringHealthCheckOptions.EventDeliveryLagThreshold"/> for, a registered handler: else Degraded), tagged
    /// <c>metering</c> plus <paramref name="tags"/>. Safe to call twice (the first call's tags are kept).
    /// </summary>
    public static IHealthChecksBuilder AddMetering(this IHealthChecksBuilder builder, Action<MeteringHealthCheckOptions>? configure = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (configure is not null)
        {
            builder.Services.Configure(CloseBacklogCheckName, configure);
            builder.Services.Configure(EventDeliveryCheckName, configure);
        }

        // Safe to call twice: health-check names must be unique, so the checks are added once.
        if (builder.Services.Any(d => d.ServiceType == typeof(MeteringHealthChecksAdded)))
        {
            return builder;
        }

        builder.Services.AddSingleton<MeteringHealthChecksAdded>();
        string[] allTags = ["metering", .. tags ?? []];
        return builder
            .AddCheck<MeteringStoreHealthCheck>(StoreCheckName, HealthStatus.Unhealthy, allTags)
            .AddCheck<CloseBacklogHealthCheck>(CloseBacklogCheckName, HealthStatus.Degraded, allTags)
            .AddCheck<EventDeliveryHealthCheck>(EventDeliveryCheckName, HealthStatus.Degraded, allTags);
    }

    /// <summary>Adds the health-check services and Metering's checks (see <see cref="AddMetering(IHealthChecksBuilder, Action{MeteringHealthCheckOptions}?, IEnumerable{string}?)"/>).</summary>
    public static MeteringBuilder AddHealthChecks(this MeteringBuilder builder, Action<MeteringHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks().AddMetering(configure);
        return builder;
    }
}

/// <summary>Marks that Metering's health checks are registered.</summary>
internal sealed class MeteringHealthChecksAdded;
