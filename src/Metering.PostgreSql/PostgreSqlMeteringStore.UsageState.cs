using Metering.Storage;

namespace Metering.PostgreSql;

// The current-usage read in one round trip, on a warm connection: the subscription, its current period's aggregates and
// its customer's ledger version in one statement (one snapshot); the subscription's document only when its revision is
// not the cached one, and the ledger from the store's cache when the version matches.
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask<CurrentUsageState?> ReadCurrentUsageStateAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        var (subscription, ledgerVersion, aggregates) = await _warm.ReadAsync(
            async connection =>
            {
                Subscription? subscription = null;
                long? ledgerVersion = null;
                var aggregates = new List<StoredAggregate>();
                var known = _subscriptions.GetValueOrDefault(subscriptionId);
                await using var command = Command(connection, null, _batchSql.CurrentUsageState);
                command.Parameters.Add(Text(subscriptionId));
                command.Parameters.Add(Long(known?.Revision ?? -1));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    // Columns 0-8: the aggregate (null when the period has none); 9-11: the subscription (its document null
                    // when it is the cached revision); 12: the ledger version.
                    subscription ??= reader.IsDBNull(11) ? known! : ReadSubscription(subscriptionId, reader.GetInt64(10), reader.GetString(11));
                    ledgerVersion ??= reader.IsDBNull(12) ? 0 : reader.GetInt64(12);
                    if (!reader.IsDBNull(0))
                    {
                        var (key, aggregate) = ReadAggregateRow(reader);
                        aggregates.Add(new StoredAggregate(key.Key, aggregate));
                    }
                }

                return (subscription, ledgerVersion, aggregates);
            },
            cancellationToken).ConfigureAwait(false);

        if (subscription is null)
        {
            return null;
        }

        // A handful of rows: ordered here rather than by a sort on the server.
        aggregates.Sort((a, b) => a.Key.CompareTo(b.Key));

        var ledger = ledgerVersion is 0 ? CreditLedger.Empty(subscription.CustomerId)
            : _ledgers.TryGetValue(subscription.CustomerId, out var cached) && cached.LastSequence == ledgerVersion ? cached
            : await LoadLedgerAsync(subscription.CustomerId, cancellationToken).ConfigureAwait(false);
        return new CurrentUsageState(subscription, aggregates, ledger);
    }
}
