using Metering.Sqlite.Storage;
using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite;

/// <summary>
/// The event log and its delivery state. Events are appended by the one writer in commit order, so a position is the
/// event's sequence as text (<see cref="EventPositions"/>). Checkpoints, leases and parked events change only through
/// the writer, whose transaction reads the lease it checks; reads use the read connections.
/// </summary>
public sealed partial class SqliteMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>Signalled after each commit of this store instance that stored events; events written by other processes are seen only by polling.</remarks>
    public Task NextEventsCommitted => _eventsCommitted.NextEventsCommitted;

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredBillingEvent>> ReadEventsAsync(string? afterPosition, int limit, CancellationToken cancellationToken)
    {
        var after = EventPositions.ToSequence(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<StoredBillingEvent>>(c => DeliveryQueries.ReadEvents(c, after, limit), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<EventHandlerCheckpoint?> TryAcquireEventLeaseAsync(string handler, string owner, Instant now, Duration ttl, EventHandlerStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(owner);
        var nowNanos = Nanos(now);
        var expiresNanos = Nanos(now + ttl);
        return WriteAsync(w => w.TryAcquireEventLease(handler, owner, nowNanos, expiresNanos, start), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask ReleaseEventLeaseAsync(string handler, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(owner);
        await WriteAsync(w => w.ReleaseEventLease(handler, owner), 1, false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<bool> AdvanceEventCheckpointAsync(string handler, string owner, string position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(position);
        var sequence = EventPositions.ToSequence(position);
        return WriteAsync(w => w.AdvanceEventCheckpoint(handler, owner, sequence), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> ParkEventAsync(string handler, string owner, StoredBillingEvent stored, int attempts, string error, Instant parkedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(error);
        var position = EventPositions.ToSequence(stored.Position);
        var parkedAtNanos = Nanos(parkedAt);
        return WriteAsync(w => w.ParkEvent(handler, owner, stored.Sequence, position, attempts, error, parkedAtNanos), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Page<ParkedBillingEvent>> ListParkedEventsAsync(string? handler, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var after = ParkedCursor.Decode(cursor);
        return ReadAsync(c => PageOf(DeliveryQueries.ListParked(c, handler, after, limit + 1), limit, ParkedCursor.Encode), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<int> RequestRedeliveryAsync(string handler, long? sequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return WriteAsync(w => w.RequestRedelivery(handler, sequence), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ParkedBillingEvent>> ReadRedeliveriesAsync(string handler, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<ParkedBillingEvent>>(c => DeliveryQueries.ReadRedeliveries(c, handler, limit), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<bool> CompleteRedeliveryAsync(string handler, string owner, long sequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(owner);
        return WriteAsync(w => w.CompleteRedelivery(handler, owner, sequence), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<EventHandlerCheckpoint>> ListEventHandlersAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<EventHandlerCheckpoint>>(DeliveryQueries.ListEventHandlers, cancellationToken);
}
