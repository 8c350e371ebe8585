namespace Metering;

/// <summary>Settings of Metering's health checks (<c>AddHealthChecks().AddMetering(...)</c>).</summary>
public sealed class MeteringHealthCheckOptions
{
    /// <summary>
    /// How long past its end plus the grace window a billing period may stay open before the
    /// <c>metering.close_backlog</c> check reports Degraded (default 1 hour). A period overdue that long means the closer
    /// is not running, or keeps failing for that subscription (see <see cref="PeriodCloseReport.Failed"/>).
    /// </summary>
    public TimeSpan CloseBacklogThreshold { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long an event may wait for a registered handler before the <c>metering.event_delivery</c> check reports
    /// Degraded (default 5 minutes): delivery is stuck (a handler keeps being retried, or no instance holds its lease).
    /// </summary>
    public TimeSpan EventDeliveryLagThreshold { get; set; } = TimeSpan.FromMinutes(5);
}
