using System.Threading.Channels;
using Dapper;
using Metering.Sqlite.Serialization;
using Metering.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Metering.Sqlite.Serialization.SqliteValues;

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
/// The writer is the only mutator of the database in this process, so it keeps write-through caches (subscriptions,
/// ledgers, plans) and write-behind aggregates (flushed once per group, before COMMIT). Another process writing the
/// same file is detected with <c>PRAGMA data_version</c> at the start of each group, which drops every cache.
/// </remarks>
internal sealed class SqliteWriter : IAsyncDisposable
{
    // Beyond this many cached periods or subscriptions the caches are dropped between groups (they reload on demand).
    private const int MaxCachedEntries = 250_000;

    // Accepted records between two batches of the usage_by_period index.
    private const int IndexBatchSize = 10_000;

    private readonly SqliteConnection _connection;
    private readonly WalCheckpointer _checkpointer;
    private long _pagesSinceCheckpoint;
    private int _appendedSinceIndex;

    // Idempotency keys of the records after indexed_through (not yet in usage_keys), with their seq; null when not
    // loaded (after a rollback or another process's commit it is reloaded from usage_records).
    private Dictionary<string, long>? _tailKeys;
    private readonly Channel<WriteRequest> _queue;
    private readonly int _maxBatchSize;
    private readonly Task _loop;

    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CreditLedger> _ledgers = new(StringComparer.Ordinal);
    private readonly Dictionary<PeriodKey, Dictionary<AggregateKey, AggregateEntry>> _periods = [];
    private readonly List<AggregateEntry> _dirty = [];
    private long _dataVersion;
    private readonly ILogger _logger;
    private readonly AppendState _appendState;
    private volatile WriterFault? _fault;

    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _rollback;
    private readonly SqliteCommand _savepoint;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand _rollbackToSavepoint;
    private readonly SqliteCommand _readDataVersion;
    private readonly RawStatement _insertUsage;
    private readonly PreparedCommand _findUsageBySeq;
    private readonly RawStatement _findIndexedKey;
    private readonly SqliteCommand _loadTailKeys;
    private readonly RawStatement _insertAggregate;
    private readonly RawStatement _updateAggregate;
    private readonly PreparedCommand _insertDistinct;
    private readonly RawStatement _insertEvent;
    private readonly RawStatement _insertSubscription;
    private readonly RawStatement _updateSubscription;
    private readonly RawStatement _countInvoices;
    private readonly RawStatement _nextInvoiceNumber;
    private readonly RawStatement _insertInvoice;
    private readonly PreparedCommand _insertTransaction;
    private readonly SqliteCommand _indexUsage;

    public SqliteWriter(SqliteConnection connection, SqliteConnection checkpointConnection, SqliteStoreOptions options, ILogger? logger = null)
    {
        _connection = connection;
        _appendState = new AppendState(this);
        _logger = logger ?? NullLogger.Instance;
        _checkpointer = new WalCheckpointer(checkpointConnection);
        _maxBatchSize = options.MaxBatchSize;
        _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        _begin = Command("BEGIN IMMEDIATE");
        _commit = Command("COMMIT");
        _rollback = Command("ROLLBACK");
        _savepoint = Command("SAVEPOINT request");
        _release = Command("RELEASE request");
        _rollbackToSavepoint = Command("ROLLBACK TO request");
        _readDataVersion = Command("PRAGMA data_version");
        _insertUsage = new RawStatement(
            connection,
            """
            INSERT INTO usage_records (idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action, properties, requested_subscription_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """);
        _findUsageBySeq = new PreparedCommand(connection, $"SELECT {StoreQueries.UsageColumns} FROM usage_records WHERE seq = $seq", "$seq");
        _findIndexedKey = new RawStatement(connection, "SELECT seq FROM usage_keys WHERE idempotency_key = ?1");
        _loadTailKeys = Command("SELECT idempotency_key, seq FROM usage_records WHERE seq > (SELECT indexed_through FROM usage_index_state)");
        _insertAggregate = new RawStatement(
            connection,
            """
            INSERT INTO aggregates (subscription_id, period_start, aggregate_key, kind, value, record_count, latest_timestamp, has_set)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """);
        _updateAggregate = new RawStatement(
            connection,
            """
            UPDATE aggregates SET kind = ?4, value = ?5, record_count = ?6, latest_timestamp = ?7, has_set = ?8
            WHERE subscription_id = ?1 AND period_start = ?2 AND aggregate_key = ?3
            """);
        _insertDistinct = new PreparedCommand(
            connection,
            "INSERT INTO aggregate_distinct (subscription_id, period_start, aggregate_key, value) VALUES ($sub, $period, $key, $value) ON CONFLICT DO NOTHING",
            "$sub", "$period", "$key", "$value");
        _insertEvent = new RawStatement(connection, "INSERT INTO billing_events (data) VALUES (?1)");
        _insertSubscription = new RawStatement(
            connection,
            """
            INSERT INTO subscriptions (subscription_id, customer_id, current_period_end, ended_at, revision, data)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT (subscription_id) DO NOTHING
            """);
        _updateSubscription = new RawStatement(
            connection,
            "UPDATE subscriptions SET customer_id = ?2, current_period_end = ?3, ended_at = ?4, revision = ?5, data = ?6 WHERE subscription_id = ?1");
        _countInvoices = new RawStatement(connection, "SELECT COUNT(*) FROM invoices WHERE subscription_id = ?1 AND period_start = ?2");
        _nextInvoiceNumber = new RawStatement(connection, "SELECT COALESCE(MAX(number), 0) + 1 FROM invoices");
        _insertInvoice = new RawStatement(
            connection,
            "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        _insertTransaction = new PreparedCommand(
            connection,
            "INSERT INTO credit_transactions (customer_id, sequence, grant_id, type, data) VALUES ($customer, $sequence, $grant, $type, $data)",
            "$customer", "$sequence", "$grant", "$type", "$data");

        _indexUsage = Command(
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
            """);
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
            foreach (var command in new[] { _begin, _commit, _rollback, _savepoint, _release, _rollbackToSavepoint, _readDataVersion, _indexUsage, _loadTailKeys })
            {
                command.Dispose();
            }

            foreach (var command in new IDisposable[] { _insertUsage, _findUsageBySeq, _findIndexedKey, _insertAggregate, _updateAggregate, _insertDistinct, _insertEvent, _insertTransaction, _insertSubscription, _updateSubscription, _countInvoices, _nextInvoiceNumber, _insertInvoice })
            {
                command.Dispose();
            }

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
        if (_periods.Count > MaxCachedEntries || _subscriptions.Count > MaxCachedEntries || _ledgers.Count > MaxCachedEntries)
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
                    _rollback.ExecuteNonQuery();
                }

                _begin.ExecuteNonQuery();
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

                FlushAggregates();
                if (_appendedSinceIndex >= IndexBatchSize)
                {
                    _indexUsage.ExecuteNonQuery();
                    _appendedSinceIndex = 0;
                    _tailKeys?.Clear();
                }

                ThrowInjected("commit");
                _commit.ExecuteNonQuery();
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

            foreach (var request in group)
            {
                request.Complete();
            }

            if (_fault is { } recovered)
            {
                _fault = null;
                SqliteLog.WriterRecovered(_logger, _connection.DataSource, recovered.ConsecutiveGroups);
            }

            CountLogPages();
            return;
        }
    }

    private void RunInSavepoint(WriteRequest request)
    {
        // Nothing may be pending in the caches when a savepoint may roll back: drop them instead of undoing them.
        FlushAggregates();
        _savepoint.ExecuteNonQuery();
        try
        {
            request.Execute(this);
        }
        catch (Exception exception) when (exception is not SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_NOMEM })
        {
            _rollbackToSavepoint.ExecuteNonQuery();
            _release.ExecuteNonQuery();
            ClearCaches();
            request.MarkFailed(exception);
            return;
        }

        _release.ExecuteNonQuery();
    }

    private void TryRollback()
    {
        try
        {
            ThrowInjected("rollback");
            _rollback.ExecuteNonQuery();
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
        if (_pagesSinceCheckpoint >= WalCheckpointer.PagesBetweenCheckpoints)
        {
            _pagesSinceCheckpoint = 0;
            _checkpointer.Signal();
        }
    }

    private long ReadDataVersion() => (long)_readDataVersion.ExecuteScalar()!;

    private void ClearCaches()
    {
        _appendState.Reset();
        _tailKeys = null;
        _subscriptions.Clear();
        _ledgers.Clear();
        _periods.Clear();
        _dirty.Clear();
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    // ---- usage -----------------------------------------------------------------------------------------

    /// <summary>Appends usage with the same per-item semantics as the in-memory store.</summary>
    public void AppendUsage(ReadOnlySpan<PreparedUsage> items, Span<UsageOutcome> outcomes)
    {
        for (int i = 0; i < items.Length; i++)
        {
            outcomes[i] = AppendOne(in items[i]);
        }
    }

    private UsageOutcome AppendOne(in PreparedUsage item)
    {
        var record = item.Record;
        long periodStart = Nanos(item.PeriodStart);

        // UTF-8 binding would turn ill-formed text into U+FFFD: a record handed to the store directly gets the runtime's rejection.
        if (UsageRecordRules.CheckText(record) is { } badText)
        {
            return UsageOutcome.Rejected(badText);
        }

        // The key first: a record already stored under it decides the outcome (duplicate or conflict).
        if (FindKey(record.IdempotencyKey) is { } existingSeq)
        {
            var (_, stored, storedSubscriptionId, storedPeriodStart) = FindUsage(existingSeq);
            return UsageAppendRules.ForExistingKey(stored, storedSubscriptionId, storedPeriodStart, record);
        }

        var outcome = UsageAppendRules.Decide(in item, _appendState);
        if (outcome.Kind != UsageOutcomeKind.Accepted)
        {
            return outcome;
        }

        // Accepted: store the record (its row claims the key) and remember the key until it is indexed.
        var insert = _insertUsage;
        insert.Bind(1, record.IdempotencyKey);
        insert.Bind(2, item.SubscriptionId);
        insert.Bind(3, periodStart);
        insert.Bind(4, record.CustomerId);
        insert.Bind(5, record.MeterKey);
        insert.Bind(6, record.Quantity);
        insert.Bind(7, Nanos(record.Timestamp));
        insert.Bind(8, (long)record.Action);
        insert.Bind(9, StoreDocuments.PropertiesJson(record.Properties));
        insert.Bind(10, record.SubscriptionId);
        insert.Execute();
        _tailKeys![record.IdempotencyKey] = SQLitePCL.raw.sqlite3_last_insert_rowid(_connection.Handle);
        _appendedSinceIndex++;
        return outcome;
    }

    /// <summary>The seq of the record stored under <paramref name="idempotencyKey"/> (indexed, or in the tail), or null.</summary>
    private long? FindKey(string idempotencyKey)
    {
        if (_tailKeys is null)
        {
            LoadTailKeys();
        }

        if (_tailKeys!.TryGetValue(idempotencyKey, out long seq))
        {
            return seq;
        }

        _findIndexedKey.Bind(1, idempotencyKey);
        return _findIndexedKey.ExecuteInt64();
    }

    private void LoadTailKeys()
    {
        var keys = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var reader = _loadTailKeys.ExecuteReader())
        {
            while (reader.Read())
            {
                keys.Add(reader.GetString(0), reader.GetInt64(1));
            }
        }

        _tailKeys = keys;
        // Records another process (or an earlier run) left unindexed count toward the next index batch.
        _appendedSinceIndex = Math.Max(_appendedSinceIndex, keys.Count);
    }

    private (long Seq, UsageRecord Record, string SubscriptionId, Instant PeriodStart) FindUsage(long seq)
    {
        _findUsageBySeq[0].Value = seq;
        using var reader = _findUsageBySeq.Command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException($"Usage record {seq} is indexed by its idempotency key but missing.");
        }

        return StoreQueries.ReadUsage(reader);
    }

    // ---- aggregates cache ------------------------------------------------------------------------------

    private Dictionary<AggregateKey, AggregateEntry> GetPeriod(PeriodKey key)
    {
        if (!_periods.TryGetValue(key, out var period))
        {
            period = [];
            foreach (var stored in StoreQueries.LoadAggregates(_connection, key.SubscriptionId, key.PeriodStart))
            {
                period[stored.Key] = new AggregateEntry(key, stored.Key, stored.Aggregate) { Stored = true };
            }

            _periods[key] = period;
        }

        return period;
    }

    private void SetEntry(AggregateEntry entry, UsageAggregate value)
    {
        entry.Value = value;
        if (!entry.Dirty)
        {
            entry.Dirty = true;
            _dirty.Add(entry);
        }
    }

    private void FlushAggregates()
    {
        if (_dirty.Count == 0)
        {
            return;
        }

        foreach (var entry in _dirty)
        {
            // The cache knows whether the row exists (loaded from it, or flushed before): no upsert probing needed.
            var upsert = entry.Stored ? _updateAggregate : _insertAggregate;
            var value = entry.Value;
            upsert.Bind(1, entry.Period.SubscriptionId);
            upsert.Bind(2, entry.Period.PeriodStart);
            upsert.Bind(3, entry.Key.Value);
            upsert.Bind(4, (long)value.Kind);
            upsert.Bind(5, value.Value);
            upsert.Bind(6, value.RecordCount);
            upsert.Bind(7, value.LatestTimestamp is { } latest ? Nanos(latest) : null);
            upsert.Bind(8, value.HasSet ? 1L : 0L);
            upsert.Execute();
            entry.Dirty = false;
            entry.Stored = true;
        }

        _dirty.Clear();
    }

    // ---- catalog and customers -------------------------------------------------------------------------

    public bool UpsertMeter(Meter meter)
    {
        _connection.Execute(
            "INSERT INTO meters (meter_key, data) VALUES (@key, @data) ON CONFLICT (meter_key) DO UPDATE SET data = excluded.data",
            new { key = meter.Key, data = StoreDocuments.Json(meter) });
        return true;
    }

    public Plan PublishPlan(Plan plan)
    {
        var latest = StoreQueries.LoadPlan(_connection, plan.Key, null);
        if (latest is not null && latest.DefinitionEquals(plan))
        {
            return latest;
        }

        var published = plan.WithVersion((latest?.Version ?? 0) + 1);
        _connection.Execute(
            "INSERT INTO plans (plan_key, version, data) VALUES (@key, @version, @data)",
            new { key = published.Key, version = published.Version, data = StoreDocuments.Json(published) });
        return published;
    }

    public bool AddCustomer(Customer customer)
    {
        var insert = StatementCache.Get(
            _connection,
            "INSERT INTO customers (customer_id, name, time_zone_id, created_at) VALUES ($id, $name, $zone, $created) ON CONFLICT (customer_id) DO NOTHING",
            "$id",
            "$name",
            "$zone",
            "$created");
        var parameters = insert.Parameters;
        parameters[0].Value = customer.CustomerId;
        parameters[1].Value = (object?)customer.Name ?? DBNull.Value;
        parameters[2].Value = customer.TimeZoneId;
        parameters[3].Value = Nanos(customer.CreatedAt);
        return insert.ExecuteNonQuery() == 1;
    }

    // ---- subscriptions ---------------------------------------------------------------------------------

    public bool AddSubscription(Subscription subscription, IReadOnlyList<BillingEvent> events)
    {
        var inserted = BindSubscription(_insertSubscription, subscription).Execute() == 1;
        if (inserted)
        {
            _subscriptions[subscription.SubscriptionId] = subscription;
            AppendEvents(events);
        }

        return inserted;
    }

    public bool UpdateSubscription(Subscription updated, IReadOnlyList<BillingEvent> events)
    {
        var stored = GetSubscription(updated.SubscriptionId);
        if (stored is null || stored.Revision != updated.Revision - 1)
        {
            return false;
        }

        StoreSubscription(updated);
        AppendEvents(events);
        return true;
    }

    private void StoreSubscription(Subscription subscription)
    {
        BindSubscription(_updateSubscription, subscription).Execute();
        _subscriptions[subscription.SubscriptionId] = subscription;
    }

    private static RawStatement BindSubscription(RawStatement statement, Subscription subscription)
    {
        statement.Bind(1, subscription.SubscriptionId);
        statement.Bind(2, subscription.CustomerId);
        statement.Bind(3, Nanos(subscription.CurrentPeriod.End));
        statement.Bind(4, Nanos(subscription.EndedAt));
        statement.Bind(5, subscription.Revision);
        statement.Bind(6, StoreDocuments.Json(subscription));
        return statement;
    }

    private Subscription? GetSubscription(string subscriptionId)
    {
        if (_subscriptions.TryGetValue(subscriptionId, out var cached))
        {
            return cached;
        }

        var loaded = StoreQueries.LoadSubscription(_connection, subscriptionId);
        if (loaded is not null)
        {
            _subscriptions[subscriptionId] = loaded;
        }

        return loaded;
    }

    // ---- period close and invoices ---------------------------------------------------------------------

    public PeriodCloseResult ClosePeriod(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide)
    {
        var subscription = GetSubscription(subscriptionId);
        long periodStart = Nanos(expectedPeriodStart);
        if (StoreChangeRules.CheckClose(subscription, expectedPeriodStart, plan, subscription is not null && CountInvoices(subscriptionId, periodStart) > 0) is { } status)
        {
            return new PeriodCloseResult(status, null, subscription);
        }

        var ledger = GetLedger(subscription!.CustomerId);
        var aggregates = GetPeriod(new PeriodKey(subscriptionId, periodStart)).Values
            .Where(e => !e.Value.IsEmpty)
            .Select(e => new StoredAggregate(e.Key, e.Value))
            .OrderBy(a => a.Key)
            .ToArray();
        var decision = StoreChangeRules.DecideClose(new PeriodCloseContext(subscription, plan, aggregates, ledger), decide);

        var number = _nextInvoiceNumber.ExecuteInt64()!.Value;
        var invoice = decision.Invoice with { Number = number };
        var insertInvoice = _insertInvoice;
        insertInvoice.Bind(1, invoice.InvoiceId);
        insertInvoice.Bind(2, number);
        insertInvoice.Bind(3, subscriptionId);
        insertInvoice.Bind(4, invoice.CustomerId);
        insertInvoice.Bind(5, periodStart);
        insertInvoice.Bind(6, StoreDocuments.Json(invoice));
        insertInvoice.Execute();
        StoreSubscription(decision.Next);
        if (decision.LedgerAfter is { } ledgerAfter)
        {
            PersistLedger(ledger, ledgerAfter);
        }

        AppendEvents(decision.Events);
        return new PeriodCloseResult(PeriodCloseStatus.Closed, invoice, decision.Next);
    }

    private long CountInvoices(string subscriptionId, long periodStart)
    {
        _countInvoices.Bind(1, subscriptionId);
        _countInvoices.Bind(2, periodStart);
        return _countInvoices.ExecuteInt64() ?? 0;
    }

    public Invoice? UpdateInvoice(string invoiceId, Func<Invoice, InvoiceTransition> transition)
    {
        var current = StoreQueries.LoadInvoice(_connection, invoiceId);
        if (current is null)
        {
            return null;
        }

        var change = transition(current);
        _connection.Execute("UPDATE invoices SET data = @data WHERE invoice_id = @invoiceId", new { invoiceId, data = StoreDocuments.Json(change.Updated) });
        AppendEvents(change.Events);
        return change.Updated;
    }

    // ---- credits ---------------------------------------------------------------------------------------

    public CreditLedger UpdateLedger(string customerId, Func<CreditLedger, LedgerChange> change)
    {
        var current = GetLedger(customerId);
        var result = StoreChangeRules.DecideLedgerChange(current, change);

        PersistLedger(current, result.Updated);
        AppendEvents(result.Events);
        return result.Updated;
    }

    private CreditLedger GetLedger(string customerId)
    {
        if (!_ledgers.TryGetValue(customerId, out var ledger))
        {
            ledger = StoreQueries.LoadLedger(_connection, customerId);
            _ledgers[customerId] = ledger;
        }

        return ledger;
    }

    private void PersistLedger(CreditLedger before, CreditLedger after)
    {
        if (after.Grants.Count != before.Grants.Count)
        {
            foreach (var grant in after.Grants)
            {
                if (!before.TryGetGrant(grant.GrantId, out _))
                {
                    _connection.Execute(
                        "INSERT INTO credit_grants (customer_id, grant_id, expires_at, data) VALUES (@customerId, @grantId, @expiresAt, @data)",
                        new { customerId = after.CustomerId, grantId = grant.GrantId, expiresAt = Nanos(grant.ExpiresAt), data = StoreDocuments.Json(grant) });
                }
            }
        }

        var insert = _insertTransaction;
        for (int i = before.Transactions.Count; i < after.Transactions.Count; i++)
        {
            var transaction = after.Transactions[i];
            insert[0].Value = after.CustomerId;
            insert[1].Value = transaction.Sequence;
            insert[2].Value = transaction.GrantId;
            insert[3].Value = (int)transaction.Type;
            insert[4].Value = StoreDocuments.Json(transaction);
            insert.Command.ExecuteNonQuery();
        }

        _ledgers[after.CustomerId] = after;
    }

    // ---- events ----------------------------------------------------------------------------------------

    private void AppendEvents(IReadOnlyList<BillingEvent> events)
    {
        foreach (var e in events)
        {
            _insertEvent.Bind(1, StoreDocuments.Json(e));
            _insertEvent.Execute();
        }
    }

    private readonly record struct PeriodKey(string SubscriptionId, long PeriodStart);

    /// <summary>The writer's caches as <see cref="UsageAppendRules.Decide"/> sees them: reads load on demand, writes are write-behind (aggregates) or immediate (ledger rows).</summary>
    private sealed class AppendState(SqliteWriter writer) : IUsageAppendState
    {
        // The period of the current decision (its aggregates are read and written several times per record).
        private PeriodKey _lastKey;
        private Dictionary<AggregateKey, AggregateEntry>? _lastPeriod;

        public Subscription? FindSubscription(string subscriptionId) => writer.GetSubscription(subscriptionId);

        public bool TryGetAggregate(in PreparedUsage item, AggregateKey key, out UsageAggregate aggregate)
        {
            if (PeriodOf(in item).TryGetValue(key, out var entry))
            {
                aggregate = entry.Value;
                return true;
            }

            aggregate = default;
            return false;
        }

        public void SetAggregate(in PreparedUsage item, AggregateTarget? target, AggregateKey key, UsageAggregate before, UsageAggregate after)
        {
            var period = PeriodOf(in item);
            if (!period.TryGetValue(key, out var entry))
            {
                entry = new AggregateEntry(_lastKey, key, after);
                period[key] = entry;
            }

            writer.SetEntry(entry, after);
            if (after.Kind == Aggregation.UniqueCount && after.DistinctValues!.Count != (before.DistinctValues?.Count ?? 0)
                && target?.UniqueProperty is { } property && item.Record.TryGetProperty(property, out var distinctValue))
            {
                var distinct = writer._insertDistinct;
                distinct[0].Value = _lastKey.SubscriptionId;
                distinct[1].Value = _lastKey.PeriodStart;
                distinct[2].Value = key.Value;
                distinct[3].Value = distinctValue;
                distinct.Command.ExecuteNonQuery();
            }
        }

        public CreditLedger GetLedger(string customerId) => writer.GetLedger(customerId);

        public void SetLedger(CreditLedger before, CreditLedger after) => writer.PersistLedger(before, after);

        /// <summary>Forgets the cached period (the writer's caches were cleared).</summary>
        public void Reset() => _lastPeriod = null;

        private Dictionary<AggregateKey, AggregateEntry> PeriodOf(in PreparedUsage item)
        {
            long start = Nanos(item.PeriodStart);
            if (_lastPeriod is null || _lastKey.PeriodStart != start || !string.Equals(_lastKey.SubscriptionId, item.SubscriptionId, StringComparison.Ordinal))
            {
                _lastKey = new PeriodKey(item.SubscriptionId, start);
                _lastPeriod = writer.GetPeriod(_lastKey);
            }

            return _lastPeriod;
        }
    }

    private sealed class AggregateEntry(PeriodKey period, AggregateKey key, UsageAggregate value)
    {
        public PeriodKey Period { get; } = period;

        public AggregateKey Key { get; } = key;

        public UsageAggregate Value { get; set; } = value;

        public bool Dirty { get; set; }

        /// <summary>True when the row exists in the database (in this transaction).</summary>
        public bool Stored { get; set; }
    }

    /// <summary>A command compiled once and run many times with new parameter values.</summary>
    private sealed class PreparedCommand : IDisposable
    {
        private readonly SqliteParameter[] _parameters;

        public PreparedCommand(SqliteConnection connection, string sql, params string[] parameterNames)
        {
            Command = connection.CreateCommand();
            Command.CommandText = sql;
            _parameters = new SqliteParameter[parameterNames.Length];
            for (int i = 0; i < parameterNames.Length; i++)
            {
                _parameters[i] = Command.CreateParameter();
                _parameters[i].ParameterName = parameterNames[i];
                _parameters[i].Value = DBNull.Value;
                Command.Parameters.Add(_parameters[i]);
            }

            Command.Prepare();
        }

        public SqliteCommand Command { get; }

        public SqliteParameter this[int index] => _parameters[index];

        public void Dispose() => Command.Dispose();
    }
}
