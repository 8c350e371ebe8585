using System.Diagnostics;
using System.Globalization;
using System.Text;
using Metering.Sqlite;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Metering.Benchmarks.Load;

/// <summary>
/// The SQLite close ceiling: the close's invoice, subscription and event rows written again into a fresh file of the
/// store's schema by one connection with native prepared statements, in transactions of
/// <see cref="CloseCeilingTransactionCloses"/> closes.
/// </summary>
public sealed partial class SqliteLoadTarget : ICloseCeiling
{
    /// <summary>Closes per transaction of the close ceiling.</summary>
    public const int CloseCeilingTransactionCloses = 1_000;

    private long _eventsBeforeClose;

    /// <summary>The close ceiling's database file.</summary>
    public string CloseCeilingPath => Path.Combine(_folder, "close.db");

    /// <inheritdoc/>
    public string CloseCeilingDescription => string.Create(
        CultureInfo.InvariantCulture,
        $"the close's rows read back from the run's file, written into a fresh file of the same schema and indexes (WAL, synchronous={Synchronous.ToString().ToUpperInvariant()}) by one connection with native prepared statements and the store's writer settings (64 MB page cache, no checkpoint in a commit), {CloseCeilingTransactionCloses:N0} closes per transaction: INSERT the invoice, UPDATE its subscription, INSERT its events (UTF-8 documents bound as they were stored); no reads, checks, pricing or serialization");

    /// <inheritdoc/>
    public ValueTask MarkBeforeCloseAsync(CancellationToken cancellationToken)
    {
        using var connection = new SqliteConnection($"Data Source={MeteringPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = new SqliteCommand("SELECT COALESCE(MAX(sequence), 0) FROM billing_events", connection);
        _eventsBeforeClose = (long)command.ExecuteScalar()!;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask<CloseCeilingRun> CloseCeilingAsync(CancellationToken cancellationToken)
    {
        var closed = ReadClosedRows();
        await using (var store = new SqliteMeteringStore(CloseCeilingPath))
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return await Task.Run(() => WriteCloses(closed), cancellationToken).ConfigureAwait(false);
    }

    private ClosedRows ReadClosedRows()
    {
        using var connection = new SqliteConnection($"Data Source={MeteringPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var invoices = new List<ClosedInvoice>();
        using (var command = new SqliteCommand("SELECT invoice_id, number, subscription_id, customer_id, period_start, data FROM invoices ORDER BY number", connection))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                invoices.Add(new ClosedInvoice(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), Encoding.UTF8.GetBytes(reader.GetString(5))));
            }
        }

        var subscriptions = new Dictionary<string, ClosedSubscription>(StringComparer.Ordinal);
        using (var command = new SqliteCommand("SELECT seq, subscription_id, customer_id, current_period_end, ended_at, revision, data FROM subscriptions", connection))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                subscriptions[reader.GetString(1)] = new ClosedSubscription(
                    reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.GetInt64(5), Encoding.UTF8.GetBytes(reader.GetString(6)));
            }
        }

        var events = new List<byte[]>();
        using (var command = new SqliteCommand("SELECT data FROM billing_events WHERE sequence > $mark ORDER BY sequence", connection))
        {
            command.Parameters.AddWithValue("$mark", _eventsBeforeClose);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                events.Add(Encoding.UTF8.GetBytes(reader.GetString(0)));
            }
        }

        return new ClosedRows([.. invoices], subscriptions, [.. events]);
    }

    private CloseCeilingRun WriteCloses(ClosedRows closed)
    {
        using var connection = new SqliteConnection($"Data Source={CloseCeilingPath};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, "PRAGMA synchronous = " + Synchronous.ToString().ToUpperInvariant());

        // The store's writer settings: a 64 MB page cache, and no checkpoint inside a commit (the store checkpoints on
        // a background thread; here the WAL just grows over the timed writes).
        Execute(connection, "PRAGMA cache_size = -65536");
        Execute(connection, "PRAGMA wal_autocheckpoint = 0");
        var db = connection.Handle!;

        // The subscriptions as they stand before the close (their stored rows; the update rewrites the same columns).
        Execute(connection, "BEGIN IMMEDIATE");
        using (var insert = Prepare(db, "INSERT INTO subscriptions (seq, subscription_id, customer_id, current_period_end, ended_at, revision, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"))
        {
            foreach (var s in closed.Subscriptions.Values)
            {
                raw.sqlite3_bind_int64(insert, 1, s.Seq);
                BindSubscription(insert, 2, s);
                Step(db, insert);
            }
        }

        Execute(connection, "COMMIT");
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");

        using var invoice = Prepare(db, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        using var subscription = Prepare(db, "UPDATE subscriptions SET customer_id = ?2, current_period_end = ?3, ended_at = ?4, revision = ?5, data = ?6 WHERE subscription_id = ?1");
        using var append = Prepare(db, "INSERT INTO billing_events (data) VALUES (?1)");
        int count = closed.Invoices.Length;
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i += CloseCeilingTransactionCloses)
        {
            int end = Math.Min(count, i + CloseCeilingTransactionCloses);
            var (firstEvent, endEvent) = CloseCeilingRun.Share(closed.Events.Length, count, i, end);
            Execute(connection, "BEGIN IMMEDIATE");
            for (int k = i; k < end; k++)
            {
                var row = closed.Invoices[k];
                raw.sqlite3_bind_text(invoice, 1, row.InvoiceId);
                raw.sqlite3_bind_int64(invoice, 2, row.Number);
                raw.sqlite3_bind_text(invoice, 3, row.SubscriptionId);
                raw.sqlite3_bind_text(invoice, 4, row.CustomerId);
                raw.sqlite3_bind_int64(invoice, 5, row.PeriodStart);
                raw.sqlite3_bind_text(invoice, 6, row.Data);
                Step(db, invoice);
                var s = closed.Subscriptions[row.SubscriptionId];
                BindSubscription(subscription, 1, s);
                Step(db, subscription);
            }

            for (int e = firstEvent; e < endEvent; e++)
            {
                raw.sqlite3_bind_text(append, 1, closed.Events[e]);
                Step(db, append);
            }

            Execute(connection, "COMMIT");
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        using var counts = new SqliteCommand("SELECT (SELECT COUNT(*) FROM invoices), (SELECT COUNT(*) FROM billing_events)", connection);
        using var reader = counts.ExecuteReader();
        reader.Read();
        if (reader.GetInt64(0) != count || reader.GetInt64(1) != closed.Events.Length)
        {
            throw new InvalidOperationException($"The close ceiling stored {reader.GetInt64(0)} of {count} invoices and {reader.GetInt64(1)} of {closed.Events.Length} events.");
        }

        long bytes = closed.Invoices.Sum(i => (long)i.Data.Length + closed.Subscriptions[i.SubscriptionId].Data.Length) + closed.Events.Sum(e => (long)e.Length);
        return new CloseCeilingRun(count, closed.Events.Length, bytes, elapsed);
    }

    private static sqlite3_stmt Prepare(sqlite3 db, string sql)
    {
        Check(db, raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement));
        return statement;
    }

    private static void Step(sqlite3 db, sqlite3_stmt statement)
    {
        int result = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (result != raw.SQLITE_DONE)
        {
            Check(db, result);
        }
    }

    // The subscription's columns from parameter `first` on: id, customer, period end, ended at, revision, document.
    private static void BindSubscription(sqlite3_stmt statement, int first, ClosedSubscription s)
    {
        raw.sqlite3_bind_text(statement, first, s.SubscriptionId);
        raw.sqlite3_bind_text(statement, first + 1, s.CustomerId);
        raw.sqlite3_bind_int64(statement, first + 2, s.CurrentPeriodEnd);
        if (s.EndedAt is { } ended)
        {
            raw.sqlite3_bind_int64(statement, first + 3, ended);
        }
        else
        {
            raw.sqlite3_bind_null(statement, first + 3);
        }

        raw.sqlite3_bind_int64(statement, first + 4, s.Revision);
        raw.sqlite3_bind_text(statement, first + 5, s.Data);
    }

    private sealed record ClosedInvoice(string InvoiceId, long Number, string SubscriptionId, string CustomerId, long PeriodStart, byte[] Data);

    private sealed record ClosedSubscription(long Seq, string SubscriptionId, string CustomerId, long CurrentPeriodEnd, long? EndedAt, long Revision, byte[] Data);

    private sealed record ClosedRows(ClosedInvoice[] Invoices, Dictionary<string, ClosedSubscription> Subscriptions, byte[][] Events);
}
