using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>
/// Finds the usage record stored under an idempotency key. Keys are indexed in batches: <c>usage_keys</c> (and
/// <c>usage_by_period</c>) cover the records up to <c>usage_index_state.indexed_through</c>; the keys of the records
/// appended since (the tail) are kept in memory. Every <see cref="BatchSize"/> appended records, one statement indexes
/// the tail in key order, which writes far fewer pages than one index entry per insert.
/// A key longer than <see cref="MaxPlainKeyBytes"/> UTF-8 bytes is indexed by its SHA-256 digest (schema version 13):
/// a B-tree copies keys into its interior cells, and a key past an interior cell's local limit (about 230 bytes on
/// 1 KiB pages) is read from overflow pages, outside SQLite's page cache, at every step of every search.
/// </summary>
/// <remarks>Used only by the writer's loop, inside its transaction.</remarks>
internal sealed class UsageKeyIndex : IDisposable
{
    /// <summary>Accepted records between two batches of the index.</summary>
    public const int BatchSize = 10_000;

    /// <summary>Keys up to this many UTF-8 bytes are indexed as they are; longer ones by their SHA-256 digest.</summary>
    public const int MaxPlainKeyBytes = 64;

    /// <summary>The SQL function (registered on the writer's connection) giving a key's indexed form.</summary>
    public const string IndexedKeyFunction = "metering_usage_key";

    private const string LoadTailSql = "SELECT idempotency_key, seq FROM usage_records WHERE seq > (SELECT indexed_through FROM usage_index_state)";

    private const string IndexTailSql =
        """
        INSERT INTO usage_by_period (subscription_id, period_start, seq)
        SELECT subscription_id, period_start, seq FROM usage_records
        WHERE seq > (SELECT indexed_through FROM usage_index_state)
        ORDER BY subscription_id, period_start, seq;
        INSERT INTO usage_keys (idempotency_key, seq)
        SELECT metering_usage_key(idempotency_key), seq FROM usage_records
        WHERE seq > (SELECT indexed_through FROM usage_index_state)
        ORDER BY 1;
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

        if (IsPlain(idempotencyKey, out int length))
        {
            _findIndexed.Bind(1, idempotencyKey);
        }
        else
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            Digest(idempotencyKey, length, digest);
            _findIndexed.Bind(1, digest);
        }

        return _findIndexed.ExecuteInt64();
    }

    /// <summary>Registers <see cref="IndexedKeyFunction"/> on a connection (the writer's, before the schema is migrated).</summary>
    public static void RegisterFunction(SqliteConnection connection) =>
        connection.CreateFunction<string, object>(IndexedKeyFunction, IndexedKey, isDeterministic: true);

    /// <summary>A key's form in <c>usage_keys</c>: the key itself, or the SHA-256 digest of its UTF-8 bytes when longer than <see cref="MaxPlainKeyBytes"/>.</summary>
    public static object IndexedKey(string idempotencyKey)
    {
        if (IsPlain(idempotencyKey, out int length))
        {
            return idempotencyKey;
        }

        var digest = new byte[SHA256.HashSizeInBytes];
        Digest(idempotencyKey, length, digest);
        return digest;
    }

    // True when the key is indexed as it is; else its UTF-8 length. A key of up to a third of the limit in UTF-16 units
    // fits whatever its characters (at most 3 UTF-8 bytes each), so the usual short key is not measured.
    private static bool IsPlain(string idempotencyKey, out int utf8Length)
    {
        utf8Length = idempotencyKey.Length <= MaxPlainKeyBytes / 3 ? 0 : Encoding.UTF8.GetByteCount(idempotencyKey);
        return utf8Length <= MaxPlainKeyBytes;
    }

    private static void Digest(string idempotencyKey, int length, Span<byte> digest)
    {
        byte[]? rented = length > 1_024 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[1_024];
        try
        {
            int written = Encoding.UTF8.GetBytes(idempotencyKey, utf8);
            SHA256.HashData(utf8[..written], digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
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
