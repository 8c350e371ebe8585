using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>
/// Open, read-only connections for queries: WAL lets them read while the writer commits. Kept open between reads so a
/// query costs no open or pragma round trips. <paramref name="memoryMapSize"/> is their <c>PRAGMA mmap_size</c>
/// (<see cref="SqliteStoreOptions.ReadMemoryMapSize"/>, 0 for none).
/// </summary>
internal sealed class ReadConnectionPool(string connectionString, TimeSpan busyTimeout, int maxIdle, long memoryMapSize) : IDisposable
{
    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private volatile bool _disposed;

    public SqliteConnection Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var connection))
        {
            return connection;
        }

        connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}; PRAGMA query_only = 1; PRAGMA mmap_size = {memoryMapSize};");
        pragma.ExecuteNonQuery();
        return connection;
    }

    public void Return(SqliteConnection connection)
    {
        if (_disposed || _idle.Count >= maxIdle)
        {
            Close(connection);
            return;
        }

        _idle.Add(connection);
        if (_disposed && _idle.TryTake(out var late))
        {
            Close(late);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            Close(connection);
        }
    }

    private static void Close(SqliteConnection connection)
    {
        StatementCache.Release(connection);
        connection.Dispose();
    }
}
