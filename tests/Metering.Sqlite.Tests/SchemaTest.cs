using Metering.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metering.Sqlite.Tests;

public class SchemaTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstUse_CreatesTheSchemaAtTheLibraryVersion_ReopeningChangesNothing()
    {
        using var db = new TempDatabase();
        for (int i = 0; i < 3; i++)
        {
            await using var store = new SqliteMeteringStore(db.Path);
            await store.InitializeAsync(Ct);
            await store.InitializeAsync(Ct);
        }

        var versions = await QueryAsync(db.Path, "SELECT version || ':' || script FROM schema_version ORDER BY version");
        versions.Should().Equal("1:0001_initial.sql", "2:0002_usage_keys_in_batches.sql", "3:0003_event_delivery.sql", "4:0004_customer_details.sql", "5:0005_credit_notes.sql", "6:0006_plan_archive.sql", "7:0007_invoice_regeneration.sql", "8:0008_invoices_by_status.sql", "9:0009_adjustment_invoices.sql", "10:0010_pending_adjustments.sql", "11:0011_document_tables_with_rowid.sql", "12:0012_subscription_revisions.sql", "13:0013_long_usage_keys_digested.sql");
        SqliteMeteringStore.SchemaVersion.Should().Be(13);
        var tables = await QueryAsync(db.Path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        tables.Should().Equal(
            "aggregate_distinct", "aggregates", "archived_plans", "billing_events", "credit_grants", "credit_notes", "credit_transactions", "customers",
            "event_handlers", "invoices", "meters", "parked_events", "pending_adjustments", "plans", "schema_version", "subscriptions", "usage_by_period", "usage_index_state", "usage_keys", "usage_records");
    }

    [Fact]
    public async Task Open_DatabaseFromANewerLibrary_RefusedNamingBothVersions()
    {
        using var db = new TempDatabase();
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            await store.InitializeAsync(Ct);
        }

        await QueryAsync(db.Path, "INSERT INTO schema_version (version, script) VALUES (14, '0014_future.sql')");

        await using var older = new SqliteMeteringStore(db.Path);
        var act = async () => await older.InitializeAsync(Ct);

        (await act.Should().ThrowAsync<MeteringException>())
            .Which.Message.Should().Contain("schema version 14").And.Contain("up to 13").And.Contain("upgrade the Metering.Sqlite package");
        var read = async () => await older.ListMetersAsync(Ct);
        await read.Should().ThrowAsync<MeteringException>();
    }

    [Fact]
    public async Task Upgrade_Version1Database_KeepsItsIdempotencyKeysIndexedAndUnindexed()
    {
        using var db = new TempDatabase();
        var start = Instant.FromUtc(2026, 1, 1, 0, 0);
        var at = start + Duration.FromMinutes(1);
        long Nanos(Instant i) => (i - NodaConstants.UnixEpoch).ToInt64Nanoseconds();

        // A database as version 1 left it: k-1 covered by the batch index (indexed_through = 1), k-2 in the unindexed tail.
        using (var stream = typeof(SqliteMeteringStore).Assembly.GetManifestResourceStream("Metering.Sqlite.Migrations.0001_initial.sql")!)
        using (var text = new StreamReader(stream))
        {
            var v1 = await text.ReadToEndAsync(Ct);
            await QueryAsync(db.Path, v1 + $"""
                ;
                CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, script TEXT NOT NULL);
                INSERT INTO schema_version VALUES (1, '0001_initial.sql');
                INSERT INTO usage_records (seq, idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action)
                VALUES (1, 'k-1', 's-1', {Nanos(start)}, 'c-1', 'api_calls', '1', {Nanos(at)}, 0),
                       (2, 'k-2', 's-1', {Nanos(start)}, 'c-1', 'api_calls', '2', {Nanos(at)}, 0);
                UPDATE usage_index_state SET indexed_through = 1;
                """);
        }

        await using (var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(0.001m)).Build()),
            start,
            b => b.UseSqlite(db.Path)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c-1", null, "UTC", Ct);
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c-1", PlanKey = "p", SubscriptionId = "s-1" }, Ct);
            billing.Clock.Advance(Duration.FromMinutes(2));

            (await billing.Recorder.RecordAsync(new UsageRecord("c-1", "api_calls", 1m, at, "k-1"), Ct)).Kind.Should().Be(UsageOutcomeKind.Duplicate);
            (await billing.Recorder.RecordAsync(new UsageRecord("c-1", "api_calls", 2m, at, "k-2"), Ct)).Kind.Should().Be(UsageOutcomeKind.Duplicate);
            (await billing.Recorder.RecordAsync(new UsageRecord("c-1", "api_calls", 5m, at, "k-1"), Ct)).Kind.Should().Be(UsageOutcomeKind.Conflict);
            (await billing.Recorder.RecordAsync(new UsageRecord("c-1", "api_calls", 4m, at, "k-3"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);
            (await billing.Recorder.RecordAsync(new UsageRecord("c-1", "api_calls", 4m, at, "k-3"), Ct)).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        }

        (await QueryAsync(db.Path, "SELECT version || ':' || script FROM schema_version ORDER BY version")).Should().Equal("1:0001_initial.sql", "2:0002_usage_keys_in_batches.sql", "3:0003_event_delivery.sql", "4:0004_customer_details.sql", "5:0005_credit_notes.sql", "6:0006_plan_archive.sql", "7:0007_invoice_regeneration.sql", "8:0008_invoices_by_status.sql", "9:0009_adjustment_invoices.sql", "10:0010_pending_adjustments.sql", "11:0011_document_tables_with_rowid.sql", "12:0012_subscription_revisions.sql", "13:0013_long_usage_keys_digested.sql");
        (await QueryAsync(db.Path, "SELECT idempotency_key || '=' || seq FROM usage_keys")).Should().Equal("k-1=1");
        (await QueryAsync(db.Path, "SELECT idempotency_key || ':' || quantity FROM usage_records ORDER BY seq")).Should().Equal("k-1:1", "k-2:2", "k-3:4");
    }

    [Fact]
    public void Startup_BadOptions_FailNamingEachSetting()
    {
        static void Bad(SqliteStoreOptions o)
        {
            o.MaxBatchSize = 0;
            o.QueueCapacity = -1;
            o.BusyTimeout = TimeSpan.FromSeconds(-1);
            o.ReadMemoryMapSize = -1;
            o.WalSizeLimit = 1_000;
            o.CacheCapacity = -1;
        }

        // UseSqlite checks its callback's options at the call, naming every bad setting.
        var register = () => new ServiceCollection().AddMetering().UseSqlite("x.db", Bad);
        register.Should().Throw<MeteringException>()
            .Which.Message.Should().Contain("MaxBatchSize").And.Contain("QueueCapacity").And.Contain("BusyTimeout").And.Contain("ReadMemoryMapSize is -1").And.Contain("WalSizeLimit is 1000; use 1048576 (1 MB) or more").And.Contain("CacheCapacity is -1");

        // Options changed later through the options pattern are checked when first read (at host start: ValidateOnStart).
        var services = new ServiceCollection();
        services.AddMetering().UseSqlite("x.db");
        services.Configure<SqliteStoreOptions>(Bad);
        using var provider = services.BuildServiceProvider();
        var read = () => provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;
        read.Should().Throw<OptionsValidationException>()
            .Which.Message.Should().Contain("MaxBatchSize").And.Contain("QueueCapacity").And.Contain("BusyTimeout").And.Contain("ReadMemoryMapSize is -1").And.Contain("WalSizeLimit is 1000; use 1048576 (1 MB) or more").And.Contain("CacheCapacity is -1");

        // A store created directly runs the same checks in its constructor.
        var options = new SqliteStoreOptions();
        Bad(options);
        var construct = () => new SqliteMeteringStore("x.db", options);
        construct.Should().Throw<MeteringException>()
            .Which.Message.Should().Contain("MaxBatchSize").And.Contain("QueueCapacity").And.Contain("BusyTimeout").And.Contain("ReadMemoryMapSize is -1").And.Contain("WalSizeLimit is 1000; use 1048576 (1 MB) or more").And.Contain("CacheCapacity is -1");
    }

    [Fact]
    public void Open_InMemoryDatabase_RefusedWithTheFix()
    {
        var services = new ServiceCollection();
        var act = () => services.AddMetering().UseSqlite("Data Source=:memory:");

        act.Should().Throw<ArgumentException>().WithMessage("*in-memory database*UseInMemoryStore*");
    }

    [Fact]
    public async Task Version7_AllowsOneLiveInvoicePerPeriod_AndAnyNumberOfReplacedOnes()
    {
        using var db = new TempDatabase();
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            await store.InitializeAsync(Ct);
        }

        await QueryAsync(db.Path, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data, replaced_by) VALUES ('a', 1, 's', 'c', 0, '{}', 'b')");
        await QueryAsync(db.Path, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES ('b', 2, 's', 'c', 0, '{}')");
        var secondLive = async () => await QueryAsync(db.Path, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES ('x', 3, 's', 'c', 0, '{}')");

        (await secondLive.Should().ThrowAsync<SqliteException>()).Which.Message.Should().Contain("UNIQUE");
        (await QueryAsync(db.Path, "SELECT invoice_id || ':' || COALESCE(replaced_by, '-') FROM invoices ORDER BY number")).Should().Equal("a:b", "b:-");
    }

    [Fact]
    public async Task Version9_AdjustmentInvoicesAreNotThePeriodsLiveInvoice()
    {
        using var db = new TempDatabase();
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            await store.InitializeAsync(Ct);
        }

        await QueryAsync(db.Path, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES ('a', 1, 's', 'c', 0, '{}')");
        await QueryAsync(db.Path, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data, adjusts) VALUES ('a_a1', 2, 's', 'c', 0, '{}', 'a')");
        await QueryAsync(db.Path, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data, adjusts) VALUES ('a_a2', 3, 's', 'c', 0, '{}', 'a')");
        var secondLive = async () => await QueryAsync(db.Path, "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES ('x', 4, 's', 'c', 0, '{}')");

        (await secondLive.Should().ThrowAsync<SqliteException>()).Which.Message.Should().Contain("UNIQUE");
        (await QueryAsync(db.Path, "SELECT invoice_id || ':' || COALESCE(adjusts, '-') FROM invoices ORDER BY number")).Should().Equal("a:-", "a_a1:a", "a_a2:a");
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
