using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Metering.PostgreSql;
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
public sealed class PostgresLoadTarget : ILoadTarget
{
    private const string ServerVariable = "METERING_TEST_POSTGRES";
    private const string FsyncVariable = "METERING_BENCH_POSTGRES_FSYNC";

    private static readonly Instant PeriodStart = Instant.FromUtc(2026, 1, 1, 0, 0);

    private readonly List<string> _databases = [];
    private string? _root;
    private string? _binDirectory;
    private string _admin = string.Empty;
    private string _settings = string.Empty;

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
        builder.UsePostgreSql(CreateDatabase());
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
            long periodStart = PeriodStart.ToUnixTimeTicks();
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
                                await writer.WriteAsync(record.Timestamp.ToUnixTimeTicks(), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
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
        if (_root is null)
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

        try
        {
            Run(Path.Combine(_binDirectory!, "pg_ctl"), ["-D", Path.Combine(_root, "data"), "stop", "-m", "fast", "-w"], asPostgres: true);
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
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
        _binDirectory = FindBinDirectory();
        _root = Path.Combine(Path.GetTempPath(), "metering-bench-pg-" + Guid.NewGuid().ToString("N"));
        var data = Path.Combine(_root, "data");
        var sockets = Path.Combine(_root, "sockets");
        Directory.CreateDirectory(sockets);
        if (IsRoot)
        {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres system user.
            Run("chown", ["-R", "postgres:postgres", _root], asPostgres: false);
        }

        Run(Path.Combine(_binDirectory, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], asPostgres: true);
        int port = FreeLoopbackPort();
        var durability = durable ? "-c fsync=on -c synchronous_commit=on" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        var options = $"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 {durability} -c max_connections=400 -c shared_buffers=512MB -c max_wal_size=4GB";
        Run(Path.Combine(_binDirectory, "pg_ctl"), ["-D", data, "-o", options, "-l", Path.Combine(_root, "server.log"), "start", "-w"], asPostgres: true);
        _admin = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres" }.ConnectionString;
        _settings = string.Create(
            CultureInfo.InvariantCulture,
            $"private PostgreSQL {Path.GetFileName(Path.GetDirectoryName(_binDirectory))} on 127.0.0.1:{port}, {(durable ? "fsync + synchronous_commit on (durable)" : "fsync/synchronous_commit off (as the tests)")}");
    }

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

    private static bool IsRoot => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    private static string FindBinDirectory()
    {
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Path: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Path, "pg_ctl")) && File.Exists(Path.Combine(d.Path, "initdb")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Path is not null)
            {
                return newest.Path;
            }
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(directory, "pg_ctl")) && File.Exists(Path.Combine(directory, "initdb")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException(
            $"--store postgres needs a server: no initdb/pg_ctl was found under {debianRoot}/<version>/bin or on PATH, and {ServerVariable} is not set. "
            + $"Install the binaries (apt-get install postgresql) or set {ServerVariable} to an admin connection string, e.g. 'Host=localhost;Username=postgres;Password=...'.");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        IEnumerable<string> all = arguments;
        if (asPostgres && IsRoot)
        {
            start.FileName = "runuser";
            all = ["-u", "postgres", "--", program, .. arguments];
        }
        else
        {
            start.FileName = program;
        }

        foreach (var argument in all)
        {
            start.ArgumentList.Add(argument);
        }

        var output = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {program}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{program} {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}: {output}");
        }

        static void Append(System.Text.StringBuilder output, string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }
    }
}
