namespace Metering;

/// <summary>One aggregate whose stored value differs from a recomputation from the raw records.</summary>
/// <param name="AggregateKey">Meter key, or <c>meter|charge</c>.</param>
/// <param name="Stored">Quantity in the stored aggregate.</param>
/// <param name="Recomputed">Quantity recomputed from the raw records.</param>
public sealed record ReconciliationDifference(string AggregateKey, decimal Stored, decimal Recomputed);

/// <summary>The result of reconciling one subscription period.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="PeriodStart">Start of the period.</param>
/// <param name="RecordCount">Raw records read.</param>
/// <param name="Differences">Aggregates that do not match (empty when consistent).</param>
public sealed record ReconciliationReport(string SubscriptionId, Instant PeriodStart, long RecordCount, IReadOnlyList<ReconciliationDifference> Differences)
{
    /// <summary>True when every stored aggregate matches the raw records.</summary>
    public bool IsConsistent => Differences.Count == 0;
}

/// <summary>Recomputes a period from its raw records and compares with the stored aggregates (invariant 3).</summary>
public interface IUsageReconciler
{
    /// <summary>Reconciles the period of <paramref name="subscriptionId"/> that starts at <paramref name="periodStart"/>.</summary>
    ValueTask<ReconciliationReport> ReconcileAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken = default);
}
