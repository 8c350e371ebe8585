using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Metering.Benchmarks.Load;

/// <summary>
/// The SQLite read floor: the statements of the current-usage read (the subscription's row the first time, after that
/// its revision; its period's aggregates; its customer's last credit sequence and, the first time, its grants and
/// transactions; in one deferred transaction) on the run's file, through one read-only connection with native prepared
/// statements, stepping every row and touching its columns but decoding nothing.
/// </summary>
public sealed partial class SqliteLoadTarget : IReadFloor
{
    /// <inheritdoc/>
    public string ReadFloorDescription => string.Create(
        CultureInfo.InvariantCulture,
        $"the read's statements on the run's file (BEGIN; the subscription's row on its first read, after that its revision from the revision index; its period's aggregates; its customer's last credit sequence, and grants and transactions on a customer's first read; COMMIT), one read-only connection (query_only, read map {ReadMemoryMapSize:N0} B), native prepared statements, rows stepped and columns touched; no decoding, pricing, pooling or async; random subscriptions");

    /// <inheritdoc/>
    public async ValueTask<LatencySummary> ReadFloorAsync(int reads, CancellationToken cancellationToken)
    {
        using var connection = new SqliteConnection($"Data Source={MeteringPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA query_only = 1; PRAGMA mmap_size = {ReadMemoryMapSize}"));
        var ids = new List<string>();
        using (var list = new SqliteCommand("SELECT subscription_id FROM subscriptions", connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }

        var db = connection.Handle!;
        using var begin = Prepare(db, "BEGIN DEFERRED TRANSACTION");
        using var commit = Prepare(db, "COMMIT TRANSACTION");
        // The store's subscription statements (SqliteMeteringStore.ReadSubscriptionCached): the row the first time a
        // subscription is read (the store decodes it then and keeps it), after that only the revision from its index.
        using var revision = Prepare(db, "SELECT revision FROM subscriptions INDEXED BY ix_subscriptions_revision WHERE subscription_id = ?1");
        using var subscription = Prepare(db, "SELECT revision, data, customer_id, current_period_end FROM subscriptions WHERE subscription_id = ?1");
        var seen = new Dictionary<string, (string CustomerId, long PeriodEnd)>();
        // The store's own aggregates statement (StoreQueries.LoadAggregates, internal to Metering.Sqlite): keep in step.
        using var aggregates = Prepare(
            db,
            """
            SELECT a.aggregate_key, a.kind, a.value, a.record_count, a.latest_timestamp, a.has_set, d.value
            FROM aggregates a
            LEFT JOIN aggregate_distinct d
              ON d.subscription_id = a.subscription_id AND d.period_start = a.period_start AND d.aggregate_key = a.aggregate_key
            WHERE a.subscription_id = ?1 AND a.period_start = ?2
            ORDER BY a.aggregate_key
            """);
        // The store's ledger statements (ReadLedgerCached): the stored last sequence, and the history only the first time
        // a customer with credits is read (the store keeps the ledger then).
        using var last = Prepare(db, "SELECT max(sequence) FROM credit_transactions WHERE customer_id = ?1");
        using var grants = Prepare(db, "SELECT data FROM credit_grants WHERE customer_id = ?1");
        var ledgers = new HashSet<string>();
        using var transactions = Prepare(db, "SELECT data FROM credit_transactions WHERE customer_id = ?1 ORDER BY sequence");
        var random = new Random(42);
        long touched = 0, withAggregates = 0;
        var latency = await ReadFloorTiming.TimeAsync(
            reads,
            _ =>
            {
                var id = ids[random.Next(ids.Count)];
                Step(db, begin);
                if (seen.TryGetValue(id, out var row))
                {
                    raw.sqlite3_bind_text(revision, 1, id);
                    if (raw.sqlite3_step(revision) != raw.SQLITE_ROW)
                    {
                        throw new InvalidOperationException($"The read floor did not find subscription {id}.");
                    }

                    touched += raw.sqlite3_column_int64(revision, 0);
                    raw.sqlite3_reset(revision);
                }
                else
                {
                    raw.sqlite3_bind_text(subscription, 1, id);
                    if (raw.sqlite3_step(subscription) != raw.SQLITE_ROW)
                    {
                        throw new InvalidOperationException($"The read floor did not find subscription {id}.");
                    }

                    touched += raw.sqlite3_column_int64(subscription, 0) + raw.sqlite3_column_bytes(subscription, 1);
                    row = (raw.sqlite3_column_text(subscription, 2).utf8_to_string(), raw.sqlite3_column_int64(subscription, 3));
                    seen[id] = row;
                    raw.sqlite3_reset(subscription);
                }

                var (customerId, periodEnd) = row;

                // The load plan is monthly in UTC: the current period starts on the first of the month before its end.
                raw.sqlite3_bind_text(aggregates, 1, id);
                raw.sqlite3_bind_int64(aggregates, 2, PeriodStart(NodaConstants.UnixEpoch + Duration.FromNanoseconds(periodEnd - 1)));
                long aggregateBytes = StepAll(db, aggregates, 7);
                withAggregates += aggregateBytes > 0 ? 1 : 0;
                touched += aggregateBytes;
                raw.sqlite3_bind_text(last, 1, customerId);
                if (raw.sqlite3_step(last) != raw.SQLITE_ROW)
                {
                    throw new InvalidOperationException($"The read floor's last credit sequence of {customerId} returned no row.");
                }

                bool hasCredits = raw.sqlite3_column_type(last, 0) != raw.SQLITE_NULL;
                touched += raw.sqlite3_column_int64(last, 0);
                raw.sqlite3_reset(last);
                if (hasCredits && ledgers.Add(customerId))
                {
                    raw.sqlite3_bind_text(grants, 1, customerId);
                    touched += StepAll(db, grants, 1);
                    raw.sqlite3_bind_text(transactions, 1, customerId);
                    touched += StepAll(db, transactions, 1);
                }
                Step(db, commit);
                return ValueTask.CompletedTask;
            },
            cancellationToken).ConfigureAwait(false);
        if (withAggregates == 0 || touched == 0)
        {
            // Every read would then have skipped the aggregates the store's read returns: a floor that reads less.
            throw new InvalidOperationException("The read floor found no aggregates for any subscription: its period start does not match the load plan's.");
        }

        return latency;
    }

    // Steps every row, touching each column's bytes; returns the bytes (so the work cannot be skipped).
    private static long StepAll(sqlite3 db, sqlite3_stmt statement, int columns)
    {
        long bytes = 0;
        int result;
        while ((result = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            for (int c = 0; c < columns; c++)
            {
                bytes += raw.sqlite3_column_bytes(statement, c) + 1;
            }
        }

        raw.sqlite3_reset(statement);
        if (result != raw.SQLITE_DONE)
        {
            Check(db, result);
        }

        return bytes;
    }
}
