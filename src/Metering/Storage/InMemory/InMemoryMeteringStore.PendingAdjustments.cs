namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    // Backfilled periods whose adjustment has not committed yet, by (subscription, period start).
    private readonly Dictionary<(string SubscriptionId, Instant PeriodStart), PendingAdjustment> _pendingAdjustments = [];

    /// <inheritdoc/>
    public ValueTask MarkPendingAdjustmentsAsync(IReadOnlyList<PendingAdjustment> markers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(markers);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            foreach (var marker in markers)
            {
                _pendingAdjustments.TryAdd((marker.SubscriptionId, marker.PeriodStart), marker);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingAdjustment>> ListPendingAdjustmentsAsync(Instant createdBefore, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            return new([.. _pendingAdjustments.Values
                .Where(m => m.CreatedAt < createdBefore)
                .OrderBy(m => m.CreatedAt)
                .ThenBy(m => m.SubscriptionId, StringComparer.Ordinal)
                .ThenBy(m => m.PeriodStart)
                .Take(limit)]);
        }
    }
}
