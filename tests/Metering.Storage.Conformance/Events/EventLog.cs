using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>Reads a store's whole event log the way a delivering reader would.</summary>
public static class EventLog
{
    /// <summary>
    /// Every event the log holds, in delivery order: pages of 1,000 read one after the other until a read returns none.
    /// One read is not enough on a store that may return a page early and hold later committed events back for a moment
    /// (PostgreSQL's delivery horizon: a transaction of another database finishing while the read runs); the next read
    /// waits for them. Tests assert on the log after their work is done, so they read it to the end.
    /// </summary>
    public static async Task<IReadOnlyList<StoredBillingEvent>> ReadAllEventsAsync(this IMeteringStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var all = new List<StoredBillingEvent>();
        while (true)
        {
            var page = await store.ReadEventsAsync(all.Count == 0 ? null : all[^1].Position, 1_000, cancellationToken);
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page);
        }
    }
}
