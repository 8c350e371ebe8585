using System.Diagnostics.CodeAnalysis;

namespace Metering;

/// <summary>Usage of one billing period of a subscription, per meter, with its status.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Period">The period (the service period actually invoiced, for a closed one).</param>
/// <param name="Status">Current (open), Recorded (closed) or Final (the subscription ended with it).</param>
/// <param name="Meters">One summary per meter the plan prices (zero when unused).</param>
/// <param name="InvoiceId">The invoice of the period once closed.</param>
public sealed record PeriodUsage(string SubscriptionId, BillingPeriod Period, UsageSummaryStatus Status, IReadOnlyList<UsageSummary> Meters, string? InvoiceId)
{
    /// <summary>
    /// The period's usage per group of each grouped charge (<see cref="Charge.GroupBy"/>), as in
    /// <see cref="CurrentUsage.Groups"/>; empty when the plan has no grouped charge.
    /// </summary>
    public IReadOnlyList<GroupUsage> Groups { get; init; } = [];
}

/// <summary>The usage of one group of a grouped charge (<see cref="Charge.GroupBy"/>) in a period.</summary>
/// <param name="ChargeKey">The grouped charge.</param>
/// <param name="MeterKey">The charge's meter.</param>
/// <param name="Group">The group: property name to value, in the charge's group-by order; a null value for records without the property.</param>
/// <param name="Quantity">The group's billable quantity per the meter's aggregation.</param>
/// <param name="RecordCount">How many accepted records the quantity aggregates.</param>
public sealed record GroupUsage(string ChargeKey, string MeterKey, IReadOnlyDictionary<string, string?> Group, decimal Quantity, long RecordCount);

/// <summary>The running period at a glance: usage per charge with its priced amount, and the estimated invoice.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Period">The open period.</param>
/// <param name="Usage">Per-meter usage of the period: one summary per meter the plan prices (zero when unused).</param>
/// <param name="Estimate">The invoice the period would produce if it closed now (base fee, usage lines, credits, total).</param>
/// <remarks>Look a meter up by key with <see cref="TryGetMeter(string, out UsageSummary?)"/> or the indexer.</remarks>
public sealed record CurrentUsage(string SubscriptionId, BillingPeriod Period, IReadOnlyList<UsageSummary> Usage, CalculatedInvoice Estimate)
{
    /// <summary>
    /// The period's usage per group of each grouped charge (<see cref="Charge.GroupBy"/>), in plan order and then in
    /// invoice line order (<see cref="ChargeGroupUsage.Order"/>); empty when the plan has no grouped charge or no group
    /// has usage yet. The <see cref="Estimate"/> bills one line per group.
    /// </summary>
    public IReadOnlyList<GroupUsage> Groups { get; init; } = [];

    /// <summary>The period's usage of meter <paramref name="meterKey"/> (case-sensitive, as meter keys are).</summary>
    /// <param name="meterKey">The meter's key, e.g. <c>api_calls</c>.</param>
    /// <exception cref="KeyNotFoundException">The subscription's plan does not price that meter; the message lists the ones it does.</exception>
    public UsageSummary this[string meterKey] => TryGetMeter(meterKey, out var usage)
        ? usage
        : throw new KeyNotFoundException($"Meter '{meterKey}' is not priced by the plan of subscription '{SubscriptionId}'; its meters are: {string.Join(", ", Usage.Select(u => u.MeterKey))}.");

    /// <summary>
    /// Finds the period's usage of meter <paramref name="meterKey"/> (case-sensitive). A meter the plan prices is
    /// always found, with a zero quantity when nothing was recorded yet.
    /// </summary>
    /// <param name="meterKey">The meter's key, e.g. <c>api_calls</c>.</param>
    /// <param name="usage">The meter's summary when found; otherwise null.</param>
    /// <returns>True when the subscription's plan prices the meter.</returns>
    public bool TryGetMeter(string meterKey, [NotNullWhen(true)] out UsageSummary? usage)
    {
        ArgumentNullException.ThrowIfNull(meterKey);
        foreach (var summary in Usage)
        {
            if (string.Equals(summary.MeterKey, meterKey, StringComparison.Ordinal))
            {
                usage = summary;
                return true;
            }
        }

        usage = null;
        return false;
    }
}

/// <summary>Reads usage from maintained aggregates (never by rescanning records).</summary>
public interface IUsageQuery
{
    /// <summary>Usage and estimated invoice of the open period containing now.</summary>
    /// <exception cref="MeteringException">Unknown or ended subscription.</exception>
    ValueTask<CurrentUsage> GetCurrentAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Per-period usage summaries, newest period first, <paramref name="limit"/> periods a page.</summary>
    ValueTask<Page<PeriodUsage>> GetHistoryAsync(string subscriptionId, string? cursor = null, int limit = 12, CancellationToken cancellationToken = default);

    /// <summary>
    /// Usage per meter and per day (in the subscription's time zone) of the period starting at
    /// <paramref name="periodStart"/>, or of the open period when it is null: for usage charts. Each day folds that
    /// day's records alone with the meter's aggregation (the Sum of the day, the Max of the day, ...). Unlike the other
    /// reads it scans the period's raw records, so its cost grows with them: fine for a customer's dashboard, not for a
    /// hot path.
    /// </summary>
    /// <exception cref="MeteringException">The subscription does not exist (<see cref="MeteringErrorCode.NotFound"/>),
    /// or <paramref name="periodStart"/> is not the start of one of its periods (<see cref="MeteringErrorCode.InvalidArgument"/>).</exception>
    ValueTask<DailyUsage> GetDailyUsageAsync(string subscriptionId, Instant? periodStart = null, CancellationToken cancellationToken = default);
}
