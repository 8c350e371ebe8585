using System.Diagnostics;
using System.Globalization;
using Metering.PostgreSql;
using Metering.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Benchmarks.Load;

/// <summary>
/// The PostgreSQL store on loopback. The server is the one named by <c>METERING_TEST_POSTGRES</c> (an admin connection
/// string, as for the PostgreSQL tests), or a private throw-away server started from the Debian <c>postgresql</c>
/// binaries (initdb + pg_ctl) in a temp directory, stopped and deleted at the end. The private server is durable by
/// default (fsync and synchronous_commit on, as in production); <c>METERING_BENCH_POSTGRES_FSYNC=off</c> starts it
/// like the test fixture does (fsync, synchronous_commit and full_page_writes off). The store gets a fresh database;
/// the raw ceiling is a binary COPY of the same rows into the same usage-record table of the same schema in a second
/// fresh database on the same server.
/// </summary>
public sealed partial class PostgresLoadTarget : ILoadTarget
{
    private const string ServerVariable = "METERING_TEST_POSTGRES";
    private const string FsyncVariable = "METERING_BENCH_POSTGRES_FSYNC";

    private static readonly Instant PeriodStart = Instant.FromUtc(2026, 1, 1, 0, 0);

    private readonly List<string> _databases = [];
    private PrivatePostgres? _private;
    private string _admin = string.Empty;
    private string _settings = string.Empty;
    private string _meteringDatabase = string.Empty;

    /// <inheritdoc/>
    public string Name => "postgres";

    /// <inheritdoc/>
    public string RawCeilingDescription =>
        $"one binary COPY per producer (concurrent, one commit each) into metering.usage_records of a second fresh database, no validation, dedupe or aggregates; server: {_settings}";

    /// <inheritdoc/>
    public void ConfigureMetering(MeteringBuilder builder)
    {
        // Synchronous process and ADO.NET calls (not sync-over-async): ConfigureMetering is a synchronous callback.
        EnsureServer();
        _meteringDatabase = CreateDatabase();
        builder.UsePostgreSql(_meteringDatabase);
    }

    /// <inheritdoc/>
    public async ValueTask<RawCeilingResult> RawInsertCeilingAsync(IReadOnlyList<UsageRecord[]> recordsPerProducer, int batchSize, CancellationToken cancellationToken)
    {
        EnsureServer();
        var connectionString = CreateDatabase();
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (dataSource.ConfigureAwait(false))
        {
            var store = new PostgreSqlMeteringStore(dataSource);
            await using (store.ConfigureAwait(false))
            {
                await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }

            long total = recordsPerProducer.Sum(r => (long)r.Length);
            long periodStart = (PeriodStart - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var connections = new NpgsqlConnection[recordsPerProducer.Count];
            for (int p = 0; p < connections.Length; p++)
            {
                connections[p] = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                var producers = recordsPerProducer.Select((records, p) => Task.Run(
                    async () =>
                    {
                        await start.Task.ConfigureAwait(false);
                        var writer = await connections[p].BeginBinaryImportAsync(
                            "COPY metering.usage_records (idempotency_key, subscription_id, period_start, batch_seq, ordinal, customer_id, meter_key, quantity, ts, action, properties, record_subscription_id) FROM STDIN (FORMAT BINARY)",
                            cancellationToken).ConfigureAwait(false);
                        await using (writer.ConfigureAwait(false))
                        {
                            for (int j = 0; j < records.Length; j++)
                            {
                                var record = records[j];
                                await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync(record.IdempotencyKey, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync(SubscriptionOf(record.CustomerId), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync(periodStart, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync((long)p, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync(j, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync(record.CustomerId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync(record.MeterKey, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync(record.Quantity, NpgsqlDbType.Numeric, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync((record.Timestamp - NodaConstants.UnixEpoch).ToInt64Nanoseconds(), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                                await writer.WriteAsync((short)record.Action, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                                await writer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                                await writer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                            }

                            return (long)await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                        }
                    },
                    cancellationToken)).ToArray();

                long started = Stopwatch.GetTimestamp();
                start.SetResult();
                var written = (await Task.WhenAll(producers).ConfigureAwait(false)).Sum();
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (written != total)
                {
                    throw new InvalidOperationException($"The raw COPY stored {written} of {total} records.");
                }

                return new RawCeilingResult(total, elapsed);
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

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_private is null)
        {
            if (_admin.Length > 0)
            {
                await using var connection = new NpgsqlConnection(_admin);
                await connection.OpenAsync().ConfigureAwait(false);
                foreach (var name in _databases)
                {
                    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                    await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
                }
            }

            return;
        }

        await Task.Run(_private.Stop).ConfigureAwait(false);
    }

    // "cust-000123" → "sub-000123", as LoadPlan names them.
    private static string SubscriptionOf(string customerId) => string.Concat("sub-", customerId.AsSpan("cust-".Length));

    private void EnsureServer()
    {
        if (_admin.Length > 0)
        {
            return;
        }

        var external = Environment.GetEnvironmentVariable(ServerVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            _admin = external;
            _settings = $"external ({ServerVariable})";
            return;
        }

        bool durable = !string.Equals(Environment.GetEnvironmentVariable(FsyncVariable), "off", StringComparison.OrdinalIgnoreCase);
        var durability = durable ? "-c fsync=on -c synchronous_commit=on" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        _private = PrivatePostgres.Start($"{durability} -c max_connections=400 -c shared_buffers=512MB -c max_wal_size=4GB", $"--store postgres needs a server and {ServerVariable} is not set");
        int port = _private.Port;
        _admin = _private.AdminConnectionString;
        _settings = string.Create(
            CultureInfo.InvariantCulture,
            $"private PostgreSQL {Path.GetFileName(Path.GetDirectoryName(_private.BinDirectory))} on 127.0.0.1:{port}, {(durable ? "fsync + synchronous_commit on (durable)" : "fsync/synchronous_commit off (as the tests)")}");
    }

    /// <summary>Starts (or finds) the server and creates a fresh database, dropped or discarded on dispose; returns its connection string.</summary>
    internal string CreateMeteringDatabase()
    {
        EnsureServer();
        return CreateDatabase();
    }

    /// <summary>Which server the run uses and with what durability.</summary>
    internal string ServerSettings => _settings;

    private string CreateDatabase()
    {
        var name = "metering_bench_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(_admin))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0", connection);
            command.ExecuteNonQuery();
        }

        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(_admin) { Database = name, MaxPoolSize = 200 }.ConnectionString;
    }
}
