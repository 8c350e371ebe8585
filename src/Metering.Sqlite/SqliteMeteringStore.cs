using System.Collections.Concurrent;
using System.Globalization;
using Dapper;
using Metering.Sqlite.Storage;
using Metering.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Metering.Sqlite;

/// <summary>
/// The embedded SQLite store: one database file in WAL mode, with the same semantics as the in-memory reference store.
/// </summary>
/// <remarks>
/// <para>All writes of one store instance go through a single writer that group-commits every queued request in one
/// transaction and acknowledges each caller only after COMMIT (so an acknowledged record is durable as configured by
/// <see cref="SqliteStoreOptions.Synchronous"/>, and a failed transaction stores nothing). Reads use a small pool of
/// read-only connections and never wait for the writer.</para>
/// <para>Several processes may open the same file: their writers take turns on SQLite's write lock, waiting up to
/// <see cref="SqliteStoreOptions.BusyTimeout"/>.</para>
/// <para>Money and quantities are stored as exact decimal text, instants as INTEGER unix nanoseconds (so timestamps
/// must lie between 1677 and 2262). The schema is created and migrated on first use; a database written by a newer
/// version of this library is refused with a <see cref="MeteringException"/>.</para>
/// </remarks>
public sealed partial class SqliteMeteringStore : IMeteringStore, IMeteringStoreHealth, IEventLogSignal, IAsyncDisposable, IDisposable
{
    // This file: construction, opening (pragmas, migration, writer), reads and writes plumbing, lifetime. The operations
    // are in SqliteMeteringStore.{Catalog,Usage,Invoices,Credits,Events}.cs; the writes themselves in Storage/SqliteWriter.*.cs.
    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly ConcurrentDictionary<(string Key, int Version), Plan> _plans = new();
    private readonly EventLogSignal _eventsCommitted = new();
    private volatile SqliteWriter? _writer;
    private ReadConnectionPool? _reads;
    private bool _disposed;

    /// <summary>Creates a store on a database file; nothing is opened until first use.</summary>
    /// <param name="connectionStringOrPath">A file path, or a Microsoft.Data.Sqlite connection string (contains <c>=</c>).</param>
    /// <param name="options">Durability, busy timeout, batch size and queue capacity; defaults when null.</param>
    /// <exception cref="ArgumentException">The path is blank or names an in-memory database.</exception>
    /// <exception cref="MeteringException">An option is out of range; the message names each bad one.</exception>
    public SqliteMeteringStore(string connectionStringOrPath, SqliteStoreOptions? options = null)
    {
        _connectionString = NormalizeConnectionString(connectionStringOrPath);

        // A copy: options changed by the caller after this point can neither skip validation nor change a running store.
        _options = (options ?? new SqliteStoreOptions()).Clone();
        var problems = SqliteStoreOptionsValidator.Check(_options);
        if (problems.Count > 0)
        {
            throw new MeteringException(MeteringErrorCode.Configuration, string.Join(" ", problems));
        }

        DataSource = new SqliteConnectionStringBuilder(_connectionString).DataSource;
        _subscriptionDocs = new BoundedCache<string, (long Revision, Subscription Subscription)>(_options.CacheCapacity, StringComparer.Ordinal);
        _ledgerReads = new BoundedCache<string, CreditLedger>(_options.CacheCapacity, StringComparer.Ordinal);
    }

    /// <summary>Where the store logs (set by <c>UseSqlite</c> from the host's logger factory).</summary>
    internal ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>The store's instruments, disposed with it (set by <c>UseSqlite</c>).</summary>
    internal IDisposable? Telemetry { get; set; }

    /// <summary>The writer, once started (telemetry, health checks and fault-injection tests).</summary>
    internal SqliteWriter? Writer => _writer;

    /// <inheritdoc/>
    public Exception? CurrentFault => _writer?.Fault?.Exception;

    /// <summary>The database file.</summary>
    public string DataSource { get; }

    /// <summary>The schema version this library creates and reads.</summary>
    public static int SchemaVersion => SchemaMigrator.LatestVersion;

    /// <inheritdoc/>
    public async ValueTask InitializeAsync(CancellationToken cancellationToken) => await WriterAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Stops the writer after it committed every queued request, and closes all connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _startLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_writer is { } writer)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }

            _reads?.Dispose();
            Telemetry?.Dispose();
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>
    /// Stops accepting writes and closes the read connections; the writer finishes the queued requests and closes its
    /// connection in the background. Prefer <see cref="DisposeAsync"/>, which waits for it.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _writer?.BeginDispose();
        _reads?.Dispose();
        Telemetry?.Dispose();
    }

    internal static string NormalizeConnectionString(string connectionStringOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrPath);
        var builder = connectionStringOrPath.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(connectionStringOrPath)
            : new SqliteConnectionStringBuilder { DataSource = connectionStringOrPath };
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException(
                $"The SQLite store needs a database file, but '{connectionStringOrPath}' names an in-memory database; pass a file path such as 'billing.db' (use UseInMemoryStore() for tests).",
                nameof(connectionStringOrPath));
        }

        // The store keeps its own long-lived connections; ADO.NET pooling would only keep files open after disposal.
        builder.Pooling = false;
        return builder.ToString();
    }

    private async ValueTask<SqliteWriter> WriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is { } writer)
        {
            return writer;
        }

        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_writer is { } started)
            {
                return started;
            }

            var connection = new SqliteConnection(_connectionString);
            try
            {
                connection.Open();
                connection.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}"));
                // Small pages for a new database (no effect on an existing one): a group commit writes every page it
                // changed to the log, and concurrent recorders change one aggregate row (and one key-index entry) per
                // subscription, each on its own page. 1 KiB pages write a quarter of the bytes of the 4 KiB default.
                connection.Execute("PRAGMA page_size = 1024");
                var mode = connection.ExecuteScalar<string>("PRAGMA journal_mode = WAL");
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new MeteringException(MeteringErrorCode.Configuration, $"SQLite database '{DataSource}' could not switch to WAL mode (it reports '{mode}'); use a local file system that supports shared memory.");
                }

                connection.Execute(_options.Synchronous == SqliteSynchronous.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
                // The writer never checkpoints inside a commit: a background checkpointer does (see WalCheckpointer).
                connection.Execute("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0");
                // When the checkpointer has the log written from its start again, the writer truncates its file to the limit.
                connection.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA journal_size_limit = {_options.WalSizeLimit}"));
                UsageKeyIndex.RegisterFunction(connection);
                SchemaMigrator.Migrate(connection, DataSource, Logger);
            }
            catch (Exception exception)
            {
                SqliteLog.OpenFailed(Logger, exception, DataSource);
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var checkpointConnection = new SqliteConnection(_connectionString);
            checkpointConnection.Open();
            _reads = new ReadConnectionPool(_connectionString, _options.BusyTimeout, Math.Max(4, Environment.ProcessorCount * 2), _options.ReadMemoryMapSize);
            var created = new SqliteWriter(connection, checkpointConnection, _options, Logger, _eventsCommitted, _ledgerReads);
            _writer = created;
            SqliteLog.Opened(Logger, DataSource, SchemaVersion);
            return created;
        }
        finally
        {
            _startLock.Release();
        }
    }

    private async ValueTask<T> WriteAsync<T>(Func<SqliteWriter, T> work, int weight, bool usesSavepoint, CancellationToken cancellationToken)
    {
        var writer = _writer ?? await WriterAsync(cancellationToken).ConfigureAwait(false);
        return await writer.ExecuteAsync(work, weight, usesSavepoint, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken, bool snapshot = false)
    {
        if (_writer is null)
        {
            await WriterAsync(cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var reads = _reads!;
        var connection = reads.Rent();
        try
        {
            if (!snapshot)
            {
                return read(connection);
            }

            // Several queries that must see one committed state.
            StatementCache.Raw(connection, "BEGIN DEFERRED TRANSACTION").Execute();
            try
            {
                return read(connection);
            }
            finally
            {
                StatementCache.Raw(connection, "COMMIT TRANSACTION").Execute();
            }
        }
        finally
        {
            reads.Return(connection);
        }
    }

    private static Page<T> PageOf<T>(List<T> itemsPlusOne, int limit, Func<T, string> cursorOf) =>
        itemsPlusOne.Count > limit
            ? new Page<T>(itemsPlusOne.Take(limit).ToArray(), cursorOf(itemsPlusOne[limit - 1]))
            : new Page<T>(itemsPlusOne.ToArray(), null);
}
