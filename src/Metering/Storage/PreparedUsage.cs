namespace Metering.Storage;

/// <summary>
/// One aggregate a usage record updates: the meter-level aggregate (key = meter key) and one per
/// plan charge that filters on record properties (key = <c>meter|charge</c>).
/// </summary>
/// <param name="AggregateKey">The aggregate's key within (subscription, period).</param>
/// <param name="Aggregation">How records fold into it.</param>
/// <param name="UniqueProperty">Property whose distinct values are counted (UniqueCount only).</param>
/// <param name="BurningCharge">The charge whose marginal cost is burned from credits in real time, or null.</param>
public sealed record AggregateTarget(string AggregateKey, Aggregation Aggregation, string? UniqueProperty, Charge? BurningCharge);

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
/// <param name="AggregateKey">Meter key, or <c>meter|charge</c> for a filtered charge.</param>
/// <param name="Aggregate">The folded state.</param>
public readonly record struct StoredAggregate(string AggregateKey, UsageAggregate Aggregate);

/// <summary>A page of results and the cursor to the next page (null when this is the last).</summary>
/// <typeparam name="T">Item type.</typeparam>
/// <param name="Items">The items, in a stable order.</param>
/// <param name="NextCursor">Opaque cursor for the next page, or null.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
