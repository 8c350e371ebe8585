namespace Metering;

/// <summary>How a meter collapses one period's usage records into one billable quantity.</summary>
public enum Aggregation
{
    /// <summary>Sum of the quantities; a <see cref="UsageAction.Set"/> record resets the running total to its quantity.</summary>
    Sum,

    /// <summary>Number of records, whatever their quantities.</summary>
    Count,

    /// <summary>Highest quantity seen (0 when there are no records).</summary>
    Max,

    /// <summary>Quantity of the record with the latest timestamp, not the latest arrival (0 when there are no records).</summary>
    Last,

    /// <summary>Number of distinct values of the meter's <see cref="Meter.UniqueProperty"/> (ordinal comparison).</summary>
    UniqueCount,
}

/// <summary>What a usage record does to its meter's running aggregate.</summary>
public enum UsageAction
{
    /// <summary>Adds the quantity (the usual report of consumption).</summary>
    Increment,

    /// <summary>
    /// Reports an absolute value: for a <see cref="Aggregation.Sum"/> meter it replaces the total accumulated so far
    /// (in arrival order); for other aggregations it behaves like <see cref="Increment"/>.
    /// </summary>
    Set,
}
