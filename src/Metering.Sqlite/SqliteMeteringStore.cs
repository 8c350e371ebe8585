using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Dapper;
using Metering.Sqlite.Serialization;
using Metering.Sqlite.Storage;
using Metering.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Metering.Sqlite.Serialization.SqliteValues;

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
public sealed class SqliteMeteringStore : IMeteringStore, IMeteringStoreHealth, IAsyncDisposable, IDisposable
{
    private const int UsagePageSize = 1_000;
    private static readonly string PrefixedUsageColumns = string.Join(", ", StoreQueries.UsageColumns.Split(", ").Select(c => "u." + c));

    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly ConcurrentDictionary<(string Key, int Version), Plan> _plans = new();
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

    // ---- catalog -----------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public async ValueTask UpsertMeterAsync(Meter meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meter);
        await WriteAsync(w => w.UpsertMeter(meter), 1, false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Meter>>(c => [.. c.Query<string>("SELECT data FROM meters ORDER BY meter_key").Select(StoreDocuments.ToMeter)], cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var published = await WriteAsync(w => w.PublishPlan(plan), 1, false, cancellationToken).ConfigureAwait(false);
        _plans[(published.Key, published.Version)] = published;
        return published;
    }

    /// <inheritdoc/>
    public async ValueTask<Plan?> FindPlanAsync(string planKey, int? version, CancellationToken cancellationToken)
    {
        if (version is { } v && _plans.TryGetValue((planKey, v), out var cached))
        {
            return cached;
        }

        var plan = await ReadAsync(c => StoreQueries.LoadPlan(c, planKey, version), cancellationToken).ConfigureAwait(false);
        if (plan is not null)
        {
            // Published versions never change, so they can be kept.
            _plans[(plan.Key, plan.Version)] = plan;
        }

        return plan;
    }

    // ---- customers and subscriptions ---------------------------------------------------------------------

    /// <inheritdoc/>
    public ValueTask<bool> AddCustomerAsync(Customer customer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customer);
        return WriteAsync(w => w.AddCustomer(customer), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Customer?> FindCustomerAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync(
            c =>
            {
                var row = c.QuerySingleOrDefault<CustomerRow>(
                    "SELECT customer_id AS CustomerId, name AS Name, time_zone_id AS TimeZoneId, created_at AS CreatedAt FROM customers WHERE customer_id = @customerId",
                    new { customerId });
                return row is null ? null : new Customer(row.CustomerId, row.Name, row.TimeZoneId, SqliteValues.Instant(row.CreatedAt));
            },
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> AddSubscriptionAsync(Subscription subscription, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(events);
        return WriteAsync(w => w.AddSubscription(subscription, events), 1, false, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Subscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken) =>
        ReadAsync(c => StoreQueries.LoadSubscription(c, subscriptionId), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Subscription>>(
            c => [.. c.Query<string>("SELECT data FROM subscriptions WHERE customer_id = @customerId ORDER BY seq", new { customerId }).Select(StoreDocuments.ToSubscription)],
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> UpdateSubscriptionAsync(Subscription updated, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updated);
        ArgumentNullException.ThrowIfNull(events);
        return WriteAsync(w => w.UpdateSubscription(updated, events), 1, false, cancellationToken);
    }

    // ---- usage -------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public async ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Length < items.Length)
        {
            throw new ArgumentException($"The outcomes buffer holds {outcomes.Length} items but {items.Length} are appended; pass one outcome slot per item.", nameof(outcomes));
        }

        if (items.IsEmpty)
        {
            return;
        }

        // Real-time credit burn runs pricing and ledger code: give it a savepoint so a failure stays its own.
        bool burns = false;
        foreach (var item in items.Span)
        {
            burns |= item.BurnsCredits;
        }

        await WriteAsync(
            w =>
            {
                w.AppendUsage(items.Span, outcomes.Span);
                return true;
            },
            items.Length,
            burns,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredAggregate>>(c => StoreQueries.LoadAggregates(c, subscriptionId, Nanos(periodStart)), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Instant>> ListUsagePeriodsAsync(string subscriptionId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var before = PageCursor.Decode(cursor, long.MaxValue);
        return ReadAsync(
            c =>
            {
                var starts = c.Query<long>(
                    """
                    SELECT period_start FROM (
                        SELECT period_start FROM aggregates WHERE subscription_id = @subscriptionId
                        UNION
                        SELECT period_start FROM invoices WHERE subscription_id = @subscriptionId)
                    WHERE period_start < @before
                    ORDER BY period_start DESC
                    LIMIT @take
                    """,
                    new { subscriptionId, before, take = limit + 1 }).ToList();
                return PageOf(starts.ConvertAll(SqliteValues.Instant), limit, s => Nanos(s).ToString(CultureInfo.InvariantCulture));
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> ReadUsageRecordsAsync(string subscriptionId, Instant periodStart, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long period = Nanos(periodStart);
        long after = 0;
        while (true)
        {
            var page = await ReadAsync(c => ReadUsagePage(c, subscriptionId, period, after), cancellationToken, snapshot: true).ConfigureAwait(false);

            foreach (var (seq, record) in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                after = seq;
                yield return record;
            }

            if (page.Count < UsagePageSize)
            {
                yield break;
            }
        }
    }

    private static List<(long Seq, UsageRecord Record)> ReadUsagePage(SqliteConnection connection, string subscriptionId, long periodStart, long after)
    {
        // Indexed records first (usage_by_period), then the short unindexed tail; both in seq order, so the page is too.
        var rows = new List<(long Seq, UsageRecord Record)>(UsagePageSize);
        var indexedThrough = connection.ExecuteScalar<long>("SELECT indexed_through FROM usage_index_state");
        if (after < indexedThrough)
        {
            Read($"""
                SELECT {PrefixedUsageColumns} FROM usage_by_period i JOIN usage_records u ON u.seq = i.seq
                WHERE i.subscription_id = $s AND i.period_start = $p AND i.seq > $after
                ORDER BY i.seq LIMIT $limit
                """, after);
        }

        if (rows.Count < UsagePageSize)
        {
            Read($"""
                SELECT {StoreQueries.UsageColumns} FROM usage_records
                WHERE seq > $after AND subscription_id = $s AND period_start = $p
                ORDER BY seq LIMIT $limit
                """, Math.Max(after, indexedThrough));
        }

        return rows;

        void Read(string sql, long from)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$s", subscriptionId);
            command.Parameters.AddWithValue("$p", periodStart);
            command.Parameters.AddWithValue("$after", from);
            command.Parameters.AddWithValue("$limit", UsagePageSize - rows.Count);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var row = StoreQueries.ReadUsage(reader);
                rows.Add((row.Seq, row.Record));
            }
        }
    }

    // ---- period close and invoices -----------------------------------------------------------------------

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken)
    {
        var end = Nanos(periodEndAtOrBefore);
        return ReadAsync<IReadOnlyList<string>>(
            c => StatementCache.Get(
                    c,
                    "SELECT subscription_id FROM subscriptions WHERE ended_at IS NULL AND current_period_end <= $end ORDER BY current_period_end, subscription_id LIMIT $limit",
                    "$end",
                    "$limit")
                .With(end, limit)
                .Strings(),
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return WriteAsync(w => w.ClosePeriod(subscriptionId, expectedPeriodStart, plan, decide), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken) =>
        ReadAsync(c => StoreQueries.LoadInvoice(c, invoiceId), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var before = PageCursor.Decode(cursor, long.MaxValue);
        return ReadAsync(
            c =>
            {
                var invoices = c.Query<string>(
                    "SELECT data FROM invoices WHERE customer_id = @customerId AND number < @before ORDER BY number DESC LIMIT @take",
                    new { customerId, before, take = limit + 1 }).Select(StoreDocuments.ToInvoice).ToList();
                return PageOf(invoices, limit, i => i.Number.ToString(CultureInfo.InvariantCulture));
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transition);
        return WriteAsync(w => w.UpdateInvoice(invoiceId, transition), 1, true, cancellationToken);
    }

    // ---- credits -----------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync(c => StoreQueries.LoadLedger(c, customerId), cancellationToken, snapshot: true);

    /// <inheritdoc/>
    public ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        return WriteAsync(w => w.UpdateLedger(customerId, change), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindCustomersWithExpiringCreditsAsync(Instant at, int limit, CancellationToken cancellationToken)
    {
        var atNanos = Nanos(at);
        return ReadAsync<IReadOnlyList<string>>(
            c =>
            {
                // Candidates by index; the remainder check needs the ledger, so it runs in code on one snapshot.
                var candidates = c.Query<string>(
                    """
                    SELECT DISTINCT g.customer_id FROM credit_grants g
                    WHERE g.expires_at IS NOT NULL AND g.expires_at <= @atNanos
                      AND NOT EXISTS (SELECT 1 FROM credit_transactions t
                                      WHERE t.customer_id = g.customer_id AND t.grant_id = g.grant_id AND t.type = @expiration)
                    """,
                    new { atNanos, expiration = (int)CreditTransactionType.Expiration }).ToList();
                candidates.Sort(StringComparer.Ordinal);
                var due = new List<string>();
                foreach (var customerId in candidates)
                {
                    if (due.Count >= limit)
                    {
                        break;
                    }

                    var ledger = StoreQueries.LoadLedger(c, customerId);
                    if (ledger.Grants.Any(g => g.ExpiresAt is { } expiry && expiry <= at && ledger.RemainingOf(g.GrantId, expiry - Duration.Epsilon) > 0m
                        && !ledger.Transactions.Any(t => t.GrantId == g.GrantId && t.Type == CreditTransactionType.Expiration)))
                    {
                        due.Add(customerId);
                    }
                }

                return due;
            },
            cancellationToken,
            snapshot: true);
    }

    // ---- events ------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredBillingEvent>> ReadEventsAsync(long afterSequence, int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredBillingEvent>>(
            c => [.. c.Query<(long Sequence, string Data)>(
                    "SELECT sequence, data FROM billing_events WHERE sequence > @afterSequence ORDER BY sequence LIMIT @limit",
                    new { afterSequence, limit })
                .Select(row => new StoredBillingEvent(row.Sequence, StoreDocuments.ToEvent(row.Data)))],
            cancellationToken);

    // ---- lifetime ----------------------------------------------------------------------------------------

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
            checkpointConnection.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}"));
            _reads = new ReadConnectionPool(_connectionString, _options.BusyTimeout, Math.Max(4, Environment.ProcessorCount * 2));
            var created = new SqliteWriter(connection, checkpointConnection, _options, Logger);
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
            StatementCache.Get(connection, "BEGIN DEFERRED TRANSACTION").ExecuteNonQuery();
            try
            {
                return read(connection);
            }
            finally
            {
                StatementCache.Get(connection, "COMMIT TRANSACTION").ExecuteNonQuery();
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

    private sealed record CustomerRow(string CustomerId, string? Name, string TimeZoneId, long CreatedAt);
}
