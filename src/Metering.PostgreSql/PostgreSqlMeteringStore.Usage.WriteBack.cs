using System.Globalization;
using System.Text.Json;
using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

// Appending usage, step 5: the second round trip of a wave. It takes no new lock: every row it writes was locked in
// step 1 (aggregates, ledgers FOR UPDATE) or claimed by this transaction (the records it deletes).
public sealed partial class PostgreSqlMeteringStore
{
    /// <summary>
    /// Deletes the records of rejected items (un-claiming their keys, never visible to others), writes the changed
    /// aggregates, the credit consumptions and the events the decisions raised, and commits when this is the last wave;
    /// one round trip.
    /// </summary>
    private async Task WriteBackAsync(NpgsqlConnection connection, AppendWork work, WaveDecisions decided, bool last, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { Timeout = _timeout };
        if (decided.RejectedKeys.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(_sql.DeleteRecords, Texts([.. decided.RejectedKeys])));
        }

        if (decided.Dirty.Count > 0)
        {
            batch.BatchCommands.Add(UpdateAggregatesCommand(work, decided.Dirty));
        }

        AddLedgerWrites(batch, work.Ledgers.Values);
        if (decided.Events.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(_sql.AppendEvents, Texts([.. decided.Events.Select(e => StoreDocuments.Json(e))])));
        }

        if (last)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private NpgsqlBatchCommand UpdateAggregatesCommand(AppendWork work, HashSet<AggregateRowKey> dirty)
    {
        var keys = dirty.Order().ToArray();
        int n = keys.Length;
        var locations = LockedLocations(work, keys);
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

    // A row is still where this transaction locked it unless an earlier wave of it updated the row; null when any
    // location may be stale (then rows are found by primary key).
    private static NpgsqlTid[]? LockedLocations(AppendWork work, AggregateRowKey[] keys)
    {
        if (!work.SingleWave)
        {
            return null;
        }

        var locations = new NpgsqlTid[keys.Length];
        for (int j = 0; j < keys.Length; j++)
        {
            if (!work.Locations.TryGetValue(keys[j], out locations[j]))
            {
                return null;
            }
        }

        return locations;
    }
}
