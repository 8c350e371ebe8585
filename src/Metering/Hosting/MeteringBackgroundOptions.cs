namespace Metering;

/// <summary>
/// Settings of the background workers added by <c>AddMetering(...).RunInBackground(...)</c>, validated at startup.
/// Intervals are <see cref="TimeSpan"/>s so they bind from configuration text such as <c>"00:01:00"</c>.
/// </summary>
public sealed class MeteringBackgroundOptions
{
    /// <summary>Whether a worker closes due billing periods (default true).</summary>
    public bool ClosePeriods { get; set; } = true;

    /// <summary>How often the period-close worker runs (default 1 minute, 1 second to 1 day). It also runs once at startup.</summary>
    public TimeSpan CloseInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether a worker expires due credit grants between closes (default true).</summary>
    public bool ExpireCredits { get; set; } = true;

    /// <summary>How often the credit-expiry worker runs (default 5 minutes, 1 second to 1 day).</summary>
    public TimeSpan CreditExpiryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Random extra wait added to each interval, as a fraction of it (default 0.1: up to 10% longer; 0 to 1), so many
    /// instances started together do not all hit the store at once. Exactly-once close is the store's job either way.
    /// </summary>
    public double Jitter { get; set; } = 0.1;
}
