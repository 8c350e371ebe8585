using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

// Appending usage, step 1 (and the reads of steps 2 and 3): what a wave locks and claims before anything is decided.
// Locks are always taken in this order, in every transaction that takes more than one of them: subscriptions
// (FOR KEY SHARE), idempotency keys (record inserts, in key order), credit ledgers (FOR UPDATE, by customer),
// the group periods' advisory locks (by subscription, then period), aggregates (FOR UPDATE, in key order).
public sealed partial class PostgreSqlMeteringStore
{
    /// <summary>
    /// Round trip 1 of a wave (BEGIN with it on the first wave), then the locked ledgers' grants and transactions.
    /// Locks the wave's subscriptions <c>FOR KEY SHARE</c> (shared with other ingest, exclusive of a close), claims
    /// the keys by inserting the records (<c>ON CONFLICT DO NOTHING</c>, in key order), locks the ledgers of the
    /// customers who burn credits <c>FOR UPDATE</c>, creates missing aggregate rows and locks them <c>FOR UPDATE</c>
    /// in key order, and reads every locked row back into <paramref name="work"/>.
    /// </summary>
    private async Task<WaveClaim> LockAndClaimAsync(NpgsqlConnection connection, AppendWork work, int[] wave, bool first, CancellationToken cancellationToken)
    {
        var (customers, aggregateKeys, groupPeriods) = CollectLockTargets(work, wave);
        var claim = new WaveClaim(wave.Length);
        await using (var batch = new NpgsqlBatch(connection) { Timeout = _timeout })
        {
            if (first)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN ISOLATION LEVEL READ COMMITTED"));
            }

            var subscriptionIds = wave.Select(i => work.Items[i].SubscriptionId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var cached = Array.ConvertAll(subscriptionIds, id => _subscriptions.GetValueOrDefault(id));
            batch.BatchCommands.Add(BatchCommand(_sql.LockSubscriptionsShared, Texts(subscriptionIds), Longs(Array.ConvertAll(cached, s => s?.Revision ?? -1))));
            batch.BatchCommands.Add(InsertRecordsCommand(work.Items, wave));
            if (customers.Count > 0)
            {
                batch.BatchCommands.Add(BatchCommand(_sql.LockLedgers, Texts([.. customers])));
            }

            if (groupPeriods.Count > 0)
            {
                var subs = groupPeriods.Select(p => p.SubscriptionId).ToArray();
                var starts = groupPeriods.Select(p => p.PeriodStart).ToArray();
                batch.BatchCommands.Add(BatchCommand(_sql.LockGroupPeriods, Texts(subs), Longs(starts)));
                batch.BatchCommands.Add(BatchCommand(_sql.CountGroups, Texts(subs), Longs(starts)));
            }

            if (aggregateKeys.Count > 0)
            {
                AddAggregateLocks(batch, aggregateKeys);
            }

            // Statements without a result set (BEGIN, the ensuring insert) are skipped by the reader.
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await ReadSubscriptionLocksAsync(reader, claim, subscriptionIds, cached, cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                claim.Inserted.Add(reader.GetString(0));
            }

            if (customers.Count > 0)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    claim.LedgerVersions[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            if (groupPeriods.Count > 0)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    work.GroupCounts[(reader.GetString(0), reader.GetInt64(1))] = checked((int)reader.GetInt64(2));
                }
            }

            if (aggregateKeys.Count > 0)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await ReadAggregateLocksAsync(reader, work, cancellationToken).ConfigureAwait(false);
            }
        }

        if (customers.Count > 0)
        {
            await AddLedgersAsync(connection, work, customers, claim.LedgerVersions, cancellationToken).ConfigureAwait(false);
        }

        return claim;
    }

    // The ledgers, aggregate rows and group periods the wave needs that this transaction has not locked yet (an earlier
    // wave may have). A period is a group period when a record may open a group in it (a group row not locked yet).
    private static (SortedSet<string> Customers, SortedSet<AggregateRowKey> AggregateKeys, SortedSet<(string SubscriptionId, long PeriodStart)> GroupPeriods) CollectLockTargets(AppendWork work, int[] wave)
    {
        var customers = new SortedSet<string>(StringComparer.Ordinal);
        var aggregateKeys = new SortedSet<AggregateRowKey>();
        var groupPeriods = new SortedSet<(string SubscriptionId, long PeriodStart)>(GroupPeriodOrder.Instance);
        foreach (var i in wave)
        {
            ref readonly var item = ref work.Items[i];
            var periodStart = Instants.Nanos(item.PeriodStart);
            foreach (var target in item.Targets)
            {
                var row = new AggregateRowKey(item.SubscriptionId, periodStart, target.Key, target.Aggregation);
                if (target.Key.Kind == AggregateKeyKind.GroupedCharge && !work.Aggregates.ContainsKey(row) && !work.GroupCounts.ContainsKey((item.SubscriptionId, periodStart)))
                {
                    groupPeriods.Add((item.SubscriptionId, periodStart));
                }

                AddIfNew(work, aggregateKeys, row);
                if (target.PrepaidKey is { } prepaidKey)
                {
                    AddIfNew(work, aggregateKeys, new AggregateRowKey(item.SubscriptionId, periodStart, prepaidKey, Aggregation.Sum));
                }
            }

            if (item.BurnsCredits && !work.Ledgers.ContainsKey(item.Record.CustomerId))
            {
                customers.Add(item.Record.CustomerId);
            }
        }

        return (customers, aggregateKeys, groupPeriods);
    }

    // Ordinal, like the database's "C" collation the lock statement sorts by.
    private sealed class GroupPeriodOrder : IComparer<(string SubscriptionId, long PeriodStart)>
    {
        public static readonly GroupPeriodOrder Instance = new();

        public int Compare((string SubscriptionId, long PeriodStart) x, (string SubscriptionId, long PeriodStart) y)
        {
            int bySubscription = string.CompareOrdinal(x.SubscriptionId, y.SubscriptionId);
            return bySubscription != 0 ? bySubscription : x.PeriodStart.CompareTo(y.PeriodStart);
        }
    }

    private static void AddIfNew(AppendWork work, SortedSet<AggregateRowKey> keys, AggregateRowKey key)
    {
        if (!work.Aggregates.ContainsKey(key))
        {
            keys.Add(key);
        }
    }

    // Creates the missing rows (ON CONFLICT DO NOTHING, in key order), then locks them all FOR UPDATE in key order.
    private void AddAggregateLocks(NpgsqlBatch batch, SortedSet<AggregateRowKey> aggregateKeys)
    {
        var subs = aggregateKeys.Select(k => k.SubscriptionId).ToArray();
        var starts = aggregateKeys.Select(k => k.PeriodStart).ToArray();
        var keys = aggregateKeys.Select(k => k.Key.Value).ToArray();
        batch.BatchCommands.Add(BatchCommand(_sql.EnsureAggregates, Texts(subs), Longs(starts), Texts(keys), P(aggregateKeys.Select(k => (short)k.Kind).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Smallint)));
        batch.BatchCommands.Add(BatchCommand(_sql.LockAggregates, Texts(subs), Longs(starts), Texts(keys)));
    }

    // A row without a document is one whose revision the cache already holds.
    private async Task ReadSubscriptionLocksAsync(NpgsqlDataReader reader, WaveClaim claim, string[] subscriptionIds, Subscription?[] cached, CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            var subscription = reader.IsDBNull(2)
                ? cached[Array.BinarySearch(subscriptionIds, id, StringComparer.Ordinal)]!
                : ReadSubscription(id, reader.GetInt64(1), reader.GetString(2));
            claim.Subscriptions[id] = subscription;
        }
    }

    private static async Task ReadAggregateLocksAsync(NpgsqlDataReader reader, AppendWork work, CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (key, aggregate) = ReadAggregateRow(reader);
            work.Aggregates[key] = aggregate;
            work.Locations[key] = reader.GetFieldValue<NpgsqlTid>(9);
        }
    }

    private NpgsqlBatchCommand InsertRecordsCommand(PreparedUsage[] items, int[] wave)
    {
        int n = wave.Length;
        var keys = new string[n];
        var subs = new string[n];
        var starts = new long[n];
        var ordinals = new int[n];
        var customers = new string[n];
        var meters = new string[n];
        var quantities = new decimal[n];
        var timestamps = new long[n];
        var actions = new short[n];
        var properties = new string?[n];
        var recordSubs = new string?[n];
        for (int j = 0; j < n; j++)
        {
            ref readonly var item = ref items[wave[j]];
            var record = item.Record;
            keys[j] = record.IdempotencyKey;
            subs[j] = item.SubscriptionId;
            starts[j] = Instants.Nanos(item.PeriodStart);
            ordinals[j] = j;
            customers[j] = record.CustomerId;
            meters[j] = record.MeterKey;
            quantities[j] = record.Quantity;
            timestamps[j] = Instants.Nanos(record.Timestamp);
            actions[j] = (short)record.Action;
            properties[j] = StoreDocuments.PropertiesJson(record.Properties);
            recordSubs[j] = record.SubscriptionId;
        }

        return BatchCommand(
            _sql.InsertRecords,
            Texts(keys),
            Texts(subs),
            Longs(starts),
            P(ordinals, NpgsqlDbType.Array | NpgsqlDbType.Integer),
            Texts(customers),
            Texts(meters),
            P(quantities, NpgsqlDbType.Array | NpgsqlDbType.Numeric),
            Longs(timestamps),
            P(actions, NpgsqlDbType.Array | NpgsqlDbType.Smallint),
            P(properties, NpgsqlDbType.Array | NpgsqlDbType.Text),
            P(recordSubs, NpgsqlDbType.Array | NpgsqlDbType.Text));
    }

    // Step 2's read: the stored records of the wave's keys that were claimed before (no lock: a stored record never changes).
    private async Task<Dictionary<string, StoredRecord>> ReadExistingRecordsAsync(NpgsqlConnection connection, AppendWork work, int[] wave, HashSet<string> inserted, CancellationToken cancellationToken)
    {
        var missing = wave.Select(i => work.Items[i].Record.IdempotencyKey).Where(k => !inserted.Contains(k)).ToArray();
        var existing = new Dictionary<string, StoredRecord>(missing.Length, StringComparer.Ordinal);
        await using var command = Command(connection, null, _sql.ExistingRecords);
        command.Parameters.Add(Texts(missing));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var stored = ReadStoredRecord(reader);
            existing[stored.Record.IdempotencyKey] = stored;
        }

        return existing;
    }

    // Step 3: a record whose customer is not its subscription's (only when a caller prepares it so) burns from the
    // subscription's customer, whose ledger is then locked FOR UPDATE here, one at a time, before deciding.
    private async Task LockLateLedgersAsync(NpgsqlConnection connection, AppendWork work, int[] wave, Dictionary<string, Subscription> subscriptions, CancellationToken cancellationToken)
    {
        foreach (var i in wave)
        {
            ref readonly var item = ref work.Items[i];
            if (!work.Decided[i] && item.BurnsCredits && subscriptions.TryGetValue(item.SubscriptionId, out var subscription)
                && !work.Ledgers.ContainsKey(subscription.CustomerId))
            {
                var late = new SortedSet<string>(StringComparer.Ordinal) { subscription.CustomerId };
                await AddLedgersAsync(connection, work, late, await LockLedgerVersionsAsync(connection, late, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<Dictionary<string, long>> LockLedgerVersionsAsync(NpgsqlConnection connection, SortedSet<string> customers, CancellationToken cancellationToken)
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = Command(connection, null, _sql.LockLedgers);
        command.Parameters.Add(Texts([.. customers]));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions[reader.GetString(0)] = reader.GetInt64(1);
        }

        return versions;
    }

    // Loads the grants and transactions of ledgers locked above; a customer without a ledger row starts empty.
    private async Task AddLedgersAsync(NpgsqlConnection connection, AppendWork work, SortedSet<string> customers, Dictionary<string, long> versions, CancellationToken cancellationToken)
    {
        var loaded = await LoadLedgersAsync(connection, null, versions, cancellationToken).ConfigureAwait(false);
        foreach (var customerId in customers)
        {
            work.Ledgers[customerId] = versions.TryGetValue(customerId, out var version)
                ? new LedgerState(loaded[customerId], version, hasRow: true)
                : new LedgerState(CreditLedger.Empty(customerId), 0, hasRow: false);
        }
    }

    /// <summary>What round trip 1 of a wave locked and claimed.</summary>
    private sealed class WaveClaim(int waveLength)
    {
        /// <summary>The wave's subscriptions as stored, locked <c>FOR KEY SHARE</c>.</summary>
        public Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

        /// <summary>The keys this wave claimed (its records were inserted); the others were stored before.</summary>
        public HashSet<string> Inserted { get; } = new(waveLength, StringComparer.Ordinal);

        /// <summary>The locked ledgers' versions, by customer (a customer without a ledger row is absent).</summary>
        public Dictionary<string, long> LedgerVersions { get; } = new(StringComparer.Ordinal);
    }
}
