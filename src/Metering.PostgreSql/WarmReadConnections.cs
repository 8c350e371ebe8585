using System.Data;
using Npgsql;

namespace Metering.PostgreSql;

/// <summary>
/// The connections of the store's hot single-statement reads, reused newest first.
/// </summary>
/// <remarks>
/// Npgsql's pool hands its idle connections out oldest first (a queue). After a burst that opened many connections
/// (64 concurrent recorders, say), reads that follow one another therefore rotate through every one of those server
/// backends, each with cold plan, catalog and CPU caches: on the 2-core benchmark host that cost ~100 µs per
/// current-usage read at the median and doubled its p99 (benchmarks/README.md). This keeps up to
/// <see cref="PostgreSqlStoreOptions.WarmReadConnections"/> connections open between reads and hands out the most
/// recently used one first, so a steady read load stays on a few warm backends. A kept connection unused for
/// <see cref="PostgreSqlStoreOptions.WarmReadConnectionIdleLifetime"/> goes back to the pool, so a store that stops
/// reading holds none; one the server closed while it waited (a restart, a failover) is dropped and the read runs once
/// more on a connection from the pool. Only statements outside a transaction run here: a kept connection never holds
/// a transaction, a lock or session state between reads.
/// </remarks>
internal sealed class WarmReadConnections : IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _capacity;
    private readonly TimeSpan _idleLifetime;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<(NpgsqlConnection Connection, long KeptAt)> _kept = []; // oldest first, newest last
    private readonly ITimer? _trim;
    private bool _disposed;

    public WarmReadConnections(NpgsqlDataSource dataSource, int capacity, TimeSpan idleLifetime, TimeProvider time)
    {
        _dataSource = dataSource;
        _capacity = capacity;
        _idleLifetime = idleLifetime;
        _time = time;
        _trim = capacity > 0 ? time.CreateTimer(static state => ((WarmReadConnections)state!).Trim(), this, idleLifetime, idleLifetime) : null;
    }

    /// <summary>
    /// Runs <paramref name="read"/> (one statement, no transaction) on the most recently used kept connection, or on
    /// one from the pool, and keeps the connection for the next read when it succeeded. <paramref name="read"/> may run
    /// twice (the second time on a fresh connection) when the kept one turns out to be closed by the server, so it must
    /// build its result from scratch on each call.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = TakeNewest();
        bool kept = connection is not null;
        while (true)
        {
            connection ??= await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await read(connection).ConfigureAwait(false);
                Keep(connection);
                return result;
            }
            catch (NpgsqlException) when (kept && connection.FullState != ConnectionState.Open && !cancellationToken.IsCancellationRequested)
            {
                // The server closed the kept connection while it waited: nothing was read, so read again on a fresh one.
                await connection.DisposeAsync().ConfigureAwait(false);
                connection = null;
                kept = false;
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Gives every kept connection back to the pool; connections in use go back when their read ends.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var connection in Drain())
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose()
    {
        foreach (var connection in Drain())
        {
            connection.Dispose();
        }
    }

    private NpgsqlConnection? TakeNewest()
    {
        lock (_gate)
        {
            if (_kept.Count == 0)
            {
                return null;
            }

            var newest = _kept[^1].Connection;
            _kept.RemoveAt(_kept.Count - 1);
            return newest;
        }
    }

    private void Keep(NpgsqlConnection connection)
    {
        lock (_gate)
        {
            if (!_disposed && _kept.Count < _capacity && connection.FullState == ConnectionState.Open)
            {
                _kept.Add((connection, _time.GetTimestamp()));
                return;
            }
        }

        // Closing a pooled connection outside a transaction returns it to the pool without a round trip.
        connection.Dispose();
    }

    private void Trim()
    {
        List<NpgsqlConnection>? idle = null;
        lock (_gate)
        {
            int expired = 0;
            while (expired < _kept.Count && _time.GetElapsedTime(_kept[expired].KeptAt) >= _idleLifetime)
            {
                (idle ??= []).Add(_kept[expired].Connection);
                expired++;
            }

            _kept.RemoveRange(0, expired);
        }

        foreach (var connection in idle ?? [])
        {
            try
            {
                connection.Dispose();
            }
            catch (Exception exception) when (exception is NpgsqlException or ObjectDisposedException or InvalidOperationException)
            {
                // A timer callback must not throw: an idle connection that fails to close (its data source disposed
                // meanwhile, its socket gone) is dropped all the same, and nothing waits on it.
            }
        }
    }

    private List<NpgsqlConnection> Drain()
    {
        lock (_gate)
        {
            _disposed = true;
            _trim?.Dispose();
            var all = _kept.Select(k => k.Connection).ToList();
            _kept.Clear();
            return all;
        }
    }
}
