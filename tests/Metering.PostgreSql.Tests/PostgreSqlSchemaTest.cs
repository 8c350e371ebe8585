using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>Schema creation and migration, schemas side by side, and option checks.</summary>
public sealed class PostgreSqlSchemaTest(PostgresServer server)
{
    [Fact]
    public async Task FourConcurrentInitializations_OnAFreshDatabase_AllSucceed_AndLeaveOneSchema()
    {
        var connectionString = await server.CreateEmptyDatabaseAsync();
        var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(connectionString)).ToArray();
        try
        {
            var stores = sources.Select(s => new PostgreSqlMeteringStore(s)).ToArray();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var starts = stores.Select(store => Task.Run(async () =>
            {
                await gate.Task;
                await store.InitializeAsync(CancellationToken.None);
            })).ToArray();
            gate.SetResult();
            await Task.WhenAll(starts);

            // A fifth start later finds the schema current and changes nothing.
            await stores[0].InitializeAsync(CancellationToken.None);
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        (await ScalarsAsync<string>(connection, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'metering%'")).Should().Equal("metering");
        (await ScalarsAsync<int>(connection, "SELECT version FROM metering.schema_version ORDER BY version")).Should().Equal(1);

        // The script ran once: its seed rows are there once, and every table exists once.
        (await ScalarsAsync<string>(connection, "SELECT name FROM metering.counters ORDER BY name")).Should().Equal("event", "invoice");
        (await ScalarsAsync<string>(connection, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'metering' ORDER BY tablename")).Should().Equal(
            "billing_events", "counters", "credit_grants", "credit_ledgers", "credit_transactions", "customers", "invoices",
            "meters", "plans", "schema_version", "subscriptions", "usage_aggregates", "usage_records");
    }

    [Fact]
    public async Task TwoSchemas_InOneDatabase_KeepSeparateState()
    {
        var connectionString = await server.CreateEmptyDatabaseAsync();
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var tenantA = new PostgreSqlMeteringStore(source, new PostgreSqlStoreOptions { Schema = "tenant_a" });
        await using var tenantB = new PostgreSqlMeteringStore(source, new PostgreSqlStoreOptions { Schema = "tenant_b" });
        await tenantA.InitializeAsync(CancellationToken.None);
        await tenantB.InitializeAsync(CancellationToken.None);

        await tenantA.UpsertMeterAsync(Meter.Sum("api_calls"), CancellationToken.None);

        (await tenantA.ListMetersAsync(CancellationToken.None)).Select(m => m.Key).Should().Equal("api_calls");
        (await tenantB.ListMetersAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task OptionsChangedAfterConstruction_AreNotUsed()
    {
        var connectionString = await server.CreateEmptyDatabaseAsync();
        await using var source = NpgsqlDataSource.Create(connectionString);
        var options = new PostgreSqlStoreOptions { Schema = "tenant_a" };
        await using var store = new PostgreSqlMeteringStore(source, options);

        // A change after validation (here to a name that would be injected into SQL unquoted) must not reach the store.
        options.Schema = "x; DROP SCHEMA tenant_a CASCADE; --";
        await store.InitializeAsync(CancellationToken.None);
        await store.UpsertMeterAsync(Meter.Sum("api_calls"), CancellationToken.None);

        await using var connection = await source.OpenConnectionAsync();
        (await ScalarsAsync<string>(connection, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'tenant_a' AND tablename = 'meters'")).Should().Equal("meters");
        (await store.ListMetersAsync(CancellationToken.None)).Select(m => m.Key).Should().Equal("api_calls");
    }

    [Fact]
    public async Task SynchronousDispose_OfAProviderOwningTheStore_DoesNotThrow_AndStopsRecording()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(new Metering.Testing.TestClock(Instant.FromUtc(2026, 1, 1, 0, 0)));
        services.AddMetering(o => o.AddMeter(Meter.Sum("api_calls"))).UsePostgreSql(server.CreateDatabase());
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IMeteringStore>();
        await store.InitializeAsync(CancellationToken.None);

        var dispose = () => provider.Dispose();

        dispose.Should().NotThrow();
        var item = new PreparedUsage(new UsageRecord("c1", "api_calls", 1m, Instant.FromUtc(2026, 1, 1, 0, 0), "k1"), "s1", Instant.FromUtc(2026, 1, 1, 0, 0), [], Plan.Create("p", Currency.USD, BillingInterval.Months(1)).Build());
        await FluentActions.Awaiting(() => store.AppendUsageAsync(item, CancellationToken.None).AsTask()).Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task InvalidOptions_AreRejected_WithMessagesNamingEachSetting()
    {
        var bad = new PostgreSqlStoreOptions { Schema = "Bad-Name", CommandTimeout = TimeSpan.Zero, MaxGroupCommitSize = 0, GroupCommitWriters = 0 };
        await using var source = NpgsqlDataSource.Create(server.ConnectionStringFor("postgres"));

        var construct = () => new PostgreSqlMeteringStore(source, bad);
        construct.Should().Throw<ArgumentException>()
            .Which.Message.Should().ContainAll("PostgreSqlStoreOptions.Schema 'Bad-Name'", "PostgreSqlStoreOptions.CommandTimeout", "PostgreSqlStoreOptions.MaxGroupCommitSize", "PostgreSqlStoreOptions.GroupCommitWriters");

        // Through DI the same checks run when the options are first read (at host start with ValidateOnStart).
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(new TestClock(Instant.FromUtc(2026, 1, 1, 0, 0)));
        services.AddMetering().UsePostgreSql(source, o => o.Schema = "1tenant");
        await using var provider = services.BuildServiceProvider();
        var read = () => provider.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value;
        read.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("PostgreSqlStoreOptions.Schema '1tenant'");
    }

    [Fact]
    public async Task UsePostgreSql_WithADataSource_RegistersThePostgreSqlStore_AndLeavesTheDataSourceOpen()
    {
        await using var source = NpgsqlDataSource.Create(server.CreateDatabase());
        await using (var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("api_calls")), configureBuilder: b => b.UsePostgreSql(source)))
        {
            billing.Store.Should().BeOfType<PostgreSqlMeteringStore>();
            await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        }

        // The host owns the data source: it still works after Metering is disposed.
        await using var connection = await source.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM metering.customers", connection);
        (await command.ExecuteScalarAsync()).Should().Be(1L);
    }

    private static async Task<List<T>> ScalarsAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}
