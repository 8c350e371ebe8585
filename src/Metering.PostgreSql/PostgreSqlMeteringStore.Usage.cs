using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// A single item joins the group commit (concurrent callers share one transaction); a batch runs in its own
    /// transaction. Either way the transaction locks the subscriptions <c>FOR KEY SHARE</c>, claims the keys by
    /// inserting the raw records (<c>ON CONFLICT DO NOTHING</c>, in key order), locks the credit ledgers and
    /// aggregates it touches <c>FOR UPDATE</c> in key order, decides every item in order with
    /// <see cref="UsageAppendRules"/>, deletes the records of rejected items (their keys were never visibly claimed)
    /// and writes the folded aggregates back.
    /// </remarks>
    public ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Length < items.Length)
        {
            throw new ArgumentException($"The outcomes buffer holds {outcomes.Length} items but {items.Length} were given; pass one outcome slot per item.", nameof(outcomes));
        }

        return items.Length switch
        {
            0 => ValueTask.CompletedTask,
            1 => AppendOneAsync(items.Span[0], outcomes, cancellationToken),
            _ => AppendManyAsync(items, outcomes, cancellationToken),
        };
    }

    private async ValueTask AppendOneAsync(PreparedUsage item, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        var outcome = await _writer.AppendAsync(item, cancellationToken).ConfigureAwait(false);
        outcomes.Span[0] = outcome;
    }

    private async ValueTask AppendManyAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        var array = items.ToArray();
        var results = new UsageOutcome[array.Length];
        await AppendGroupAsync(array, results, null, cancellationToken).ConfigureAwait(false);
        results.AsSpan().CopyTo(outcomes.Span);
    }

    /// <summary>
    /// Appends <paramref name="items"/> in one transaction, retried whole when it loses a lock race. The transaction is
    /// driven by hand (BEGIN sent with the locking statements, COMMIT with the writes) so that a typical append costs
    /// two round trips: lock and claim, then write and commit.
    /// </summary>
    /// <param name="items">The items, in arrival order.</param>
    /// <param name="outcomes">One outcome slot per item.</param>
    /// <param name="writer">The connection of a group-commit writer, kept between its transactions; null to use one from the pool.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    private async Task AppendGroupAsync(PreparedUsage[] items, UsageOutcome[] outcomes, WriterConnection? writer, CancellationToken cancellationToken)
    {
        var waves = Waves(items).ToArray();
        for (int attempt = 1; ; attempt++)
        {
            var connection = writer is null
                ? await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false)
                : await writer.GetAsync(cancellationToken).ConfigureAwait(false);
            var work = new AppendWork(items, outcomes) { SingleWave = waves.Length == 1 };
            try
            {
                for (int w = 0; w < waves.Length; w++)
                {
                    await AppendWaveAsync(connection, work, waves[w], first: w == 0, last: w == waves.Length - 1, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                if (!await RollBackQuietlyAsync(connection).ConfigureAwait(false) && writer is not null)
                {
                    // The writer's connection is broken or stuck in a transaction: the next group opens another.
                    await writer.ReleaseAsync().ConfigureAwait(false);
                }

                if (attempt < MaxAttempts && e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure })
                {
                    continue;
                }

                throw;
            }
            finally
            {
                if (writer is null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            foreach (var state in work.Ledgers.Values)
            {
                if (state.HasRow)
                {
                    CacheLedger(state.Current);
                }
            }

            return;
        }
    }

    // True when the connection is open and outside any transaction afterwards.
    private static async Task<bool> RollBackQuietlyAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return false;
        }

        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (NpgsqlException)
        {
            // The connection is broken; the server ends the transaction with the session.
            return false;
        }
    }

    // An idempotency key seen twice in one append is decided after its first occurrence: later occurrences go to a
    // later wave of the same transaction (group commit can bring the same key from two callers).
    private static IEnumerable<int[]> Waves(PreparedUsage[] items)
    {
        var occurrences = new Dictionary<string, int>(items.Length, StringComparer.Ordinal);
        var waveOf = new int[items.Length];
        int waves = 1;
        for (int i = 0; i < items.Length; i++)
        {
            var key = items[i].Record.IdempotencyKey;
            occurrences.TryGetValue(key, out int seen);
            waveOf[i] = seen;
            occurrences[key] = seen + 1;
            waves = Math.Max(waves, seen + 1);
        }

        if (waves == 1)
        {
            yield return [.. Enumerable.Range(0, items.Length)];
            yield break;
        }

        for (int w = 0; w < waves; w++)
        {
            yield return [.. Enumerable.Range(0, items.Length).Where(i => waveOf[i] == w)];
        }
    }

    private async Task AppendWaveAsync(NpgsqlConnection connection, AppendWork work, int[] wave, bool first, bool last, CancellationToken cancellationToken)
    {
        var items = work.Items;
        var outcomes = work.Outcomes;
        wave = RejectUnstorableText(work, wave);

        // 1. One round trip, locks always in this order: subscriptions (FOR KEY SHARE: shared with other ingest,
        //    exclusive of a close), idempotency keys (inserting the records, in key order), credit ledgers
        //    (FOR UPDATE, by customer), aggregates (created when missing, then FOR UPDATE, in key order).
        var customers = new SortedSet<string>(StringComparer.Ordinal);
        var aggregateKeys = new SortedSet<AggregateRowKey>();
        foreach (var i in wave)
        {
            ref readonly var item = ref items[i];
            var periodStart = Instants.Nanos(item.PeriodStart);
            foreach (var target in item.Targets)
            {
                AddIfNew(work, aggregateKeys, new AggregateRowKey(item.SubscriptionId, periodStart, target.Key, target.Aggregation));
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

        var subscriptions = new Dictionary<string, Subscription>(StringComparer.Ordinal);
        var inserted = new HashSet<string>(wave.Length, StringComparer.Ordinal);
        var ledgerVersions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var batch = new NpgsqlBatch(connection) { Timeout = _timeout })
        {
            if (first)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN ISOLATION LEVEL READ COMMITTED"));
            }

            var subscriptionIds = wave.Select(i => items[i].SubscriptionId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var cached = new Subscription?[subscriptionIds.Length];
            var cachedRevisions = new long[subscriptionIds.Length];
            for (int j = 0; j < subscriptionIds.Length; j++)
            {
                cached[j] = _subscriptions.GetValueOrDefault(subscriptionIds[j]);
                cachedRevisions[j] = cached[j]?.Revision ?? -1;
            }

            batch.BatchCommands.Add(BatchCommand(_sql.LockSubscriptionsShared, Texts(subscriptionIds), Longs(cachedRevisions)));
            batch.BatchCommands.Add(InsertRecordsCommand(items, wave));
            if (customers.Count > 0)
            {
                batch.BatchCommands.Add(BatchCommand(_sql.LockLedgers, Texts([.. customers])));
            }

            if (aggregateKeys.Count > 0)
            {
                var subs = aggregateKeys.Select(k => k.SubscriptionId).ToArray();
                var starts = aggregateKeys.Select(k => k.PeriodStart).ToArray();
                var keys = aggregateKeys.Select(k => k.Key.Value).ToArray();
                batch.BatchCommands.Add(BatchCommand(_sql.EnsureAggregates, Texts(subs), Longs(starts), Texts(keys), P(aggregateKeys.Select(k => (short)k.Kind).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Smallint)));
                batch.BatchCommands.Add(BatchCommand(_sql.LockAggregates, Texts(subs), Longs(starts), Texts(keys)));
            }

            // Statements without a result set (BEGIN, the ensuring insert) are skipped by the reader.
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                var subscription = reader.IsDBNull(2)
                    ? cached[Array.BinarySearch(subscriptionIds, id, StringComparer.Ordinal)]!
                    : ReadSubscription(id, reader.GetInt64(1), reader.GetString(2));
                subscriptions[id] = subscription;
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                inserted.Add(reader.GetString(0));
            }

            if (customers.Count > 0)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ledgerVersions[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            if (aggregateKeys.Count > 0)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var (key, aggregate) = ReadAggregateRow(reader);
                    work.Aggregates[key] = aggregate;
                    work.Locations[key] = reader.GetFieldValue<NpgsqlTid>(9);
                }
            }
        }

        if (customers.Count > 0)
        {
            await AddLedgersAsync(connection, work, customers, ledgerVersions, cancellationToken).ConfigureAwait(false);
        }

        // 2. Keys already stored: Duplicate or Conflict against the stored record.
        if (inserted.Count < wave.Length)
        {
            await DecideExistingKeysAsync(connection, work, wave, inserted, cancellationToken).ConfigureAwait(false);
        }

        // 3. A record whose customer is not its subscription's (only when a caller prepares it so) burns from the
        //    subscription's customer: lock that ledger too, before deciding.
        foreach (var i in wave)
        {
            ref readonly var item = ref items[i];
            if (!work.Decided[i] && item.BurnsCredits && subscriptions.TryGetValue(item.SubscriptionId, out var subscription)
                && !work.Ledgers.ContainsKey(subscription.CustomerId))
            {
                var late = new SortedSet<string>(StringComparer.Ordinal) { subscription.CustomerId };
                await AddLedgersAsync(connection, work, late, await LockLedgerVersionsAsync(connection, late, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
        }

        // 4. Decide the remaining items in order, with the rules every store shares.
        var rejectedKeys = new List<string>();
        var state = new AppendState(work, subscriptions);
        foreach (var i in wave)
        {
            if (work.Decided[i])
            {
                continue;
            }

            outcomes[i] = UsageAppendRules.Decide(in items[i], state);
            work.Decided[i] = true;
            if (outcomes[i].Kind != UsageOutcomeKind.Accepted)
            {
                rejectedKeys.Add(items[i].Record.IdempotencyKey);
            }
        }

        var dirty = state.Dirty;

        // 5. One round trip: un-claim rejected keys, write aggregates and credit consumptions, commit.
        await using (var batch = new NpgsqlBatch(connection) { Timeout = _timeout })
        {
            if (rejectedKeys.Count > 0)
            {
                batch.BatchCommands.Add(BatchCommand(_sql.DeleteRecords, Texts([.. rejectedKeys])));
            }

            if (dirty.Count > 0)
            {
                batch.BatchCommands.Add(UpdateAggregatesCommand(work, dirty));
            }

            AddLedgerWrites(batch, work.Ledgers.Values);
            if (last)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // The runtime checks text before a record gets here; a caller of the store itself gets the same typed rejection
    // (PostgreSQL text and jsonb cannot hold U+0000) instead of a failed batch.
    private static int[] RejectUnstorableText(AppendWork work, int[] wave)
    {
        List<int>? kept = null;
        for (int j = 0; j < wave.Length; j++)
        {
            if (UsageRecordRules.CheckText(work.Items[wave[j]].Record) is { } rejection)
            {
                kept ??= [.. wave.Take(j)];
                work.Outcomes[wave[j]] = UsageOutcome.Rejected(rejection);
                work.Decided[wave[j]] = true;
            }
            else
            {
                kept?.Add(wave[j]);
            }
        }

        return kept is null ? wave : [.. kept];
    }

    private static void AddIfNew(AppendWork work, SortedSet<AggregateRowKey> keys, AggregateRowKey key)
    {
        if (!work.Aggregates.ContainsKey(key))
        {
            keys.Add(key);
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

    private async Task DecideExistingKeysAsync(NpgsqlConnection connection, AppendWork work, int[] wave, HashSet<string> inserted, CancellationToken cancellationToken)
    {
        var items = work.Items;
        var missing = wave.Select(i => items[i].Record.IdempotencyKey).Where(k => !inserted.Contains(k)).ToArray();
        var existing = new Dictionary<string, StoredRecord>(missing.Length, StringComparer.Ordinal);
        await using (var command = Command(connection, null, _sql.ExistingRecords))
        {
            command.Parameters.Add(Texts(missing));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var stored = ReadStoredRecord(reader);
                existing[stored.Record.IdempotencyKey] = stored;
            }
        }

        foreach (var i in wave)
        {
            var record = items[i].Record;
            if (!inserted.Contains(record.IdempotencyKey))
            {
                var stored = existing.TryGetValue(record.IdempotencyKey, out var found)
                    ? found
                    : throw new InvalidOperationException($"Usage record key '{record.IdempotencyKey}' is claimed but its record cannot be read.");
                work.Outcomes[i] = UsageAppendRules.ForExistingKey(stored.Record, stored.SubscriptionId, stored.PeriodStart, record);
                work.Decided[i] = true;
            }
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

    private NpgsqlBatchCommand UpdateAggregatesCommand(AppendWork work, HashSet<AggregateRowKey> dirty)
    {
        var keys = dirty.Order().ToArray();
        int n = keys.Length;

        // A row is still where this transaction locked it unless an earlier wave of it updated the row.
        NpgsqlTid[]? locations = work.SingleWave ? new NpgsqlTid[n] : null;
        for (int j = 0; j < n && locations is not null; j++)
        {
            if (!work.Locations.TryGetValue(keys[j], out locations[j]))
            {
                locations = null;
            }
        }

        var values = new decimal[n];
        var counts = new long[n];
        var latest = new long?[n];
        var hasSet = new bool[n];
        var distinct = new string?[n];
        for (int j = 0; j < n; j++)
        {
            var aggregate = work.Aggregates[keys[j]];
            values[j] = aggregate.Value;
            counts[j] = aggregate.RecordCount;
            latest[j] = Instants.Nanos(aggregate.LatestTimestamp);
            hasSet[j] = aggregate.HasSet;
            distinct[j] = aggregate.DistinctValues is { } set ? JsonSerializer.Serialize(set.Order(StringComparer.Ordinal).ToArray()) : null;
        }

        if (locations is not null)
        {
            return BatchCommand(
                _sql.UpdateAggregatesAt,
                Texts(Array.ConvertAll(locations, l => string.Create(CultureInfo.InvariantCulture, $"({l.BlockNumber},{l.OffsetNumber})"))),
                P(values, NpgsqlDbType.Array | NpgsqlDbType.Numeric),
                Longs(counts),
                P(latest, NpgsqlDbType.Array | NpgsqlDbType.Bigint),
                P(hasSet, NpgsqlDbType.Array | NpgsqlDbType.Boolean),
                P(distinct, NpgsqlDbType.Array | NpgsqlDbType.Text));
        }

        return BatchCommand(
            _sql.UpdateAggregates,
            Texts([.. keys.Select(k => k.SubscriptionId)]),
            Longs([.. keys.Select(k => k.PeriodStart)]),
            Texts([.. keys.Select(k => k.Key.Value)]),
            P(values, NpgsqlDbType.Array | NpgsqlDbType.Numeric),
            Longs(counts),
            P(latest, NpgsqlDbType.Array | NpgsqlDbType.Bigint),
            P(hasSet, NpgsqlDbType.Array | NpgsqlDbType.Boolean),
            P(distinct, NpgsqlDbType.Array | NpgsqlDbType.Text));
    }

    private static (AggregateRowKey Key, UsageAggregate Aggregate) ReadAggregateRow(NpgsqlDataReader reader)
    {
        var kind = (Aggregation)reader.GetInt16(3);
        var key = new AggregateRowKey(reader.GetString(0), reader.GetInt64(1), AggregateKey.Parse(reader.GetString(2)), kind);
        var distinct = reader.IsDBNull(8) ? null : JsonSerializer.Deserialize<string[]>(reader.GetString(8));
        var aggregate = UsageAggregate.Restore(
            kind,
            reader.GetDecimal(4),
            reader.GetInt64(5),
            reader.IsDBNull(6) ? null : Instants.At(reader.GetInt64(6)),
            distinct,
            reader.GetBoolean(7));
        return (key, aggregate);
    }

    private static StoredRecord ReadStoredRecord(NpgsqlDataReader reader)
    {
        var record = new UsageRecord(
            reader.GetString(3),
            reader.GetString(4),
            reader.GetDecimal(5),
            Instants.At(reader.GetInt64(6)),
            reader.GetString(0),
            (UsageAction)reader.GetInt16(7),
            StoreDocuments.Properties(reader.IsDBNull(8) ? null : reader.GetString(8)),
            reader.IsDBNull(9) ? null : reader.GetString(9));
        return new StoredRecord(record, reader.GetString(1), Instants.At(reader.GetInt64(2)));
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAggregatesAsync(connection, null, subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
    }

    private async Task<StoredAggregate[]> ReadAggregatesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, _sql.ReadAggregates);
        command.Parameters.Add(Text(subscriptionId));
        command.Parameters.Add(P(Instants.Nanos(periodStart)));
        var list = new List<StoredAggregate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (key, aggregate) = ReadAggregateRow(reader);
            list.Add(new StoredAggregate(key.Key, aggregate));
        }

        return [.. list];
    }

    /// <inheritdoc/>
    public async ValueTask<Page<Instant>> ListUsagePeriodsAsync(string subscriptionId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        var before = PageCursor.Decode(cursor, long.MaxValue);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.UsagePeriods);
        command.Parameters.Add(Text(subscriptionId));
        command.Parameters.Add(P(before));
        command.Parameters.Add(P((long)limit + 1));
        var starts = new List<Instant>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            starts.Add(Instants.At(reader.GetInt64(0)));
        }

        return PageOf(starts, limit, s => Instants.Nanos(s).ToString(CultureInfo.InvariantCulture));
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> ReadUsageRecordsAsync(string subscriptionId, Instant periodStart, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.ReadRecords);
        command.Parameters.Add(Text(subscriptionId));
        command.Parameters.Add(P(Instants.Nanos(periodStart)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadStoredRecord(reader).Record;
        }
    }

    private static Page<T> PageOf<T>(List<T> itemsPlusOne, int limit, Func<T, string> cursorOf) =>
        itemsPlusOne.Count > limit
            ? new Page<T>([.. itemsPlusOne.Take(limit)], cursorOf(itemsPlusOne[limit - 1]))
            : new Page<T>([.. itemsPlusOne], null);

    /// <summary>The key of an aggregate row; ordered as the database orders its primary key (ordinal text). <see cref="Kind"/> is not part of the key.</summary>
    private readonly record struct AggregateRowKey(string SubscriptionId, long PeriodStart, AggregateKey Key, Aggregation Kind) : IComparable<AggregateRowKey>
    {
        public int CompareTo(AggregateRowKey other)
        {
            int c = string.CompareOrdinal(SubscriptionId, other.SubscriptionId);
            if (c == 0)
            {
                c = PeriodStart.CompareTo(other.PeriodStart);
            }

            return c != 0 ? c : Key.CompareTo(other.Key);
        }

        public bool Equals(AggregateRowKey other) =>
            string.Equals(SubscriptionId, other.SubscriptionId, StringComparison.Ordinal) && PeriodStart == other.PeriodStart && Key == other.Key;

        public override int GetHashCode() => HashCode.Combine(SubscriptionId, PeriodStart, Key);
    }

    private readonly record struct StoredRecord(UsageRecord Record, string SubscriptionId, Instant PeriodStart);

    /// <summary>One wave's locked rows as <see cref="UsageAppendRules.Decide"/> sees them; changes stay in memory until step 5 writes them.</summary>
    private sealed class AppendState(AppendWork work, Dictionary<string, Subscription> subscriptions) : IUsageAppendState
    {
        public HashSet<AggregateRowKey> Dirty { get; } = [];

        public Subscription? FindSubscription(string subscriptionId) => subscriptions.GetValueOrDefault(subscriptionId);

        public bool TryGetAggregate(in PreparedUsage item, AggregateKey key, out UsageAggregate aggregate) =>
            work.Aggregates.TryGetValue(RowKey(in item, key, default), out aggregate);

        public void SetAggregate(in PreparedUsage item, AggregateTarget? target, AggregateKey key, UsageAggregate before, UsageAggregate after)
        {
            var row = RowKey(in item, key, after.Kind);
            work.Aggregates[row] = after;
            Dirty.Add(row);
        }

        public CreditLedger GetLedger(string customerId) => work.Ledgers[customerId].Current;

        public void SetLedger(CreditLedger before, CreditLedger after) => work.Ledgers[after.CustomerId].Current = after;

        private static AggregateRowKey RowKey(in PreparedUsage item, AggregateKey key, Aggregation kind) =>
            new(item.SubscriptionId, Instants.Nanos(item.PeriodStart), key, kind);
    }

    /// <summary>The working state of one append transaction.</summary>
    private sealed class AppendWork(PreparedUsage[] items, UsageOutcome[] outcomes)
    {
        public PreparedUsage[] Items { get; } = items;

        public UsageOutcome[] Outcomes { get; } = outcomes;

        public bool[] Decided { get; } = new bool[items.Length];

        public Dictionary<AggregateRowKey, UsageAggregate> Aggregates { get; } = [];

        /// <summary>Where each aggregate row was when this transaction locked it (ctid).</summary>
        public Dictionary<AggregateRowKey, NpgsqlTid> Locations { get; } = [];

        /// <summary>True when the append is one wave, so no row is updated twice and every location stays valid.</summary>
        public bool SingleWave { get; init; }

        public Dictionary<string, LedgerState> Ledgers { get; } = new(StringComparer.Ordinal);
    }
}
