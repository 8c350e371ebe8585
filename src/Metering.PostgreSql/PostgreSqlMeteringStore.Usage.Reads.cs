using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Metering.Storage;
using Npgsql;

namespace Metering.PostgreSql;

// Reading usage: aggregates, usage periods and raw records. Plain reads, no row locks (the close reads aggregates
// with ReadAggregatesAsync inside its own transaction, under its FOR UPDATE on the subscription).
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        return await _warm.ReadAsync(connection => ReadAggregatesAsync(connection, null, subscriptionId, periodStart, cancellationToken), cancellationToken).ConfigureAwait(false);
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
    /// <remarks>The cursor is the last period start returned, in Unix nanoseconds (as in the SQLite store).</remarks>
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

    // Columns: subscription_id, period_start, aggregate_key, kind, value, record_count, latest_ts, has_set, distinct_values.
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

    // Columns: idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, ts, action, properties, record_subscription_id.
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
}
