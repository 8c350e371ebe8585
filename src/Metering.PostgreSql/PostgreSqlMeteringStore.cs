using System.Collections.Concurrent;
using System.Data;
using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

/// <summary>
/// The PostgreSQL store: the same contract and semantics as the in-memory reference store, for several app
/// instances sharing one database. Every operation is one READ COMMITTED transaction whose row locks make it
/// atomic against the others: ingest takes the subscription rows <c>FOR KEY SHARE</c> and period close takes
/// them <c>FOR UPDATE</c>, so a record racing its period's close is either on that invoice or rejected;
/// idempotency keys are the primary key of the raw usage table; aggregates and credit ledgers are locked
/// <c>FOR UPDATE</c> in key order and folded in code with <see cref="UsageAppendRules"/>. Invoice numbers and
/// event sequences come from counter rows updated in the same transaction (unique and gap-free).
/// Concurrent single-record appends are group-committed: coalesced into one transaction and each caller completed
/// after it committed. Transactions that lose a deadlock or serialization race are retried.
/// </summary>
public sealed partial class PostgreSqlMeteringStore : IMeteringStore, IAsyncDisposable, IDisposable
{
    private const int MaxAttempts = 8;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgreSqlStoreOptions _options;
    private readonly int _timeout;
    private readonly Sql _sql;
    private readonly BatchSql _batchSql;
    private readonly EventSql _events;
    private readonly UsageWriter _writer;
    private readonly WarmReadConnections _warm;

    // Decoded subscriptions and ledgers (each checked against its stored revision / last sequence before use), at most
    // PostgreSqlStoreOptions.CacheCapacity of each, the least recently used dropped first.
    private readonly BoundedCache<string, Subscription> _subscriptions;
    private readonly BoundedCache<string, CreditLedger> _ledgers;

    /// <summary>Creates a store over <paramref name="dataSource"/>, which the caller owns and disposes.</summary>
    /// <param name="dataSource">Where to connect.</param>
    /// <param name="options">Schema, timeouts and group commit; defaults when null.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public PostgreSqlMeteringStore(NpgsqlDataSource dataSource, PostgreSqlStoreOptions? options = null)
        : this(dataSource, options ?? new PostgreSqlStoreOptions(), ownsDataSource: false)
    {
    }

    internal PostgreSqlMeteringStore(NpgsqlDataSource dataSource, PostgreSqlStoreOptions options, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);

        // A copy: options changed by the caller after this point can neither skip validation nor change a running store.
        options = options.Clone();
        var problems = PostgreSqlStoreOptionsValidator.Check(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options;
        _timeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        _sql = new Sql(PostgreSqlSchema.Quote(options.Schema));
        _batchSql = new BatchSql(PostgreSqlSchema.Quote(options.Schema));
        _events = new EventSql(PostgreSqlSchema.Quote(options.Schema));
        _writer = new UsageWriter(dataSource, AppendGroupAsync, options.MaxGroupCommitSize, options.GroupCommitWriters);
        _warm = new WarmReadConnections(dataSource, options.WarmReadConnections, options.WarmReadConnectionIdleLifetime, TimeProvider.System);
        _subscriptions = new BoundedCache<string, Subscription>(options.CacheCapacity, StringComparer.Ordinal);
        _ledgers = new BoundedCache<string, CreditLedger>(options.CacheCapacity, StringComparer.Ordinal);
    }

    /// <summary>How many decoded subscriptions and ledgers the store keeps now (tests).</summary>
    internal (int Subscriptions, int Ledgers) CachedCounts => (_subscriptions.Count, _ledgers.Count);

    /// <inheritdoc/>
    public async ValueTask InitializeAsync(CancellationToken cancellationToken) =>
        await PostgreSqlSchema.MigrateAsync(_dataSource, _options.Schema, _timeout, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Stops the group-commit writers (completing queued appends first), gives the kept read connections back to the
    /// pool and disposes an owned data source.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _warm.DisposeAsync().ConfigureAwait(false);
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops taking records without waiting: the group-commit writers complete what is queued in the background, then
    /// an owned data source is disposed. Records are acknowledged only after commit, so none that was acknowledged is
    /// lost. Prefer <see cref="DisposeAsync"/>, which waits.
    /// </summary>
    public void Dispose()
    {
        _warm.Dispose();
        var stopped = _writer.BeginDispose();
        if (_ownsDataSource)
        {
            stopped.ContinueWith(static (_, source) => ((NpgsqlDataSource)source!).Dispose(), _dataSource, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    // ---- transactions --------------------------------------------------------------------------

    private async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken, IsolationLevel isolation = IsolationLevel.ReadCommitted)
    {
        for (int attempt = 1; ; attempt++)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(isolation, cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await work(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when (attempt < MaxAttempts && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // Lost a lock race: nothing was committed, so the whole operation runs again on fresh state.
            }
        }
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = _timeout };
        return command;
    }

    private NpgsqlBatch Batch(NpgsqlConnection connection, NpgsqlTransaction? transaction) =>
        new(connection, transaction) { Timeout = _timeout };

    private static NpgsqlBatchCommand BatchCommand(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<T> P<T>(T value) => new() { TypedValue = value };

    private static NpgsqlParameter<T> P<T>(T value, NpgsqlDbType type) => new() { TypedValue = value, NpgsqlDbType = type };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Json(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static NpgsqlParameter Long(long? value) => new() { Value = value is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    private static NpgsqlParameter<string[]> Texts(string[] values) => P(values, NpgsqlDbType.Array | NpgsqlDbType.Text);

    private static NpgsqlParameter<long[]> Longs(long[] values) => P(values, NpgsqlDbType.Array | NpgsqlDbType.Bigint);

    private async Task AppendEventsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var command = Command(connection, transaction, _sql.AppendEvents);
        command.Parameters.Add(Texts([.. events.Select(e => StoreDocuments.Json(e))]));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private Subscription ReadSubscription(string id, long revision, string doc)
    {
        if (_subscriptions.TryGetValue(id, out var cached) && cached.Revision == revision)
        {
            return cached;
        }

        var subscription = StoreDocuments.ToSubscription(doc);
        _subscriptions.Set(id, subscription);
        return subscription;
    }

    /// <summary>The schema-qualified SQL of the store, built once per schema name.</summary>
    private sealed class Sql(string s)
    {
        // Sequence numbers in array order; tx from the column default (this transaction's id). No shared counter row.
        public readonly string AppendEvents =
            $"""
            INSERT INTO {s}.billing_events (sequence, doc)
            SELECT nextval('{s}.billing_event_sequence'), o.doc
            FROM (SELECT u.doc::jsonb AS doc FROM unnest($1) WITH ORDINALITY AS u(doc, ord) ORDER BY u.ord) o
            """;

        public readonly string NextInvoiceNumber = $"UPDATE {s}.counters SET value = value + 1 WHERE name = 'invoice' RETURNING value";
        public readonly string NextCreditNoteNumber = $"UPDATE {s}.counters SET value = value + 1 WHERE name = 'credit_note' RETURNING value";
        public readonly string InsertCreditNote = $"INSERT INTO {s}.credit_notes (credit_note_id, number, invoice_id, customer_id, doc) VALUES ($1, $2, $3, $4, $5)";
        public readonly string FindCreditNote = $"SELECT doc::text FROM {s}.credit_notes WHERE credit_note_id = $1";
        public readonly string InvoiceCreditNotes = $"SELECT doc::text FROM {s}.credit_notes WHERE invoice_id = $1 ORDER BY number";
        public readonly string ListCreditNotes = $"SELECT doc::text FROM {s}.credit_notes WHERE customer_id = $1 AND number < $2 ORDER BY number DESC LIMIT $3";
        public readonly string ListInvoiceCreditNotes = $"SELECT doc::text FROM {s}.credit_notes WHERE customer_id = $1 AND number < $2 AND invoice_id = $4 ORDER BY number DESC LIMIT $3";

        public readonly string UpsertMeter = $"INSERT INTO {s}.meters (meter_key, doc) VALUES ($1, $2) ON CONFLICT (meter_key) DO UPDATE SET doc = excluded.doc";
        public readonly string ListMeters = $"SELECT doc::text FROM {s}.meters ORDER BY meter_key";
        // Taken in (subscription, period) order before the groups are counted, so two transactions never both count
        // the groups of one period and open one past the bound (a separate statement: the count then sees their commits).
        public readonly string LockGroupPeriods =
            $"""
            SELECT pg_advisory_xact_lock({PostgreSqlSchema.GroupLockClass}, hashtext(u.sub || '|' || u.ps::text))
            FROM (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(sub, ps) ORDER BY u.sub COLLATE "C", u.ps OFFSET 0) AS u
            """;

        // Group aggregates are the keys with two '|' (meter|charge|values; meter and charge keys cannot hold '|');
        // rows ensured for records that were then rejected hold no record and do not count.
        public readonly string CountGroups =
            $"""
            SELECT u.sub, u.ps, (SELECT count(*) FROM {s}.usage_aggregates a
                WHERE a.subscription_id = u.sub AND a.period_start = u.ps AND a.aggregate_key LIKE '%|%|%' AND a.record_count > 0)
            FROM unnest($1::text[], $2::bigint[]) AS u(sub, ps)
            """;

        public readonly string LockPlanKey = $"SELECT pg_advisory_xact_lock({PostgreSqlSchema.PlanLockClass}, hashtext($1))";
        public readonly string LatestPlan = $"SELECT doc::text FROM {s}.plans WHERE plan_key = $1 ORDER BY version DESC LIMIT 1";
        public readonly string PlanVersion = $"SELECT doc::text FROM {s}.plans WHERE plan_key = $1 AND version = $2";
        public readonly string InsertPlan = $"INSERT INTO {s}.plans (plan_key, version, doc) VALUES ($1, $2, $3)";
        public readonly string ListPlans = $"SELECT DISTINCT ON (p.plan_key) p.doc::text, EXISTS (SELECT 1 FROM {s}.archived_plans a WHERE a.plan_key = p.plan_key) FROM {s}.plans p ORDER BY p.plan_key, p.version DESC";
        public readonly string ListPlanVersions = $"SELECT doc::text FROM {s}.plans WHERE plan_key = $1 ORDER BY version";
        public readonly string ArchivePlan = $"INSERT INTO {s}.archived_plans (plan_key) VALUES ($1) ON CONFLICT (plan_key) DO NOTHING";
        public readonly string UnarchivePlan = $"DELETE FROM {s}.archived_plans WHERE plan_key = $1";
        public readonly string IsPlanArchived = $"SELECT EXISTS (SELECT 1 FROM {s}.archived_plans WHERE plan_key = $1)";

        public readonly string InsertCustomer = $"INSERT INTO {s}.customers (customer_id, name, time_zone, created_at, details) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id) DO NOTHING";
        public readonly string FindCustomer = $"SELECT customer_id, name, time_zone, created_at, details::text FROM {s}.customers WHERE customer_id = $1";
        public readonly string LockCustomer = $"SELECT customer_id, name, time_zone, created_at, details::text FROM {s}.customers WHERE customer_id = $1 FOR UPDATE";
        public readonly string UpdateCustomer = $"UPDATE {s}.customers SET name = $2, time_zone = $3, details = $4 WHERE customer_id = $1";
        public readonly string LockCustomerSubscriptions = $"SELECT subscription_id, revision, doc::text FROM {s}.subscriptions WHERE customer_id = $1 ORDER BY subscription_id FOR UPDATE";
        public readonly string Customers = $"{s}.customers";

        public readonly string InsertSubscription =
            $"""
            INSERT INTO {s}.subscriptions (subscription_id, customer_id, revision, period_start, period_end, ended_at, doc)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (subscription_id) DO NOTHING
            """;

        public readonly string FindSubscription = $"SELECT subscription_id, revision, doc::text FROM {s}.subscriptions WHERE subscription_id = $1";
        public readonly string LockSubscription = $"SELECT subscription_id, revision, doc::text FROM {s}.subscriptions WHERE subscription_id = $1 FOR UPDATE";
        public readonly string ListSubscriptions = $"SELECT subscription_id, revision, doc::text FROM {s}.subscriptions WHERE customer_id = $1 ORDER BY position";

        public readonly string UpdateSubscription =
            $"UPDATE {s}.subscriptions SET revision = $2, period_start = $3, period_end = $4, ended_at = $5, doc = $6 WHERE subscription_id = $1";

        // Claim-work query: skips subscriptions another instance is closing right now (FOR UPDATE held); ingest's
        // FOR KEY SHARE does not conflict with FOR NO KEY UPDATE, so busy subscriptions are still found.
        public readonly string FindDue =
            $"""
            SELECT subscription_id FROM {s}.subscriptions
            WHERE ended_at IS NULL AND period_end <= $1
            ORDER BY period_end, subscription_id LIMIT $2
            FOR NO KEY UPDATE SKIP LOCKED
            """;

        // The document is sent only when the caller's cached revision ($2) is stale. Rows are looked up by primary key
        // one by one in key order (the LATERAL sub-select with its row lock is never flattened into a hash join that
        // scans the whole table), and locked in that order.
        public readonly string LockSubscriptionsShared =
            $"""
            SELECT t.subscription_id, t.revision, CASE WHEN t.revision = u.rev THEN NULL ELSE t.doc::text END
            FROM (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(id, rev) ORDER BY u.id COLLATE "C" OFFSET 0) AS u
            CROSS JOIN LATERAL (SELECT t.subscription_id, t.revision, t.doc FROM {s}.subscriptions t WHERE t.subscription_id = u.id FOR KEY SHARE) AS t
            """;

        public readonly string InsertRecords =
            $"""
            WITH b AS (SELECT nextval('{s}.usage_batch_seq') AS seq)
            INSERT INTO {s}.usage_records (idempotency_key, subscription_id, period_start, batch_seq, ordinal, customer_id, meter_key, quantity, ts, action, properties, record_subscription_id)
            SELECT u.k, u.sub, u.ps, b.seq, u.ord, u.cust, u.meter, u.qty, u.ts, u.act, u.props::jsonb, u.rsub
            FROM b, unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::numeric[], $8::bigint[], $9::smallint[], $10::text[], $11::text[])
                 AS u(k, sub, ps, ord, cust, meter, qty, ts, act, props, rsub)
            ORDER BY u.k COLLATE "C"
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING idempotency_key
            """;

        public readonly string ExistingRecords =
            $"""
            SELECT idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, ts, action, properties::text, record_subscription_id
            FROM {s}.usage_records WHERE idempotency_key = ANY($1)
            """;

        public readonly string DeleteRecords = $"DELETE FROM {s}.usage_records WHERE idempotency_key = ANY($1)";

        public readonly string ReadRecords =
            $"""
            SELECT idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, ts, action, properties::text, record_subscription_id
            FROM {s}.usage_records WHERE subscription_id = $1 AND period_start = $2 ORDER BY batch_seq, ordinal
            """;

        public readonly string EnsureAggregates =
            $"""
            INSERT INTO {s}.usage_aggregates (subscription_id, period_start, aggregate_key, kind, value, record_count, has_set)
            SELECT u.sub, u.ps, u.k, u.kind, 0, 0, false FROM unnest($1::text[], $2::bigint[], $3::text[], $4::smallint[]) AS u(sub, ps, k, kind)
            ORDER BY u.sub COLLATE "C", u.ps, u.k COLLATE "C"
            ON CONFLICT (subscription_id, period_start, aggregate_key) DO NOTHING
            """;

        // By primary key one by one, locked in key order (as LockSubscriptionsShared); also returns each row's ctid,
        // which stays put while the row lock is held, so the write-back finds the row without an index.
        public readonly string LockAggregates =
            $"""
            SELECT a.subscription_id, a.period_start, a.aggregate_key, a.kind, a.value, a.record_count, a.latest_ts, a.has_set, a.distinct_values::text, a.tid
            FROM (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(sub, ps, k) ORDER BY u.sub COLLATE "C", u.ps, u.k COLLATE "C" OFFSET 0) AS u
            CROSS JOIN LATERAL (
                SELECT a.ctid AS tid, a.subscription_id, a.period_start, a.aggregate_key, a.kind, a.value, a.record_count, a.latest_ts, a.has_set, a.distinct_values
                FROM {s}.usage_aggregates a WHERE a.subscription_id = u.sub AND a.period_start = u.ps AND a.aggregate_key = u.k
                FOR UPDATE) AS a
            """;

        // Writes back rows this transaction locked (and has not updated since) by ctid; fails the transaction, rather
        // than losing a write, if any row is not where it was locked.
        public readonly string UpdateAggregatesAt =
            $"""
            WITH w AS (
                UPDATE {s}.usage_aggregates a
                SET value = u.v, record_count = u.c, latest_ts = u.l, has_set = u.h, distinct_values = u.d::jsonb
                FROM unnest($1::text[]::tid[], $2::numeric[], $3::bigint[], $4::bigint[], $5::boolean[], $6::text[]) AS u(t, v, c, l, h, d)
                WHERE a.ctid = u.t
                RETURNING 1)
            SELECT CASE WHEN count(*) = cardinality($1) THEN 0 ELSE ('Metering: only ' || count(*) || ' of ' || cardinality($1) || ' locked usage aggregate rows were found at their ctid')::int END FROM w
            """;

        public readonly string UpdateAggregates =
            $"""
            UPDATE {s}.usage_aggregates a
            SET value = u.v, record_count = u.c, latest_ts = u.l, has_set = u.h, distinct_values = u.d::jsonb
            FROM unnest($1::text[], $2::bigint[], $3::text[], $4::numeric[], $5::bigint[], $6::bigint[], $7::boolean[], $8::text[]) AS u(sub, ps, k, v, c, l, h, d)
            WHERE a.subscription_id = u.sub AND a.period_start = u.ps AND a.aggregate_key = u.k
            """;

        public readonly string ReadAggregates =
            $"""
            SELECT subscription_id, period_start, aggregate_key, kind, value, record_count, latest_ts, has_set, distinct_values::text
            FROM {s}.usage_aggregates WHERE subscription_id = $1 AND period_start = $2 AND record_count > 0 ORDER BY aggregate_key
            """;

        public readonly string UsagePeriods =
            $"""
            SELECT ps FROM (
                SELECT period_start AS ps FROM {s}.usage_aggregates WHERE subscription_id = $1 AND record_count > 0
                UNION
                SELECT period_start FROM {s}.invoices WHERE subscription_id = $1) AS p
            WHERE ps < $2 ORDER BY ps DESC LIMIT $3
            """;

        public readonly string InvoiceExists = $"SELECT EXISTS (SELECT 1 FROM {s}.invoices WHERE subscription_id = $1 AND period_start = $2)";
        public readonly string InsertInvoice = $"INSERT INTO {s}.invoices (invoice_id, number, subscription_id, period_start, customer_id, doc) VALUES ($1, $2, $3, $4, $5, $6)";
        public readonly string InsertAdjustment = $"INSERT INTO {s}.invoices (invoice_id, number, subscription_id, period_start, customer_id, doc, adjusts) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        public readonly string PeriodInvoices = $"SELECT doc::text FROM {s}.invoices WHERE subscription_id = $1 AND period_start = $2 ORDER BY number";
        public readonly string LockPeriodInvoices = $"SELECT doc::text FROM {s}.invoices WHERE subscription_id = $1 AND period_start = $2 ORDER BY number FOR UPDATE";
        public readonly string MarkPendingAdjustment = $"INSERT INTO {s}.pending_adjustments (subscription_id, period_start, reason, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (subscription_id, period_start) DO NOTHING";
        public readonly string ListPendingAdjustments = $"SELECT subscription_id, period_start, reason, created_at FROM {s}.pending_adjustments WHERE created_at < $1 ORDER BY created_at, subscription_id, period_start LIMIT $2";
        public readonly string DeletePendingAdjustment = $"DELETE FROM {s}.pending_adjustments WHERE subscription_id = $1 AND period_start = $2";
        public readonly string PeriodCreditNotes = $"SELECT n.doc::text FROM {s}.credit_notes n JOIN {s}.invoices i ON i.invoice_id = n.invoice_id WHERE i.subscription_id = $1 AND i.period_start = $2 ORDER BY n.number";
        public readonly string FindInvoice = $"SELECT doc::text FROM {s}.invoices WHERE invoice_id = $1";
        public readonly string LockInvoice = $"SELECT doc::text FROM {s}.invoices WHERE invoice_id = $1 FOR UPDATE";
        public readonly string UpdateInvoice = $"UPDATE {s}.invoices SET doc = $2 WHERE invoice_id = $1";
        public readonly string ReplaceInvoice = $"UPDATE {s}.invoices SET doc = $2, replaced_by = $3 WHERE invoice_id = $1";
        // The status is read from the document with the expression index invoices_by_status (schema 8) uses.
        public readonly string ListInvoicesByStatus = $"SELECT doc::text FROM {s}.invoices WHERE (doc->>'Status') = $1 AND number > $2 ORDER BY (doc->>'Status'), number LIMIT $3";
        public readonly string ListInvoices = $"SELECT doc::text FROM {s}.invoices WHERE customer_id = $1 AND number < $2 ORDER BY number DESC LIMIT $3";
        public readonly string CountInvoices = $"SELECT COUNT(*) FROM {s}.invoices WHERE customer_id = $1";

        public readonly string EnsureLedger = $"INSERT INTO {s}.credit_ledgers (customer_id, last_sequence) VALUES ($1, 0) ON CONFLICT (customer_id) DO NOTHING";
        public readonly string LockLedgers = $"SELECT customer_id, last_sequence FROM {s}.credit_ledgers WHERE customer_id = ANY($1) ORDER BY customer_id FOR UPDATE";
        public readonly string LedgerVersion = $"SELECT last_sequence FROM {s}.credit_ledgers WHERE customer_id = $1";
        // A ledger's rows after a sequence (0: all of them). After a sequence, grants are found through their Grant
        // transactions, so the read covers only the primary key range after it; all of them are read from their table,
        // so the whole history's audit still sees a grant that has no Grant transaction.
        public readonly string LoadGrantsAfter =
            $"""
            SELECT g.customer_id, g.doc::text FROM unnest($1::text[], $2::bigint[]) AS u(c, after)
            JOIN {s}.credit_grants g ON g.customer_id = u.c AND u.after = 0
            UNION ALL
            SELECT g.customer_id, g.doc::text FROM unnest($1::text[], $2::bigint[]) AS u(c, after)
            JOIN {s}.credit_transactions t ON t.customer_id = u.c AND u.after > 0 AND t.sequence > u.after AND t.type = 'Grant'
            JOIN {s}.credit_grants g ON g.customer_id = t.customer_id AND g.grant_id = t.grant_id
            """;

        public readonly string LoadTransactionsAfter =
            $"""
            SELECT t.customer_id, t.doc::text FROM unnest($1::text[], $2::bigint[]) AS u(c, after)
            JOIN {s}.credit_transactions t ON t.customer_id = u.c AND t.sequence > u.after
            ORDER BY t.customer_id, t.sequence
            """;

        public readonly string InsertGrants =
            $"""
            INSERT INTO {s}.credit_grants (customer_id, grant_id, expires_at, doc)
            SELECT u.c, u.g, u.e, u.d::jsonb FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(c, g, e, d)
            """;

        public readonly string InsertTransactions =
            $"""
            INSERT INTO {s}.credit_transactions (customer_id, sequence, grant_id, type, effect, at, doc)
            SELECT u.c, u.s, u.g, u.t, u.e, u.a, u.d::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::numeric[], $6::bigint[], $7::text[]) AS u(c, s, g, t, e, a, d)
            """;

        public readonly string SetLedgerVersions =
            $"UPDATE {s}.credit_ledgers l SET last_sequence = u.v FROM unnest($1::text[], $2::bigint[]) AS u(c, v) WHERE l.customer_id = u.c";

        public readonly string ExpiringCustomers =
            $"""
            SELECT DISTINCT g.customer_id FROM {s}.credit_grants g
            WHERE g.expires_at <= $1
              AND NOT EXISTS (SELECT 1 FROM {s}.credit_transactions t WHERE t.customer_id = g.customer_id AND t.grant_id = g.grant_id AND t.type = 'Expiration')
              AND (SELECT coalesce(sum(t.effect), 0) FROM {s}.credit_transactions t WHERE t.customer_id = g.customer_id AND t.grant_id = g.grant_id AND t.at < g.expires_at) > 0
            ORDER BY g.customer_id LIMIT $2
            """;

    }
}
