using Metering.PostgreSql;
using Metering.TestSupport;
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
    private PrivatePostgres? _private;
    private string _template = "metering_template";

    /// <summary>Connection string of a superuser on the <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; private set; } = string.Empty;

    /// <summary>True when the server was started by this fixture (and is stopped at the end).</summary>
    public bool IsPrivate => _private is not null;

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
            // Fast and disposable: test data need not survive a crash of the server.
            _private = await Task.Run(() => PrivatePostgres.Start(
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
                $"The PostgreSQL tests need a server and {EnvironmentVariable} is not set"));
            AdminConnectionString = _private.AdminConnectionString;
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
        if (_private is null)
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

        await Task.Run(_private.Stop);
    }

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
