using System.Diagnostics;
using System.Globalization;
using System.Text;
using Metering.PostgreSql;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Benchmarks.Load;

/// <summary>
/// The PostgreSQL close ceiling: the close's invoice, subscription and event rows written again into a fresh database
/// of the store's schema with the store's own set-based statements (unnest arrays, documents parsed into jsonb), by
/// <see cref="CloseCeilingWriters"/> connections each committing chunks of <see cref="CloseCeilingChunk"/> closes.
/// </summary>
public sealed partial class PostgresLoadTarget : ICloseCeiling
{
    /// <summary>Closes per transaction of the close ceiling (the store's <c>MaxClosesPerCall</c>).</summary>
    public const int CloseCeilingChunk = 100;

    /// <summary>Concurrent writer connections of the close ceiling.</summary>
    public const int CloseCeilingWriters = 4;

    private long _eventsBeforeClose;

    /// <summary>
    /// Whether each chunk of the close ceiling also takes its block of invoice numbers, first in its one round trip
    /// (<c>METERING_BENCH_CLOSE_CEILING_NUMBERS=1</c>): the store's gap-free counter row, locked from there to the commit.
    /// </summary>
    private static bool TakesInvoiceNumbers => Environment.GetEnvironmentVariable("METERING_BENCH_CLOSE_CEILING_NUMBERS") == "1";

    /// <inheritdoc/>
    public string CloseCeilingDescription => string.Create(
        CultureInfo.InvariantCulture,
        $"the close's rows read back from the run's database, written into a fresh database of the same schema by {CloseCeilingWriters} connections, one transaction per {CloseCeilingChunk} closes of three set-based statements in one round trip (INSERT invoices, UPDATE subscriptions, INSERT events FROM unnest(...), documents cast to jsonb) and COMMIT; {(TakesInvoiceNumbers ? "each chunk first takes its block of invoice numbers (UPDATE counters, held to the commit); no reads, subscription locks" : "no reads, locks, invoice counter")}, pricing or serialization; server: {_settings}");

    /// <inheritdoc/>
    public async ValueTask MarkBeforeCloseAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_meteringDatabase);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT COALESCE(MAX(sequence), 0) FROM metering.billing_events", connection);
        _eventsBeforeClose = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc/>
    public async ValueTask<CloseCeilingRun> CloseCeilingAsync(CancellationToken cancellationToken)
    {
        var closed = await ReadClosedRowsAsync(cancellationToken).ConfigureAwait(false);
        var dataSource = NpgsqlDataSource.Create(CreateDatabase());
        await using (dataSource.ConfigureAwait(false))
        {
            var store = new PostgreSqlMeteringStore(dataSource);
            await using (store.ConfigureAwait(false))
            {
                await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }

            await LoadSubscriptionsAsync(dataSource, closed.Subscriptions.Values, cancellationToken).ConfigureAwait(false);
            return await WriteClosesAsync(dataSource, closed, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ClosedRows> ReadClosedRowsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_meteringDatabase);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var invoices = new List<ClosedInvoice>();
        await using (var command = new NpgsqlCommand("SELECT invoice_id, number, subscription_id, period_start, customer_id, doc::text FROM metering.invoices ORDER BY number", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                invoices.Add(new ClosedInvoice(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetString(5)));
            }
        }

        var subscriptions = new Dictionary<string, ClosedSubscription>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT subscription_id, customer_id, revision, period_start, period_end, ended_at, doc::text FROM metering.subscriptions", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                subscriptions[reader.GetString(0)] = new ClosedSubscription(
                    reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetString(6));
            }
        }

        var events = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT doc::text FROM metering.billing_events WHERE sequence > $1 ORDER BY tx, sequence", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _eventsBeforeClose });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(reader.GetString(0));
            }
        }

        return new ClosedRows([.. invoices], subscriptions, [.. events]);
    }

    private static async Task LoadSubscriptionsAsync(NpgsqlDataSource dataSource, IEnumerable<ClosedSubscription> subscriptions, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var writer = await connection.BeginBinaryImportAsync(
            "COPY metering.subscriptions (subscription_id, customer_id, revision, period_start, period_end, ended_at, doc) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            foreach (var s in subscriptions)
            {
                await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(s.SubscriptionId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(s.CustomerId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(s.Revision, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(s.PeriodStart, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(s.PeriodEnd, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                if (s.EndedAt is { } ended)
                {
                    await writer.WriteAsync(ended, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await writer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }

                await writer.WriteAsync(s.Doc, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }

            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var analyze = new NpgsqlCommand("ANALYZE metering.subscriptions", connection);
        await analyze.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<CloseCeilingRun> WriteClosesAsync(NpgsqlDataSource dataSource, ClosedRows closed, CancellationToken cancellationToken)
    {
        int count = closed.Invoices.Length;
        var connections = new NpgsqlConnection[CloseCeilingWriters];
        for (int w = 0; w < connections.Length; w++)
        {
            connections[w] = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            int nextChunk = -1;
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writers = connections.Select(connection => Task.Run(
                async () =>
                {
                    await start.Task.ConfigureAwait(false);
                    for (int from = Interlocked.Increment(ref nextChunk) * CloseCeilingChunk; from < count; from = Interlocked.Increment(ref nextChunk) * CloseCeilingChunk)
                    {
                        await WriteChunkAsync(connection, closed, from, Math.Min(count, from + CloseCeilingChunk), cancellationToken).ConfigureAwait(false);
                    }
                },
                cancellationToken)).ToArray();
            long started = Stopwatch.GetTimestamp();
            start.SetResult();
            await Task.WhenAll(writers).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);

            await using var counts = new NpgsqlCommand("SELECT (SELECT count(*) FROM metering.invoices), (SELECT count(*) FROM metering.billing_events)", connections[0]);
            await using var reader = await counts.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (reader.GetInt64(0) != count || reader.GetInt64(1) != closed.Events.Length)
            {
                throw new InvalidOperationException($"The close ceiling stored {reader.GetInt64(0)} of {count} invoices and {reader.GetInt64(1)} of {closed.Events.Length} events.");
            }

            // Counted outside the timing: the documents as UTF-8, each invoice's with its subscription's.
            long bytes = closed.Invoices.Sum(i => (long)Encoding.UTF8.GetByteCount(i.Doc) + Encoding.UTF8.GetByteCount(closed.Subscriptions[i.SubscriptionId].Doc))
                + closed.Events.Sum(e => (long)Encoding.UTF8.GetByteCount(e));
            return new CloseCeilingRun(count, closed.Events.Length, bytes, elapsed);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task WriteChunkAsync(NpgsqlConnection connection, ClosedRows closed, int from, int to, CancellationToken cancellationToken)
    {
        var invoices = closed.Invoices[from..to];
        var subscriptions = invoices.Select(i => closed.Subscriptions[i.SubscriptionId]).ToArray();
        var (firstEvent, endEvent) = CloseCeilingRun.Share(closed.Events.Length, closed.Invoices.Length, from, to);
        var events = closed.Events[firstEvent..endEvent];

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            if (TakesInvoiceNumbers)
            {
                batch.BatchCommands.Add(Command("UPDATE metering.counters SET value = value + $1 WHERE name = 'invoice' RETURNING value", new NpgsqlParameter<long> { TypedValue = to - from }));
            }

            batch.BatchCommands.Add(Command(
                """
                INSERT INTO metering.invoices (invoice_id, number, subscription_id, period_start, customer_id, doc)
                SELECT u.id, u.n, u.sub, u.ps, u.c, u.d::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS u(id, n, sub, ps, c, d)
                """,
                Array(invoices.Select(i => i.InvoiceId)),
                Array(invoices.Select(i => i.Number)),
                Array(invoices.Select(i => i.SubscriptionId)),
                Array(invoices.Select(i => i.PeriodStart)),
                Array(invoices.Select(i => i.CustomerId)),
                Array(invoices.Select(i => i.Doc))));
            batch.BatchCommands.Add(Command(
                """
                UPDATE metering.subscriptions t SET revision = u.r, period_start = u.ps, period_end = u.pe, ended_at = u.e, doc = u.d::jsonb
                FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS u(id, r, ps, pe, e, d)
                WHERE t.subscription_id = u.id
                """,
                Array(subscriptions.Select(s => s.SubscriptionId)),
                Array(subscriptions.Select(s => s.Revision)),
                Array(subscriptions.Select(s => s.PeriodStart)),
                Array(subscriptions.Select(s => s.PeriodEnd)),
                Array(subscriptions.Select(s => s.EndedAt)),
                Array(subscriptions.Select(s => s.Doc))));
            batch.BatchCommands.Add(Command(
                """
                INSERT INTO metering.billing_events (sequence, doc)
                SELECT nextval('metering.billing_event_sequence'), o.doc
                FROM (SELECT u.doc::jsonb AS doc FROM unnest($1::text[]) WITH ORDINALITY AS u(doc, ord) ORDER BY u.ord) o
                """,
                Array(events)));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<T[]> Array<T>(IEnumerable<T> values) => new() { TypedValue = [.. values] };

    private sealed record ClosedInvoice(string InvoiceId, long Number, string SubscriptionId, long PeriodStart, string CustomerId, string Doc);

    private sealed record ClosedSubscription(string SubscriptionId, string CustomerId, long Revision, long PeriodStart, long PeriodEnd, long? EndedAt, string Doc);

    private sealed record ClosedRows(ClosedInvoice[] Invoices, Dictionary<string, ClosedSubscription> Subscriptions, string[] Events);
}
