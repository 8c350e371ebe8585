using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>
/// Finds the usage record stored under an idempotency key. Keys are indexed in batches: <c>usage_keys</c> (and
/// <c>usage_by_period</c>) cover the records up to <c>usage_index_state.indexed_through</c>; the keys of the records
/// appended since (the tail) are kept in memory. Every <see cref="BatchSize"/> appended records, one statement indexes
/// the tail in key order, which writes far fewer pages than one index entry per insert.
/// </summary>
/// <remarks>Used only by the writer's loop, inside its transaction.</remarks>
internal sealed class UsageKeyIndex : IDisposable
{
    /// <summary>Accepted records between two batches of the index.</summary>
    public const int BatchSize = 10_000;

    private const string LoadTailSql = "SELECT idempotency_key, seq FROM usage_records WHERE seq > (SELECT indexed_through FROM usage_index_state)";

    private const string IndexTailSql =
        """
        INSERT INTO usage_by_period (subscription_id, period_start, seq)
        SELECT subscription_id, period_start, seq FROM usage_records
        WHERE seq > (SELECT indexed_through FROM usage_index_state)
        ORDER BY subscription_id, period_start, seq;
        INSERT INTO usage_keys (idempotency_key, seq)
        SELECT idempotency_key, seq FROM usage_records
        WHERE seq > (SELECT indexed_through FROM usage_index_state)
        ORDER BY idempotency_key;
        UPDATE usage_index_state SET indexed_through = COALESCE((SELECT MAX(seq) FROM usage_records), 0);
        """;

    private readonly SqliteConnection _connection;
    private readonly RawStatement _findIndexed;

    // Keys of the records after indexed_through (not yet in usage_keys), with their seq; null when not loaded (after a
    // rollback or another process's commit it is reloaded from usage_records).
    private Dictionary<string, long>? _tail;
    private int _appendedSinceIndex;

    public UsageKeyIndex(SqliteConnection connection)
    {
        _connection = connection;
        _findIndexed = new RawStatement(connection, "SELECT seq FROM usage_keys WHERE idempotency_key = ?1");
    }

    /// <summary>The seq of the record stored under <paramref name="idempotencyKey"/> (indexed, or in the tail), or null.</summary>
    public long? Find(string idempotencyKey)
    {
        var tail = _tail ?? LoadTail();
        if (tail.TryGetValue(idempotencyKey, out long seq))
        {
            return seq;
        }

        _findIndexed.Bind(1, idempotencyKey);
        return _findIndexed.ExecuteInt64();
    }

    /// <summary>Remembers the key of a record just inserted (its row claims the key) until the next batch indexes it.</summary>
    public void Add(string idempotencyKey, long seq)
    {
        (_tail ?? LoadTail())[idempotencyKey] = seq;
        _appendedSinceIndex++;
    }

    /// <summary>Indexes the tail when a batch is due (called once per group, before COMMIT).</summary>
    public void IndexIfDue()
    {
        if (_appendedSinceIndex < BatchSize)
        {
            return;
        }

        StatementCache.Get(_connection, IndexTailSql).ExecuteNonQuery();
        _appendedSinceIndex = 0;
        _tail?.Clear();
    }

    /// <summary>Forgets the tail (after a rollback, or another process's commit); it reloads on the next lookup.</summary>
    public void Reset() => _tail = null;

    public void Dispose() => _findIndexed.Dispose();

    private Dictionary<string, long> LoadTail()
    {
        var keys = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var reader = StatementCache.Get(_connection, LoadTailSql).ExecuteReader())
        {
            while (reader.Read())
            {
                keys.Add(reader.GetString(0), reader.GetInt64(1));
            }
        }

        _tail = keys;
        // Records another process (or an earlier run) left unindexed count toward the next index batch.
        _appendedSinceIndex = Math.Max(_appendedSinceIndex, keys.Count);
        return keys;
    }
}
