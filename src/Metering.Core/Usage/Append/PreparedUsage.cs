namespace Metering.Storage;

/// <summary>
/// One aggregate a usage record updates: the meter-level aggregate and one per plan charge that filters on record
/// properties. Built once per plan version and meter by the catalog.
/// </summary>
public sealed record AggregateTarget
{
    /// <summary>Creates a target.</summary>
    /// <param name="key">The aggregate's key within (subscription, period).</param>
    /// <param name="aggregation">How records fold into it.</param>
    /// <param name="uniqueProperty">Property whose distinct values are counted (UniqueCount only).</param>
    /// <param name="burningCharge">The charge whose marginal cost is burned from credits in real time, or null.</param>
    /// <param name="limitingCharge">The charge whose <see cref="Charge.LimitPerPeriod"/> caps this aggregate (the lowest limit among the charges reading it), or null.</param>
    /// <param name="alertingCharges">The charges reading this aggregate (those with <see cref="Charge.Alerts"/> raise them; a subscription's own alerts may watch any of them), or null.</param>
    public AggregateTarget(AggregateKey key, Aggregation aggregation, string? uniqueProperty, Charge? burningCharge, Charge? limitingCharge = null, IReadOnlyList<Charge>? alertingCharges = null)
    {
        ReadingCharges = alertingCharges is { Count: > 0 } ? [.. alertingCharges] : [];
        AlertingCharges = [.. ReadingCharges.Where(c => c.Alerts.Count > 0)];
        LimitingCharge = limitingCharge?.LimitPerPeriod is null ? null : limitingCharge;
        Key = key;
        Aggregation = aggregation;
        UniqueProperty = uniqueProperty;
        BurningCharge = burningCharge;
        PrepaidKey = burningCharge is null ? null : AggregateKey.PrepaidFor(burningCharge.Key);
    }

    /// <summary>The aggregate's key within (subscription, period).</summary>
    public AggregateKey Key { get; }

    /// <summary>How records fold into it.</summary>
    public Aggregation Aggregation { get; }

    /// <summary>Property whose distinct values are counted (UniqueCount only).</summary>
    public string? UniqueProperty { get; }

    /// <summary>The charge whose marginal cost is burned from credits in real time, or null.</summary>
    public Charge? BurningCharge { get; }

    /// <summary>The charges reading this aggregate that raise usage alerts (empty when none).</summary>
    public IReadOnlyList<Charge> AlertingCharges { get; }

    /// <summary>The charges reading this aggregate, which a subscription's own usage alerts may watch (empty when none was given).</summary>
    public IReadOnlyList<Charge> ReadingCharges { get; }

    /// <summary>The charge whose hard limit caps this aggregate's quantity per period, or null when none does.</summary>
    public Charge? LimitingCharge { get; }

    /// <summary>The key of the aggregate that sums the credits burned for <see cref="BurningCharge"/>, or null.</summary>
    public AggregateKey? PrepaidKey { get; }
}

/// <summary>
/// A usage record the runtime has validated and attributed to a subscription period, ready for a
/// store to append atomically (dedupe, period-open check, aggregate update, real-time credit burn).
/// </summary>
/// <param name="Record">The record as reported (timestamp already in UTC as an <see cref="Instant"/>).</param>
/// <param name="SubscriptionId">The subscription it is attributed to.</param>
/// <param name="PeriodStart">Start of the billing period that contains its timestamp.</param>
/// <param name="Targets">Aggregates to update (cached per plan version and meter; never empty).</param>
/// <param name="Plan">The plan version the subscription is billed on (for credit burn pricing and policy).</param>
public readonly record struct PreparedUsage(
    UsageRecord Record,
    string SubscriptionId,
    Instant PeriodStart,
    AggregateTarget[] Targets,
    Plan Plan)
{
    /// <summary>Low-balance thresholds per unit code, for the CreditsLow events a real-time burn raises (null: none).</summary>
    public IReadOnlyDictionary<string, decimal>? LowCreditThresholds { get; init; }

    /// <summary>
    /// The subscription's contract terms when they apply to the record's period (<see cref="ContractTerms.AppliesTo"/>),
    /// else null: real-time credit burn then prices at the contract price, less its discount.
    /// </summary>
    public ContractTerms? Contract { get; init; }

    /// <summary>
    /// True for a backfilled record (<c>IUsageRecorder</c>'s <c>BackfillAsync</c>): it must land in a period that
    /// is already closed, and a record for an open period is rejected as <see cref="UsageRejectionReason.PeriodNotClosed"/>
    /// (see <see cref="UsageAttribution.CheckStored(UsageRecord, string, string, int, Subscription?, bool)"/>).
    /// </summary>
    public bool Backfill { get; init; }

    /// <summary>True when any target burns credits in real time.</summary>
    public bool BurnsCredits
    {
        get
        {
            foreach (var target in Targets)
            {
                if (target.BurningCharge is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>An aggregate as stored for one (subscription, period, aggregate key).</summary>
/// <param name="Key">What it aggregates.</param>
/// <param name="Aggregate">The folded state.</param>
public readonly record struct StoredAggregate(AggregateKey Key, UsageAggregate Aggregate);
