namespace Metering;

/// <summary>Where a <see cref="UsageSummary"/> stands in its period's life.</summary>
public enum UsageSummaryStatus
{
    /// <summary>The period is open: more usage may still arrive.</summary>
    Current,

    /// <summary>The period is closed and invoiced (a credit wallet's period: closed, without an invoice): the quantity will not change.</summary>
    Recorded,

    /// <summary>The subscription was canceled: this is its final usage.</summary>
    Final,
}

/// <summary>
/// The aggregated usage of one meter for one subscription in one billing period, as the runtime reports it.
/// </summary>
/// <param name="SubscriptionId">The subscription billed.</param>
/// <param name="MeterKey">The meter aggregated.</param>
/// <param name="Period">The billing period, half-open <c>[Start, End)</c>.</param>
/// <param name="Quantity">The billable quantity per the meter's aggregation (see <see cref="UsageAggregate.Quantity"/>).</param>
/// <param name="RecordCount">How many accepted records the quantity aggregates.</param>
/// <param name="Status">Whether the period is open, closed, or the subscription's last.</param>
public sealed record UsageSummary(
    string SubscriptionId,
    string MeterKey,
    BillingPeriod Period,
    decimal Quantity,
    long RecordCount,
    UsageSummaryStatus Status)
{
    /// <summary>The summary of <paramref name="aggregate"/>: its billable quantity and record count.</summary>
    public static UsageSummary FromAggregate(
        string subscriptionId,
        string meterKey,
        BillingPeriod period,
        UsageAggregate aggregate,
        UsageSummaryStatus status) =>
        new(subscriptionId, meterKey, period, aggregate.Quantity, aggregate.RecordCount, status);
}
