using System.Globalization;

namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    private readonly Dictionary<string, HandlerState> _handlers = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredBillingEvent>> ReadEventsAsync(string? afterPosition, int limit, CancellationToken cancellationToken)
    {
        var after = EventPositions.ToSequence(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            // Sequences are 1..Count in commit order (one lock), so the events after `after` start at index `after`.
            var from = (int)Math.Min(after, _events.Count);
            return new(_events.GetRange(from, Math.Min(limit, _events.Count - from)).ToArray());
        }
    }

    /// <inheritdoc/>
    public ValueTask<EventHandlerCheckpoint?> TryAcquireEventLeaseAsync(string handler, string owner, Instant now, Duration ttl, EventHandlerStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            if (!_handlers.TryGetValue(handler, out var state))
            {
                _handlers[handler] = state = new HandlerState { Position = start == EventHandlerStart.Latest ? _events.Count : 0 };
            }

            if (state.Owner is not null && state.Owner != owner && state.ExpiresAt > now)
            {
                return new((EventHandlerCheckpoint?)null);
            }

            state.Owner = owner;
            state.ExpiresAt = now + ttl;
            return new(CheckpointOf(handler, state));
        }
    }

    /// <inheritdoc/>
    public ValueTask ReleaseEventLeaseAsync(string handler, string owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_handlers.TryGetValue(handler, out var state) && state.Owner == owner)
            {
                state.Owner = null;
                state.ExpiresAt = default;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<bool> AdvanceEventCheckpointAsync(string handler, string owner, string position, CancellationToken cancellationToken)
    {
        var sequence = EventPositions.ToSequence(position);
        lock (_gate)
        {
            if (!Holds(handler, owner, out var state))
            {
                return new(false);
            }

            state.Position = Math.Max(state.Position, sequence);
            return new(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> ParkEventAsync(string handler, string owner, StoredBillingEvent stored, int attempts, string error, Instant parkedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(error);
        var sequence = EventPositions.ToSequence(stored.Position);
        lock (_gate)
        {
            if (!Holds(handler, owner, out var state))
            {
                return new(false);
            }

            state.Parked[stored.Sequence] = new ParkedBillingEvent(handler, stored, attempts, error, parkedAt, RedeliveryRequested: false);
            state.Position = Math.Max(state.Position, sequence);
            return new(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Page<ParkedBillingEvent>> ListParkedEventsAsync(string? handler, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var after = ParkedCursor.Decode(cursor);
        lock (_gate)
        {
            var items = _handlers
                .Where(h => handler is null || h.Key == handler)
                .OrderBy(h => h.Key, StringComparer.Ordinal)
                .SelectMany(h => h.Value.Parked.Values)
                .Where(p => after is not { } a || ParkedCursor.IsAfter(p, a))
                .Take(limit + 1)
                .ToList();
            return new(PageOf(items, limit, ParkedCursor.Encode));
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> RequestRedeliveryAsync(string handler, long? sequence, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_handlers.TryGetValue(handler, out var state))
            {
                return new(0);
            }

            var marked = 0;
            foreach (var parked in state.Parked.Values.Where(p => sequence is null || p.Stored.Sequence == sequence).ToArray())
            {
                state.Parked[parked.Stored.Sequence] = parked with { RedeliveryRequested = true };
                marked++;
            }

            return new(marked);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ParkedBillingEvent>> ReadRedeliveriesAsync(string handler, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            return new(_handlers.TryGetValue(handler, out var state)
                ? state.Parked.Values.Where(p => p.RedeliveryRequested).Take(limit).ToArray()
                : []);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> CompleteRedeliveryAsync(string handler, string owner, long sequence, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!Holds(handler, owner, out var state))
            {
                return new(false);
            }

            state.Parked.Remove(sequence);
            return new(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<EventHandlerCheckpoint>> ListEventHandlersAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_handlers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => CheckpointOf(h.Key, h.Value)).ToArray());
        }
    }

    private bool Holds(string handler, string owner, out HandlerState state) =>
        _handlers.TryGetValue(handler, out state!) && state.Owner == owner;

    private static EventHandlerCheckpoint CheckpointOf(string handler, HandlerState state) => new(
        handler,
        state.Position == 0 ? null : state.Position.ToString(CultureInfo.InvariantCulture),
        state.Owner,
        state.Owner is null ? null : state.ExpiresAt,
        state.Parked.Count);

    private sealed class HandlerState
    {
        public long Position { get; set; }

        public string? Owner { get; set; }

        public Instant ExpiresAt { get; set; }

        public SortedDictionary<long, ParkedBillingEvent> Parked { get; } = [];
    }
}
