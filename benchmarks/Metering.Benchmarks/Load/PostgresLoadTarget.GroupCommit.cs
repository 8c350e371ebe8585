using Metering.PostgreSql;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Benchmarks.Load;

/// <summary>The PostgreSQL group-commit ceiling: two writer connections drain one queue, one statement (one transaction) per group.</summary>
public sealed partial class PostgresLoadTarget : IGroupCommitCeiling
{
    private const int GroupCommitWriters = 2;

    /// <inheritdoc/>
    public string GroupCommitDescription =>
        $"P producers each awaiting the commit of its own record; {GroupCommitWriters} writer connections drain one queue, one autocommitted INSERT ... SELECT FROM unnest(...) ON CONFLICT (idempotency_key) DO NOTHING per group into metering.usage_records of a third fresh database; no validation or aggregates; server: {_settings}";

    /// <inheritdoc/>
    public async ValueTask<CeilingRun> GroupCommitCeilingAsync(IReadOnlyList<UsageRecord[]> recordsPerProducer, CancellationToken cancellationToken)
    {
        EnsureServer();
        var dataSource = NpgsqlDataSource.Create(CreateDatabase());
        await using (dataSource.ConfigureAwait(false))
        {
            var store = new PostgreSqlMeteringStore(dataSource);
            await using (store.ConfigureAwait(false))
            {
                await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }

            long periodStart = (PeriodStart - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
            var connections = new NpgsqlConnection[GroupCommitWriters];
            for (int w = 0; w < connections.Length; w++)
            {
                connections[w] = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                long batchSeq = 0;
                var run = await GroupCommit.RunAsync(
                    recordsPerProducer,
                    GroupCommitWriters,
                    maxGroup: 10_000,
                    async (w, group, ct) =>
                    {
                        int n = group.Count;
                        var keys = new string[n];
                        var subs = new string[n];
                        var ordinals = new int[n];
                        var customers = new string[n];
                        var meters = new string[n];
                        var quantities = new decimal[n];
                        var stamps = new long[n];
                        var actions = new short[n];
                        for (int i = 0; i < n; i++)
                        {
                            var record = group[i];
                            keys[i] = record.IdempotencyKey;
                            subs[i] = SubscriptionOf(record.CustomerId);
                            ordinals[i] = i;
                            customers[i] = record.CustomerId;
                            meters[i] = record.MeterKey;
                            quantities[i] = record.Quantity;
                            stamps[i] = (record.Timestamp - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
                            actions[i] = (short)record.Action;
                        }

                        await using var insert = new NpgsqlCommand(
                            """
                            INSERT INTO metering.usage_records (idempotency_key, subscription_id, period_start, batch_seq, ordinal, customer_id, meter_key, quantity, ts, action, properties, record_subscription_id)
                            SELECT u.k, u.sub, $2, $3, u.ord, u.cust, u.meter, u.qty, u.ts, u.act, NULL, NULL
                            FROM unnest($1::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::numeric[], $9::bigint[], $10::smallint[])
                                 AS u(k, sub, ord, cust, meter, qty, ts, act)
                            ON CONFLICT (idempotency_key) DO NOTHING
                            """,
                            connections[w]);
                        insert.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                        insert.Parameters.Add(new NpgsqlParameter { Value = periodStart, NpgsqlDbType = NpgsqlDbType.Bigint });
                        insert.Parameters.Add(new NpgsqlParameter { Value = Interlocked.Increment(ref batchSeq), NpgsqlDbType = NpgsqlDbType.Bigint });
                        insert.Parameters.Add(new NpgsqlParameter { Value = subs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                        insert.Parameters.Add(new NpgsqlParameter { Value = ordinals, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
                        insert.Parameters.Add(new NpgsqlParameter { Value = customers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                        insert.Parameters.Add(new NpgsqlParameter { Value = meters, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                        insert.Parameters.Add(new NpgsqlParameter { Value = quantities, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric });
                        insert.Parameters.Add(new NpgsqlParameter { Value = stamps, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                        insert.Parameters.Add(new NpgsqlParameter { Value = actions, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
                        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    },
                    cancellationToken).ConfigureAwait(false);

                await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM metering.usage_records", connections[0]);
                long stored = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                if (stored != run.Records)
                {
                    throw new InvalidOperationException($"The group-commit ceiling stored {stored} of {run.Records} records.");
                }

                return run;
            }
            finally
            {
                foreach (var connection in connections)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
