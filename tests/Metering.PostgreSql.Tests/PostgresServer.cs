using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Metering.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

[assembly: AssemblyFixture(typeof(Metering.PostgreSql.Tests.PostgresServer))]

namespace Metering.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server of this test run: the one named by <c>METERING_TEST_POSTGRES</c> (an admin connection
/// string), or a private throw-away server started from the Debian <c>postgresql</c> binaries (initdb + pg_ctl) in a
/// temp directory on a free loopback port, run as the <c>postgres</c> user when the tests run as root. Every store a
/// test creates gets a fresh database cloned from a migrated template, so tests are isolated and run in parallel.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string EnvironmentVariable = "METERING_TEST_POSTGRES";
    private readonly Lock _createLock = new();
    private readonly List<string> _databases = [];
    private string? _root;
    private string? _binDirectory;
    private string _template = "metering_template";

    /// <summary>Connection string of a superuser on the <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; private set; } = string.Empty;

    /// <summary>True when the server was started by this fixture (and is stopped at the end).</summary>
    public bool IsPrivate => _root is not null;

    /// <inheritdoc/>
    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
            _template = "metering_template_" + Guid.NewGuid().ToString("N");
        }
        else
        {
            await StartPrivateServerAsync();
        }

        // A template with the schema migrated: each test database is a cheap copy of it.
        await ExecuteAdminAsync($"CREATE DATABASE {_template}");
        var dataSource = NpgsqlDataSource.Create(ConnectionStringFor(_template));
        await using (dataSource)
        {
            await using var store = new PostgreSqlMeteringStore(dataSource);
            await store.InitializeAsync(CancellationToken.None);
        }

        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Creates an empty database (no schema) and returns its connection string.</summary>
    public async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = "metering_" + Guid.NewGuid().ToString("N");
        await ExecuteAdminAsync($"CREATE DATABASE {name} TEMPLATE template0");
        lock (_createLock)
        {
            _databases.Add(name);
        }

        return ConnectionStringFor(name);
    }

    /// <summary>Creates a database with the current schema, cloned from the template, and returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = "metering_" + Guid.NewGuid().ToString("N");

        // Synchronous ADO.NET (not sync-over-async): UseStore is a synchronous callback.
        lock (_createLock)
        {
            using var connection = new NpgsqlConnection(AdminConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {_template}", connection);
            command.ExecuteNonQuery();
            _databases.Add(name);
        }

        return ConnectionStringFor(name);
    }

    /// <summary>Plugs a PostgreSQL store on a fresh database into <paramref name="builder"/>.</summary>
    public void Use(MeteringBuilder builder) => builder.UsePostgreSql(CreateDatabase());

    /// <summary>The connection string of database <paramref name="database"/> on this server.</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, MaxPoolSize = 40 }.ConnectionString;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_root is null)
        {
            if (AdminConnectionString.Length > 0)
            {
                foreach (var name in _databases.Append(_template))
                {
                    await ExecuteAdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                }
            }

            return;
        }

        try
        {
            await RunAsync(Path.Combine(_binDirectory!, "pg_ctl"), ["-D", DataDirectory, "stop", "-m", "fast", "-w"], asPostgres: true);
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string DataDirectory => Path.Combine(_root!, "data");

    private async Task StartPrivateServerAsync()
    {
        _binDirectory = FindBinDirectory();
        _root = Path.Combine(Path.GetTempPath(), "metering-pg-" + Guid.NewGuid().ToString("N"));
        var sockets = Path.Combine(_root, "sockets");
        Directory.CreateDirectory(sockets);
        if (IsRoot)
        {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres system user.
            await RunAsync("chown", ["-R", "postgres:postgres", _root], asPostgres: false);
        }

        await RunAsync(Path.Combine(_binDirectory, "initdb"), ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], asPostgres: true);
        int port = FreeLoopbackPort();
        var serverOptions = $"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400";
        await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", DataDirectory, "-o", serverOptions, "-l", Path.Combine(_root, "server.log"), "start", "-w"], asPostgres: true);
        AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
        }.ConnectionString;
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
            $"The PostgreSQL tests need a server: no initdb/pg_ctl was found under {debianRoot}/<version>/bin or on PATH, and {EnvironmentVariable} is not set. "
            + $"Install the binaries (apt-get install postgresql) or set {EnvironmentVariable} to an admin connection string, e.g. 'Host=localhost;Username=postgres;Password=...'.");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task RunAsync(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres && IsRoot)
        {
            start.FileName = "runuser";
            foreach (var argument in (string[])["-u", "postgres", "--", program, .. arguments])
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = program;
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{program} {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}: {await error} {await output}");
        }
    }
}
