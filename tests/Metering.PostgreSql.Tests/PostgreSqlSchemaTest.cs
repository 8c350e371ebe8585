using Metering.Storage;
using Metering.Storage.Conformance;
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
        (await ScalarsAsync<int>(connection, "SELECT version FROM metering.schema_version ORDER BY version")).Should().Equal(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

        // The scripts ran once: their seed rows are there once, and every table exists once.
        (await ScalarsAsync<string>(connection, "SELECT name FROM metering.counters ORDER BY name")).Should().Equal("credit_note", "invoice");
        (await ScalarsAsync<string>(connection, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'metering' ORDER BY tablename")).Should().Equal(
            "archived_plans", "billing_events", "counters", "credit_grants", "credit_ledgers", "credit_notes", "credit_transactions", "customers", "event_handlers", "invoices",
            "meters", "parked_events", "pending_adjustments", "plans", "schema_version", "subscriptions", "usage_aggregates", "usage_records");
    }

    [Fact]
    public async Task Version2_MovesAV1DatabaseFromTicksToNanoseconds_AndItReadsTheSame()
    {
        var start = Instant.FromUtc(2026, 1, 1, 0, 0);
        var at = start + Duration.FromDays(2) + Duration.FromNanoseconds(123_456_700); // whole ticks, as v1 kept them
        var connectionString = server.CreateDatabase();
        var record = new UsageRecord("c1", "api_calls", 5m, at, "k1");
        string subscriptionId;
        await using (var billing = TestMetering.Create(Options, start, b => b.UsePostgreSql(connectionString)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
            subscriptionId = (await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" })).SubscriptionId;
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(100m, Currency.USD), Name = "Welcome", ExpiresAt = start + Duration.FromDays(90) });
            billing.Clock.Advance(Duration.FromDays(3));
            (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
            (await billing.AdvanceToPeriodEndAsync(subscriptionId)).Invoices.Should().ContainSingle();
        }

        // What v1 wrote for the same data: every instant column in ticks (the documents are the same), at version 1.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, InstantColumns.Select(c => $"UPDATE metering.{c.Table} SET {c.Column} = {c.Column} / 100").Concat(UndoVersion10).Concat(UndoVersion9).Concat(UndoVersion8).Concat(UndoVersion7).Concat(UndoVersion6).Concat(UndoVersion5).Concat(UndoVersion4).Concat(UndoVersion3).Append("DELETE FROM metering.schema_version WHERE version IN (2, 3, 4, 5, 6, 7, 8, 9, 10)"));
            (await ScalarsAsync<long>(connection, "SELECT ts FROM metering.usage_records")).Should().Equal(at.ToUnixTimeTicks());
        }

        await using (var source = NpgsqlDataSource.Create(connectionString))
        {
            // Migrated once: a second start changes nothing.
            await using (var store = new PostgreSqlMeteringStore(source))
            {
                await store.InitializeAsync(CancellationToken.None);
                await store.InitializeAsync(CancellationToken.None);
            }

            await using var connection = await source.OpenConnectionAsync();
            (await ScalarsAsync<long>(connection, "SELECT ts FROM metering.usage_records")).Should().Equal(at.ToUnixTimeTicks() * 100);
            (await ScalarsAsync<int>(connection, "SELECT version FROM metering.schema_version ORDER BY version")).Should().Equal(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        }

        await using (var billing = TestMetering.Create(Options, start + Duration.FromDays(40), b => b.UsePostgreSql(connectionString)))
        {
            var store = billing.Store;
            (await billing.Recorder.RecordAsync(record with { })).Kind.Should().Be(UsageOutcomeKind.Duplicate);
            (await store.FindCustomerAsync("c1", CancellationToken.None))!.CreatedAt.Should().Be(start);
            var stored = new List<UsageRecord>();
            await foreach (var r in store.ReadUsageRecordsAsync(subscriptionId, start, CancellationToken.None))
            {
                stored.Add(r);
            }

            stored.Should().Equal(record);
            var events = await store.ReadAllEventsAsync();
            events.Select(e => e.Event.Type).Should().StartWith([BillingEventType.SubscriptionActivated, BillingEventType.CreditsGranted], "events written before v3 are read back in their order");
            events.Select(e => e.Sequence).Should().BeInAscendingOrder();
            (await store.GetAggregatesAsync(subscriptionId, start, CancellationToken.None)).Single().Aggregate.RecordCount.Should().Be(1);
            (await store.ListUsagePeriodsAsync(subscriptionId, null, 10, CancellationToken.None)).Items.Should().Equal(start);
            (await store.FindSubscriptionsDueAsync(Instant.FromUtc(2026, 3, 1, 0, 0), 10, CancellationToken.None)).Should().Equal(subscriptionId);
            (await store.FindSubscriptionsDueAsync(Instant.FromUtc(2026, 2, 28, 0, 0), 10, CancellationToken.None)).Should().BeEmpty();
            (await store.FindCustomersWithExpiringCreditsAsync(start + Duration.FromDays(90), 10, CancellationToken.None)).Should().Equal("c1");
            (await store.FindCustomersWithExpiringCreditsAsync(start + Duration.FromDays(89), 10, CancellationToken.None)).Should().BeEmpty();
        }
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
        var bad = new PostgreSqlStoreOptions { Schema = "Bad-Name", CommandTimeout = TimeSpan.Zero, MaxGroupCommitSize = 0, GroupCommitWriters = 0, WarmReadConnections = -1, WarmReadConnectionIdleLifetime = TimeSpan.Zero, CacheCapacity = -1 };
        await using var source = NpgsqlDataSource.Create(server.ConnectionStringFor("postgres"));

        var construct = () => new PostgreSqlMeteringStore(source, bad);
        construct.Should().Throw<ArgumentException>()
            .Which.Message.Should().ContainAll("PostgreSqlStoreOptions.Schema 'Bad-Name'", "PostgreSqlStoreOptions.CommandTimeout is 0 seconds", "PostgreSqlStoreOptions.MaxGroupCommitSize", "PostgreSqlStoreOptions.GroupCommitWriters", "PostgreSqlStoreOptions.WarmReadConnections -1", "PostgreSqlStoreOptions.WarmReadConnectionIdleLifetime is 0 seconds", "PostgreSqlStoreOptions.CacheCapacity -1");

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

    /// <summary>Takes a v6 database back to v5: no archived plans.</summary>
    private static readonly string[] UndoVersion6 = ["DROP TABLE metering.archived_plans"];

    /// <summary>Takes a v10 database back to v9: no pending adjustment markers.</summary>
    private static readonly string[] UndoVersion10 = ["DROP TABLE metering.pending_adjustments"];

    /// <summary>Takes a v9 database back to v8: no adjustment invoices.</summary>
    private static readonly string[] UndoVersion9 =
    [
        "DROP INDEX metering.invoices_live_period",
        "ALTER TABLE metering.invoices DROP COLUMN adjusts",
        "CREATE UNIQUE INDEX invoices_live_period ON metering.invoices (subscription_id, period_start) WHERE replaced_by IS NULL",
    ];

    /// <summary>Takes a v8 database back to v7: no index by status.</summary>
    private static readonly string[] UndoVersion8 = ["DROP INDEX metering.invoices_by_status"];

    /// <summary>Takes a v7 database back to v6: one invoice per period, no replaced_by.</summary>
    private static readonly string[] UndoVersion7 =
    [
        "DROP INDEX metering.invoices_live_period",
        "DROP INDEX metering.invoices_by_period",
        "ALTER TABLE metering.invoices DROP COLUMN replaced_by",
        "ALTER TABLE metering.invoices ADD CONSTRAINT invoices_subscription_id_period_start_key UNIQUE (subscription_id, period_start)",
    ];

    /// <summary>Takes a v5 database back to v4: no credit notes.</summary>
    private static readonly string[] UndoVersion5 =
    [
        "DROP TABLE metering.credit_notes",
        "DELETE FROM metering.counters WHERE name = 'credit_note'",
    ];

    /// <summary>Takes a v3 database back to v2's event log: the 'event' counter and no transaction ids, sequence or delivery tables.</summary>
    private static readonly string[] UndoVersion4 = ["ALTER TABLE metering.customers DROP COLUMN details"];

    private static readonly string[] UndoVersion3 =
    [
        "DROP TABLE metering.event_handlers",
        "DROP TABLE metering.parked_events",
        "ALTER TABLE metering.billing_events ALTER COLUMN sequence DROP DEFAULT",
        "DROP SEQUENCE metering.billing_event_sequence",
        "ALTER TABLE metering.billing_events DROP COLUMN tx",
        "INSERT INTO metering.counters (name, value) SELECT 'event', COALESCE(MAX(sequence), 0) FROM metering.billing_events",
    ];

    private static readonly (string Table, string Column)[] InstantColumns =
    [
        ("customers", "created_at"), ("subscriptions", "period_start"), ("subscriptions", "period_end"), ("subscriptions", "ended_at"),
        ("usage_records", "period_start"), ("usage_records", "ts"), ("usage_aggregates", "period_start"), ("usage_aggregates", "latest_ts"),
        ("invoices", "period_start"), ("credit_grants", "expires_at"), ("credit_transactions", "at"),
    ];

    private static void Options(MeteringOptions o) =>
        o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m).WithCharge("api_calls", PricingModel.PerUnit(2m)).Build());

    private static async Task ExecuteAsync(NpgsqlConnection connection, IEnumerable<string> statements)
    {
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
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
