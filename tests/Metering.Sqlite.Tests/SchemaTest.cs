using Metering.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

public class SchemaTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task First_use_creates_the_schema_at_the_library_version_and_reopening_changes_nothing()
    {
        using var db = new TempDatabase();
        for (int i = 0; i < 3; i++)
        {
            await using var store = new SqliteMeteringStore(db.Path);
            await store.InitializeAsync(Ct);
            await store.InitializeAsync(Ct);
        }

        var versions = await QueryAsync(db.Path, "SELECT version || ':' || script FROM schema_version ORDER BY version");
        versions.Should().Equal("1:0001_initial.sql");
        SqliteMeteringStore.SchemaVersion.Should().Be(1);
        var tables = await QueryAsync(db.Path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        tables.Should().Equal(
            "aggregate_distinct", "aggregates", "billing_events", "credit_grants", "credit_transactions", "customers",
            "invoices", "meters", "plans", "schema_version", "subscriptions", "usage_by_period", "usage_index_state", "usage_records");
    }

    [Fact]
    public async Task A_database_from_a_newer_library_is_refused_naming_both_versions()
    {
        using var db = new TempDatabase();
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            await store.InitializeAsync(Ct);
        }

        await QueryAsync(db.Path, "INSERT INTO schema_version (version, script) VALUES (7, '0007_future.sql')");

        await using var older = new SqliteMeteringStore(db.Path);
        var act = async () => await older.InitializeAsync(Ct);

        (await act.Should().ThrowAsync<MeteringException>())
            .Which.Message.Should().Contain("schema version 7").And.Contain("up to 1").And.Contain("upgrade the Metering.Sqlite package");
        var read = async () => await older.ListMetersAsync(Ct);
        await read.Should().ThrowAsync<MeteringException>();
    }

    [Fact]
    public void Bad_options_fail_at_registration_naming_each_setting()
    {
        var services = new ServiceCollection();
        var act = () => services.AddMetering().UseSqlite("x.db", o =>
        {
            o.MaxBatchSize = 0;
            o.QueueCapacity = -1;
            o.BusyTimeout = TimeSpan.FromSeconds(-1);
        });

        act.Should().Throw<MeteringException>()
            .Which.Message.Should().Contain("MaxBatchSize").And.Contain("QueueCapacity").And.Contain("BusyTimeout");
    }

    [Fact]
    public void An_in_memory_database_is_refused_with_the_fix()
    {
        var services = new ServiceCollection();
        var act = () => services.AddMetering().UseSqlite("Data Source=:memory:");

        act.Should().Throw<ArgumentException>().WithMessage("*in-memory database*UseInMemoryStore*");
    }

    private static async Task<List<string>> QueryAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
