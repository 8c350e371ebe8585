namespace Metering;

/// <summary>Usage of one billing period of a subscription, per meter, with its status.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Period">The period (the service period actually invoiced, for a closed one).</param>
/// <param name="Status">Current (open), Recorded (closed) or Final (the subscription ended with it).</param>
/// <param name="Meters">One summary per meter the plan prices (zero when unused).</param>
/// <param name="InvoiceId">The invoice of the period once closed.</param>
public sealed record PeriodUsage(string SubscriptionId, BillingPeriod Period, UsageSummaryStatus Status, IReadOnlyList<UsageSummary> Meters, string? InvoiceId);

/// <summary>The running period at a glance: usage per charge with its priced amount, and the estimated invoice.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Period">The open period.</param>
/// <param name="Usage">Per-meter usage of the period.</param>
/// <param name="Estimate">The invoice the period would produce if it closed now (base fee, usage lines, credits, total).</param>
public sealed record CurrentUsage(string SubscriptionId, BillingPeriod Period, IReadOnlyList<UsageSummary> Usage, CalculatedInvoice Estimate);

/// <summary>Reads usage from maintained aggregates (never by rescanning records).</summary>
public interface IUsageQuery
{
    /// <summary>Usage and estimated invoice of the open period containing now.</summary>
    /// <exception cref="MeteringException">Unknown or ended subscription.</exception>
    ValueTask<CurrentUsage> GetCurrentAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Per-period usage summaries, newest period first, <paramref name="limit"/> periods a page.</summary>
    ValueTask<Page<PeriodUsage>> GetHistoryAsync(string subscriptionId, string? cursor = null, int limit = 12, CancellationToken cancellationToken = default);
}
