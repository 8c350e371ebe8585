using System.Threading.Channels;
using Metering.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Metering.Sqlite.Storage;

/// <summary>A failure of whole write transactions: the cause and how many groups in a row failed.</summary>
/// <param name="Exception">The last cause.</param>
/// <param name="ConsecutiveGroups">Groups that failed in a row since the last commit.</param>
internal sealed record WriterFault(Exception Exception, int ConsecutiveGroups);

/// <summary>
/// The single writer of one store: a loop that takes every queued write request, runs them in ONE transaction
/// (group commit) on its own connection, and completes each caller only after COMMIT. Requests that run caller
/// callbacks get a SAVEPOINT, so one failing callback fails only its own request.
/// </summary>
/// <remarks>
/// <para>The writer is the only mutator of the database in this process, so it keeps write-through caches (subscriptions,
/// ledgers) and write-behind aggregates (<see cref="AggregateCache"/>, flushed once per group, before COMMIT). Another
/// process writing the same file is detected with <c>PRAGMA data_version</c> at the start of each group, which drops
/// every cache.</para>
/// <para>This file holds the loop; the writes of each area are in <c>SqliteWriter.*.cs</c>. SQL runs two ways: the
/// statements run per record or per closed period are <see cref="RawStatement"/>s (see <see cref="Prepare"/>); every
/// other statement, transaction control included, is a command from <see cref="StatementCache"/>.</para>
/// </remarks>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    // Beyond this many cached periods or subscriptions the caches are dropped between groups (they reload on demand).
    private const int MaxCachedEntries = 250_000;

    private readonly SqliteConnection _connection;
    private readonly WalCheckpointer _checkpointer;
    private readonly Channel<WriteRequest> _queue;
    private readonly int _maxBatchSize;
    private readonly Task _loop;
    private readonly ILogger _logger;
    private readonly UsageKeyIndex _keys;
    private readonly AggregateCache _aggregates;
    private readonly EventLogSignal? _eventsCommitted;

    // The raw statements prepared so far (by Prepare), finalized before the connection closes.
    private readonly List<RawStatement> _statements = [];
    private long _pagesSinceCheckpoint;
    private long _dataVersion;

    // Whether the running transaction appended events (the signal is pulsed after its COMMIT).
    private bool _eventsAppended;

    // The readers' ledger cache, and the latest ledger of each customer the running transaction changed: published to
    // it after COMMIT only (a group burning credits per record changes one ledger many times; it is published once).
    private readonly BoundedCache<string, CreditLedger>? _committedLedgers;
    private readonly Dictionary<string, CreditLedger> _changedLedgers = new(StringComparer.Ordinal);
    private volatile WriterFault? _fault;

    public SqliteWriter(
        SqliteConnection connection,
        SqliteConnection checkpointConnection,
        SqliteStoreOptions options,
        ILogger? logger = null,
        EventLogSignal? eventsCommitted = null,
        BoundedCache<string, CreditLedger>? committedLedgers = null)
    {
        _connection = connection;
        _eventsCommitted = eventsCommitted;
        _committedLedgers = committedLedgers;
        _appendState = new AppendState(this);
        _keys = new UsageKeyIndex(connection);
        _aggregates = new AggregateCache(connection);
        _logger = logger ?? NullLogger.Instance;
        _checkpointer = new WalCheckpointer(checkpointConnection, options, _logger);
        _maxBatchSize = options.MaxBatchSize;
        _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        _dataVersion = ReadDataVersion();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues <paramref name="work"/> and completes after the transaction that ran it committed.</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    public async ValueTask<T> ExecuteAsync<T>(Func<SqliteWriter, T> work, int weight, bool usesSavepoint, CancellationToken cancellationToken)
    {
        var request = new WriteRequest<T>(work, weight, usesSavepoint, cancellationToken);
        try
        {
            await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(SqliteMeteringStore), "The SQLite metering store was disposed; resolve a live one.");
        }

        // Not WaitAsync(cancellationToken): once queued, the request may be running and must not outlive its caller's buffers.
        return await request.Task.ConfigureAwait(false);
    }

    /// <summary>Write requests waiting for the writer (a gauge for telemetry).</summary>
    public int QueueDepth => _queue.Reader.CanCount ? _queue.Reader.Count : 0;

    /// <summary>The last failure of a whole transaction, or null when the last transaction committed.</summary>
    public WriterFault? Fault => _fault;

    /// <summary>Test hook: called with "commit" before COMMIT and "rollback" before ROLLBACK; an exception it returns is thrown there.</summary>
    internal Func<string, Exception?>? InjectFault { get; set; }

    /// <summary>The writer's checkpointer (tests slow its PASSIVE checkpoints down to stand for a slow disk).</summary>
    internal WalCheckpointer Checkpointer => _checkpointer;

    /// <summary>Stops taking requests, lets the loop commit what is queued, and waits for it to close the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        BeginDispose();
        await _loop.ConfigureAwait(false);
    }

    /// <summary>Stops taking requests; the loop commits what is queued and then closes the connection.</summary>
    public void BeginDispose() => _queue.Writer.TryComplete();

    // ---- the loop --------------------------------------------------------------------------------------

    private async Task RunAsync()
    {
        try
        {
            await DrainAsync().ConfigureAwait(false);
        }
        finally
        {
            // Raw statements are finalized here; the cached commands die with the connection.
            _keys.Dispose();
            _aggregates.Dispose();
            foreach (var statement in _statements)
            {
                statement.Dispose();
            }

            StatementCache.Release(_connection);
            _connection.Dispose();
            await _checkpointer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task DrainAsync()
    {
        var reader = _queue.Reader;
        var group = new List<WriteRequest>();
        int lastGroupSize = 0;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Callers acknowledged by the last commit are about to send their next writes: give them thread-pool turns
            // (no timer) while the queue still grows, so the next group commits them together instead of one by one.
            for (int turn = 0, queued = reader.Count; turn < 8 && queued < lastGroupSize; turn++)
            {
                await Task.Yield();
                if (reader.Count == queued)
                {
                    break;
                }

                queued = reader.Count;
            }

            group.Clear();
            int weight = 0;
            while (weight < _maxBatchSize && reader.TryRead(out var request))
            {
                if (request.CancellationToken.IsCancellationRequested)
                {
                    request.Cancel();
                    continue;
                }

                group.Add(request);
                weight += request.Weight;
            }

            lastGroupSize = group.Count;
            if (group.Count > 0)
            {
                try
                {
                    CommitGroup(group);
                }
                catch (Exception exception)
                {
                    // Nothing may end the loop while the store is open: callers would wait forever. Fail this group
                    // with the cause and go on; the next group starts a fresh transaction (and succeeds once the cause is gone).
                    try
                    {
                        TryRollback();
                    }
                    catch (Exception)
                    {
                        // The connection cannot even roll back: the next BEGIN reports the cause to its callers.
                    }

                    ClearCaches();
                    FailGroup(group, exception);
                }
            }
        }
    }

    private void CommitGroup(List<WriteRequest> group)
    {
        if (_aggregates.PeriodCount > MaxCachedEntries || _subscriptions.Count > MaxCachedEntries || _ledgers.Count > MaxCachedEntries)
        {
            ClearCaches();
        }

        while (group.Count > 0)
        {
            WriteRequest? running = null;
            try
            {
                if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0)
                {
                    // A transaction left open by a rollback that failed earlier: end it, or BEGIN would fail forever.
                    Sql("ROLLBACK").ExecuteNonQuery();
                }

                Sql("BEGIN IMMEDIATE").ExecuteNonQuery();
                _eventsAppended = false;
                _changedLedgers.Clear();
                var version = ReadDataVersion();
                if (version != _dataVersion)
                {
                    // Another connection (another process) committed since our last group: our caches may be stale.
                    ClearCaches();
                    _dataVersion = version;
                }

                foreach (var request in group)
                {
                    request.Reset();
                    if (request.UsesSavepoint)
                    {
                        RunInSavepoint(request);
                    }
                    else
                    {
                        running = request;
                        request.Execute(this);
                        running = null;
                    }
                }

                _aggregates.Flush();
                _keys.IndexIfDue();
                ThrowInjected("commit");
                Sql("COMMIT").ExecuteNonQuery();
            }
            catch (Exception exception)
            {
                TryRollback();
                ClearCaches();
                if (running is not null)
                {
                    // Only that request failed: report it and run the others again in a fresh transaction.
                    running.Fail(exception);
                    group.Remove(running);
                    continue;
                }

                FailGroup(group, exception);
                return;
            }

            // Recovered before the callers hear of it: a caller whose write succeeded never sees the fault still standing.
            if (_fault is { } recovered)
            {
                _fault = null;
                SqliteLog.WriterRecovered(_logger, _connection.DataSource, recovered.ConsecutiveGroups);
            }

            PublishCommittedLedgers();
            foreach (var request in group)
            {
                request.Complete();
            }

            if (_eventsAppended)
            {
                // After COMMIT, never before: a woken dispatcher must find the events.
                _eventsCommitted?.Pulse();
            }


            CountLogPages();
            _checkpointer.RestartLogIfDue(_connection);
            return;
        }
    }

    private void RunInSavepoint(WriteRequest request)
    {
        // Nothing may be pending in the caches when a savepoint may roll back: drop them instead of undoing them.
        _aggregates.Flush();
        Sql("SAVEPOINT request").ExecuteNonQuery();
        try
        {
            request.Execute(this);
        }
        catch (Exception exception) when (exception is not SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_NOMEM })
        {
            Sql("ROLLBACK TO request").ExecuteNonQuery();
            Sql("RELEASE request").ExecuteNonQuery();
            ClearCaches();
            request.MarkFailed(exception);
            return;
        }

        Sql("RELEASE request").ExecuteNonQuery();
    }

    private void TryRollback()
    {
        try
        {
            ThrowInjected("rollback");
            Sql("ROLLBACK").ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // SQLite already rolled the transaction back (e.g. after an I/O error): nothing to undo.
        }
    }

    private void ThrowInjected(string point)
    {
        if (InjectFault?.Invoke(point) is { } fault)
        {
            throw fault;
        }
    }

    // The whole transaction failed: every caller of the group gets one error that names the cause and the way out.
    private void FailGroup(List<WriteRequest> group, Exception exception)
    {
        var previous = _fault;
        var fault = new WriterFault(exception, (previous?.ConsecutiveGroups ?? 0) + 1);
        _fault = fault;
        SqliteLog.WriterFaulted(_logger, exception, _connection.DataSource, group.Count, fault.ConsecutiveGroups);
        var error = new MeteringException(
            MeteringErrorCode.StoreUnavailable,
            $"The SQLite store '{_connection.DataSource}' could not commit a write transaction ({exception.Message}); nothing of it was stored. " +
            "Fix the cause (disk full or failing, file permissions, a lock held too long by another process) and retry: the store recovers on its own.",
            exception);
        foreach (var request in group)
        {
            request.Fail(error);
        }
    }

    private void CountLogPages()
    {
        SQLitePCL.raw.sqlite3_db_status(_connection.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out int written, out _, 1);
        _pagesSinceCheckpoint += written;
        if (_pagesSinceCheckpoint >= _checkpointer.PagesBetweenCheckpoints)
        {
            _pagesSinceCheckpoint = 0;
            _checkpointer.Signal();
        }
    }

    private long ReadDataVersion() => (long)Sql("PRAGMA data_version").ExecuteScalar()!;

    private void ClearCaches()
    {
        _appendState.Reset();
        _keys.Reset();
        _aggregates.Clear();
        _subscriptions.Clear();
        _ledgers.Clear();
        _changedLedgers.Clear();
    }

    /// <summary>A command of <see cref="StatementCache"/> on the writer's connection.</summary>
    private SqliteCommand Sql(string sql, params ReadOnlySpan<string> parameterNames) => StatementCache.Get(_connection, sql, parameterNames);

    /// <summary>
    /// Prepares a <see cref="RawStatement"/> on the writer's connection, finalized when the writer stops. Area files keep
    /// it in a field next to the code that binds it (<c>var insert = _insertX ??= Prepare("...")</c>).
    /// </summary>
    private RawStatement Prepare(string sql)
    {
        var statement = new RawStatement(_connection, sql);
        _statements.Add(statement);
        return statement;
    }
}
