using Metering.Sqlite.Serialization;
using Metering.Sqlite.Storage;
using Metering.Storage;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite;

// The current-usage read on one read connection in one snapshot: the subscription (its document decoded once per
// revision), its current period's aggregates and its customer's ledger.
public sealed partial class SqliteMeteringStore
{
    // Decoded subscription documents by id, with the revision they were read at; a newer revision is decoded again.
    // At most SqliteStoreOptions.CacheCapacity of them, the least recently read dropped first.
    private readonly BoundedCache<string, (long Revision, Subscription Subscription)> _subscriptionDocs;

    /// <summary>How many decoded subscriptions the current-usage read keeps now (tests).</summary>
    internal int CachedSubscriptionCount => _subscriptionDocs.Count;

    /// <inheritdoc/>
    public ValueTask<CurrentUsageState?> ReadCurrentUsageStateAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        return ReadAsync(c => ReadCurrentUsageState(c, subscriptionId), cancellationToken, snapshot: true);
    }

    private CurrentUsageState? ReadCurrentUsageState(SqliteConnection connection, string subscriptionId)
    {
        if (ReadSubscriptionCached(connection, subscriptionId) is not { } subscription)
        {
            return null;
        }

        var aggregates = StoreQueries.LoadAggregates(connection, subscriptionId, SqliteValues.Nanos(subscription.CurrentPeriod.Start));
        var ledger = ReadLedgerCached(connection, subscription.CustomerId);
        return new CurrentUsageState(subscription, aggregates, ledger);
    }

    /// <summary>
    /// A stored subscription, its document decoded once per revision. For a subscription kept decoded only the stored
    /// revision is read, from the revision index (schema version 12): small entries instead of the subscription's own
    /// page. The row is read when none is kept or the revision changed.
    /// </summary>
    private Subscription? ReadSubscriptionCached(SqliteConnection connection, string subscriptionId)
    {
        if (_subscriptionDocs.TryGetValue(subscriptionId, out var cached))
        {
            var revision = StatementCache.Raw(connection, "SELECT revision FROM subscriptions INDEXED BY ix_subscriptions_revision WHERE subscription_id = ?1");
            revision.Bind(1, subscriptionId);
            try
            {
                if (!revision.Read())
                {
                    return null;
                }

                if (revision.GetInt64(0) == cached.Revision)
                {
                    return cached.Subscription;
                }
            }
            finally
            {
                revision.Reset();
            }
        }

        // In the same read transaction as a revision read above, so the row read is at least that revision.
        var row = StatementCache.Raw(connection, "SELECT revision, data FROM subscriptions WHERE subscription_id = ?1");
        row.Bind(1, subscriptionId);
        try
        {
            if (!row.Read())
            {
                return null;
            }

            var subscription = StoreDocuments.ToSubscription(row.GetUtf8(1));
            _subscriptionDocs.Set(subscriptionId, (row.GetInt64(0), subscription));
            return subscription;
        }
        finally
        {
            row.Reset();
        }
    }
}
