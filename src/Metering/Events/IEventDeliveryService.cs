using Metering.Storage;

namespace Metering;

/// <summary>
/// Operates event delivery: each handler's checkpoint and lease, the events parked for it, and their re-drive after
/// the cause is fixed. A re-driven event is delivered again by whichever instance holds the handler's lease, with its
/// original <see cref="BillingEvent.EventId"/>.
/// </summary>
public interface IEventDeliveryService
{
    /// <summary>Every handler the store has seen (including ones no longer registered), with checkpoint, lease and parked count.</summary>
    ValueTask<IReadOnlyList<EventHandlerCheckpoint>> ListHandlersAsync(CancellationToken cancellationToken = default);

    /// <summary>Parked events of one handler, or of all when <paramref name="handler"/> is null, by handler then sequence.</summary>
    /// <param name="handler">The handler's name, or null.</param>
    /// <param name="cursor">The previous page's NextCursor, or null.</param>
    /// <param name="limit">Page size (1 to 1,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Page<ParkedBillingEvent>> ListParkedAsync(string? handler = null, string? cursor = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Asks for the parked event <paramref name="sequence"/> of <paramref name="handler"/> to be delivered again; false when no such event is parked.</summary>
    ValueTask<bool> RedeliverAsync(string handler, long sequence, CancellationToken cancellationToken = default);

    /// <summary>Asks for every event parked for <paramref name="handler"/> to be delivered again; returns how many.</summary>
    ValueTask<int> RedeliverAllAsync(string handler, CancellationToken cancellationToken = default);
}

/// <summary>The store-backed <see cref="IEventDeliveryService"/>.</summary>
internal sealed class EventDeliveryService(IMeteringStore store, MeteringCatalog catalog) : IEventDeliveryService
{
    public async ValueTask<IReadOnlyList<EventHandlerCheckpoint>> ListHandlersAsync(CancellationToken cancellationToken = default)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListEventHandlersAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Page<ParkedBillingEvent>> ListParkedAsync(string? handler = null, string? cursor = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 1_000)
        {
            throw new MeteringException($"The page size must be between 1 and 1,000, but was {limit}.");
        }

        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListParkedEventsAsync(handler, cursor, limit, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> RedeliverAsync(string handler, long sequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.RequestRedeliveryAsync(handler, sequence, cancellationToken).ConfigureAwait(false) > 0;
    }

    public async ValueTask<int> RedeliverAllAsync(string handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.RequestRedeliveryAsync(handler, null, cancellationToken).ConfigureAwait(false);
    }
}
