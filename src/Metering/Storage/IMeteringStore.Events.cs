namespace Metering.Storage;

/// <summary>
/// The event log and its delivery state: events are stored in the transaction of the change that caused them; each
/// registered handler has a durable checkpoint (a position in the log), a lease so one instance at a time delivers to
/// it, and a list of parked events (those it kept failing on). Every operation that moves a checkpoint is fenced by
/// the lease: it changes nothing unless the caller still holds the handler's lease.
/// </summary>
public partial interface IMeteringStore
{
    /// <summary>
    /// Stored events after <paramref name="afterPosition"/> (null: from the start of the log), in delivery order.
    /// An event is returned only when every event before it in that order has committed, so a reader that moves past
    /// it can never skip an event whose transaction commits later (PostgreSQL transactions may commit in the opposite
    /// order of the sequence numbers they took).
    /// </summary>
    /// <param name="afterPosition">A <see cref="StoredBillingEvent.Position"/> from this store, or null.</param>
    /// <param name="limit">The most events to return (at least 1).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<StoredBillingEvent>> ReadEventsAsync(string? afterPosition, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Takes or renews the delivery lease of <paramref name="handler"/> for <paramref name="owner"/> until
    /// <paramref name="now"/> + <paramref name="ttl"/>, when it is free, expired at <paramref name="now"/>, or already
    /// held by <paramref name="owner"/>; returns the handler's checkpoint, or null when another owner holds the lease.
    /// A handler seen for the first time gets a checkpoint at the start of the log, or after its last committed event
    /// when <paramref name="start"/> is <see cref="EventHandlerStart.Latest"/>.
    /// </summary>
    ValueTask<EventHandlerCheckpoint?> TryAcquireEventLeaseAsync(string handler, string owner, Instant now, Duration ttl, EventHandlerStart start, CancellationToken cancellationToken);

    /// <summary>Gives the lease of <paramref name="handler"/> up when <paramref name="owner"/> holds it (on shutdown), so another instance takes over at once.</summary>
    ValueTask ReleaseEventLeaseAsync(string handler, string owner, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the checkpoint of <paramref name="handler"/> to <paramref name="position"/> (never backwards) when
    /// <paramref name="owner"/> holds its lease; false (nothing changed) when another owner took the lease.
    /// </summary>
    ValueTask<bool> AdvanceEventCheckpointAsync(string handler, string owner, string position, CancellationToken cancellationToken);

    /// <summary>
    /// Parks <paramref name="stored"/> for <paramref name="handler"/> (or updates its parked entry, clearing a redelivery
    /// request) and moves the checkpoint past it, atomically, when <paramref name="owner"/> holds the lease; false when
    /// another owner took the lease.
    /// </summary>
    ValueTask<bool> ParkEventAsync(string handler, string owner, StoredBillingEvent stored, int attempts, string error, Instant parkedAt, CancellationToken cancellationToken);

    /// <summary>Parked events, of one handler or all (null), ordered by handler then sequence, paginated by an opaque cursor.</summary>
    ValueTask<Page<ParkedBillingEvent>> ListParkedEventsAsync(string? handler, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Marks the parked event <paramref name="sequence"/> of <paramref name="handler"/> (or all its parked events, when null) for redelivery; returns how many were marked.</summary>
    ValueTask<int> RequestRedeliveryAsync(string handler, long? sequence, CancellationToken cancellationToken);

    /// <summary>Parked events of <paramref name="handler"/> marked for redelivery, oldest sequence first.</summary>
    ValueTask<IReadOnlyList<ParkedBillingEvent>> ReadRedeliveriesAsync(string handler, int limit, CancellationToken cancellationToken);

    /// <summary>Removes the parked event <paramref name="sequence"/> of <paramref name="handler"/> after a successful redelivery, when <paramref name="owner"/> holds the lease; false otherwise.</summary>
    ValueTask<bool> CompleteRedeliveryAsync(string handler, string owner, long sequence, CancellationToken cancellationToken);

    /// <summary>Every handler the store has seen, by name, with its checkpoint, lease and parked count.</summary>
    ValueTask<IReadOnlyList<EventHandlerCheckpoint>> ListEventHandlersAsync(CancellationToken cancellationToken);
}

/// <summary>A billing event as stored in the log.</summary>
/// <param name="Sequence">Unique number of the event in this store, increasing within a transaction (not gap-free: a rolled-back transaction leaves holes on PostgreSQL).</param>
/// <param name="Position">Opaque position in delivery order; pass it to <see cref="IMeteringStore.ReadEventsAsync"/> to read what follows.</param>
/// <param name="Event">The event.</param>
public sealed record StoredBillingEvent(long Sequence, string Position, BillingEvent Event);

/// <summary>Where a handler seen for the first time starts reading the log.</summary>
public enum EventHandlerStart
{
    /// <summary>At the start of the log: the handler receives every event ever stored (the default; no event is missed).</summary>
    Beginning,

    /// <summary>After the last event committed when the handler is first seen (e.g. an email sender added to a running system).</summary>
    Latest,
}

/// <summary>A handler's delivery state in the store.</summary>
/// <param name="Handler">The handler's name.</param>
/// <param name="Position">The position of the last event it has handled (or parked), or null when it has handled none.</param>
/// <param name="LeaseOwner">The instance delivering to it, or null.</param>
/// <param name="LeaseExpiresAt">When that lease ends unless renewed, or null.</param>
/// <param name="ParkedCount">How many events are parked for it.</param>
public sealed record EventHandlerCheckpoint(string Handler, string? Position, string? LeaseOwner, Instant? LeaseExpiresAt, int ParkedCount);

/// <summary>An event a handler kept failing on, set aside so delivery goes on; visible and re-drivable.</summary>
/// <param name="Handler">The handler's name.</param>
/// <param name="Stored">The event.</param>
/// <param name="Attempts">How many times delivery was attempted.</param>
/// <param name="LastError">The last failure (exception type and message).</param>
/// <param name="ParkedAt">When it was (last) parked.</param>
/// <param name="RedeliveryRequested">Whether it is waiting to be delivered again.</param>
public sealed record ParkedBillingEvent(string Handler, StoredBillingEvent Stored, int Attempts, string LastError, Instant ParkedAt, bool RedeliveryRequested);
