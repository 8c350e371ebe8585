using System.Globalization;
using Metering.Sqlite;
using Microsoft.Data.Sqlite;

namespace Metering.Benchmarks.Load;

/// <summary>The SQLite group-commit ceiling: one writer connection drains the queue, one transaction per group.</summary>
public sealed partial class SqliteLoadTarget : IGroupCommitCeiling
{
    /// <summary>The group-commit ceiling's database file.</summary>
    public string GroupCommitPath => Path.Combine(_folder, "group.db");

    /// <inheritdoc/>
    public string GroupCommitDescription => string.Create(
        CultureInfo.InvariantCulture,
        $"P producers each awaiting the commit of its own record; one writer (ADO.NET, prepared commands) drains the queue, one BEGIN IMMEDIATE..COMMIT per group (WAL, synchronous={Synchronous.ToString().ToUpperInvariant()}); INSERT OR IGNORE into usage_keys, then usage_records (same schema, fresh file); no validation, attribution or aggregates");

    /// <inheritdoc/>
    public async ValueTask<CeilingRun> GroupCommitCeilingAsync(IReadOnlyList<UsageRecord[]> recordsPerProducer, CancellationToken cancellationToken)
    {
        await using (var store = new SqliteMeteringStore(GroupCommitPath))
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        using var connection = new SqliteConnection($"Data Source={GroupCommitPath};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, "PRAGMA synchronous = " + Synchronous.ToString().ToUpperInvariant());

        using var key = connection.CreateCommand();
        key.CommandText = "INSERT OR IGNORE INTO usage_keys (idempotency_key, seq) VALUES ($k, $seq)";
        var keyK = key.Parameters.Add("$k", SqliteType.Text);
        var keySeq = key.Parameters.Add("$seq", SqliteType.Integer);
        using var insert = connection.CreateCommand();
        insert.CommandText =
            """
            INSERT INTO usage_records (seq, idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action, properties, requested_subscription_id)
            VALUES ($seq, $k, $sub, $ps, $cust, $meter, $qty, $ts, $act, NULL, NULL)
            """;
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var k = insert.Parameters.Add("$k", SqliteType.Text);
        var sub = insert.Parameters.Add("$sub", SqliteType.Text);
        var ps = insert.Parameters.Add("$ps", SqliteType.Integer);
        var cust = insert.Parameters.Add("$cust", SqliteType.Text);
        var meter = insert.Parameters.Add("$meter", SqliteType.Text);
        var qty = insert.Parameters.Add("$qty", SqliteType.Text);
        var ts = insert.Parameters.Add("$ts", SqliteType.Integer);
        var act = insert.Parameters.Add("$act", SqliteType.Integer);
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        using var commit = connection.CreateCommand();
        commit.CommandText = "COMMIT";
        key.Prepare();
        insert.Prepare();
        begin.Prepare();
        commit.Prepare();

        long next = 1;
        var run = await GroupCommit.RunAsync(
            recordsPerProducer,
            writers: 1,
            maxGroup: RawTransactionRows,
            (_, group, _) =>
            {
                begin.ExecuteNonQuery();
                foreach (var record in group)
                {
                    keyK.Value = record.IdempotencyKey;
                    keySeq.Value = next;
                    if (key.ExecuteNonQuery() == 0)
                    {
                        continue;
                    }

                    seq.Value = next++;
                    k.Value = record.IdempotencyKey;
                    sub.Value = string.Concat("sub-", record.CustomerId.AsSpan("cust-".Length));
                    ps.Value = PeriodStart(record.Timestamp);
                    cust.Value = record.CustomerId;
                    meter.Value = record.MeterKey;
                    qty.Value = record.Quantity.ToString(CultureInfo.InvariantCulture);
                    ts.Value = Nanos(record.Timestamp);
                    act.Value = (long)record.Action;
                    insert.ExecuteNonQuery();
                }

                commit.ExecuteNonQuery();
                return ValueTask.CompletedTask;
            },
            cancellationToken).ConfigureAwait(false);

        using var count = new SqliteCommand("SELECT COUNT(*) FROM usage_records", connection);
        long stored = (long)count.ExecuteScalar()!;
        if (stored != run.Records)
        {
            throw new InvalidOperationException($"The group-commit ceiling stored {stored} of {run.Records} records.");
        }

        return run;
    }
}
