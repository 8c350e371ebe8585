using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// The kept read connections (<see cref="PostgreSqlStoreOptions.WarmReadConnections"/>): consecutive reads stay on
/// one warm backend instead of rotating through the pool, a kept connection the server closed is replaced without
/// failing the read (every read that uses them), and kept connections go back to the pool when idle and on dispose.
/// </summary>
public sealed class WarmReadConnectionsTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    // A fragment only the current-usage statement has, to find the backends that ran it in pg_stat_activity.
    private const string CurrentUsageStatementFragment = "CASE WHEN s.revision = $2 THEN NULL";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every store read that runs on the kept connections.</summary>
    public static TheoryData<string> Reads => ["current usage", "invoice preview", "find subscription", "period aggregates"];

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public async Task ConsecutiveReads_AfterABurstOfConnections_StayOnOneBackend_UnlessTurnedOff(int warm)
    {
        var connectionString = server.CreateDatabase();
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var billing = await SubscribedAsync(source, o => o.WarmReadConnections = warm);

        // A burst (64 concurrent recorders, say) leaves many idle connections in Npgsql's pool, handed out oldest first.
        var burst = new List<NpgsqlConnection>();
        for (int i = 0; i < 12; i++)
        {
            burst.Add(await source.OpenConnectionAsync(Ct));
        }

        foreach (var connection in burst)
        {
            await connection.DisposeAsync();
        }

        for (int i = 0; i < 30; i++)
        {
            _ = await billing.Usage.GetCurrentAsync("s1", Ct);
        }

        int backends = await BackendsThatRanAsync(connectionString, CurrentUsageStatementFragment);
        if (warm > 0)
        {
            backends.Should().Be(1, "consecutive reads reuse the most recently used kept connection");
        }
        else
        {
            backends.Should().BeGreaterThan(10, "turned off, every read takes the pool's oldest idle connection (this is what the option avoids)");
        }
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task AKeptConnection_TheServerClosed_IsReplaced_AndTheReadSucceeds(string read)
    {
        var connectionString = server.CreateDatabase();
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var billing = await SubscribedAsync(source, _ => { });
        (await billing.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 3m, Start, "k1"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        await ReadAsync(billing, read);

        // A restart or failover closes every session, the kept connection included, while it waits.
        (await TerminateBackendsAsync(connectionString)).Should().BeGreaterThan(0);

        var quantity = await ReadAsync(billing, read);
        quantity.Should().Be(3m, "the read ran again on a fresh connection and saw the stored record");
    }

    [Fact]
    public async Task KeptConnections_GoBackToThePool_WhenIdle()
    {
        // A pool of one connection shows whether the store still holds it: opening another waits until it comes back.
        var connectionString = new NpgsqlConnectionStringBuilder(server.CreateDatabase()) { MaxPoolSize = 1, Timeout = 1 }.ConnectionString;
        await using var source = NpgsqlDataSource.Create(connectionString);
        // Long enough that the kept connection is still held while the first open waits out its 1-second timeout.
        var lifetime = TimeSpan.FromSeconds(3);
        await using var billing = await SubscribedAsync(source, o => o.WarmReadConnectionIdleLifetime = lifetime);
        _ = await billing.Usage.GetCurrentAsync("s1", Ct);

        await FluentActions.Awaiting(() => source.OpenConnectionAsync(Ct).AsTask()).Should().ThrowAsync<NpgsqlException>("the store keeps the pool's only connection right after a read");

        NpgsqlConnection? opened = null;
        for (int attempt = 0; attempt < 20 && opened is null; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
            try
            {
                opened = await source.OpenConnectionAsync(Ct);
            }
            catch (NpgsqlException)
            {
                // Not back yet: the idle lifetime runs from the last read, and the trim runs once per lifetime.
            }
        }

        opened.Should().NotBeNull("a kept connection unused for its idle lifetime goes back to the pool");
        await opened!.DisposeAsync();

        // And the store reads on, taking the connection again.
        (await billing.Usage.GetCurrentAsync("s1", Ct)).SubscriptionId.Should().Be("s1");
    }

    [Fact]
    public async Task KeptConnections_GoBackToThePool_WhenTheStoreIsDisposed()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.CreateDatabase()) { MaxPoolSize = 1, Timeout = 1 }.ConnectionString;
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using (var billing = await SubscribedAsync(source, o => o.WarmReadConnectionIdleLifetime = TimeSpan.FromHours(1)))
        {
            _ = await billing.Invoices.PreviewAsync("s1", Ct);
            await FluentActions.Awaiting(() => source.OpenConnectionAsync(Ct).AsTask()).Should().ThrowAsync<NpgsqlException>("the store keeps the pool's only connection");
        }

        // The host owns the data source and gets its connection back at once, not after the idle lifetime.
        await using var connection = await source.OpenConnectionAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        (await command.ExecuteScalarAsync(Ct)).Should().Be(1);
    }

    private static async Task<TestMetering> SubscribedAsync(NpgsqlDataSource source, Action<PostgreSqlStoreOptions> configure)
    {
        var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(1.00m)).Build()),
            Start,
            b => b.UsePostgreSql(source, configure));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", Ct);
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", SubscriptionId = "s1" }, Ct);
        return billing;
    }

    // Runs one of the reads and returns the api_calls quantity it saw (0 when the read has none to show).
    private static async Task<decimal> ReadAsync(TestMetering billing, string read) => read switch
    {
        "current usage" => (await billing.Usage.GetCurrentAsync("s1", Ct)).Usage.Single(s => s.MeterKey == "api_calls").Quantity,
        "invoice preview" => (await billing.Invoices.PreviewAsync("s1", Ct)).Lines.Single(l => l.MeterKey == "api_calls").Quantity,
        "find subscription" => (await billing.Store.FindSubscriptionAsync("s1", Ct))!.SubscriptionId == "s1" ? 3m : 0m,
        "period aggregates" => (await billing.Store.GetAggregatesAsync("s1", Start, Ct)).Single(a => a.Key == AggregateKey.ForMeter("api_calls")).Aggregate.Quantity,
        _ => throw new ArgumentOutOfRangeException(nameof(read), read, "not a read of this test"),
    };

    private async Task<int> BackendsThatRanAsync(string connectionString, string fragment)
    {
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*)::int FROM pg_stat_activity WHERE datname = @db AND position(@fragment in query) > 0", admin);
        command.Parameters.AddWithValue("db", new NpgsqlConnectionStringBuilder(connectionString).Database!);
        command.Parameters.AddWithValue("fragment", fragment);
        return (int)(await command.ExecuteScalarAsync(Ct))!;
    }

    private async Task<int> TerminateBackendsAsync(string connectionString)
    {
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", admin);
        command.Parameters.AddWithValue("db", new NpgsqlConnectionStringBuilder(connectionString).Database!);
        int terminated = (int)(await command.ExecuteScalarAsync(Ct))!;

        // pg_terminate_backend only signals: wait until the sessions are gone, so the next read meets a closed connection.
        await using var gone = new NpgsqlCommand("SELECT count(*)::int FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", admin);
        gone.Parameters.AddWithValue("db", new NpgsqlConnectionStringBuilder(connectionString).Database!);
        for (int i = 0; i < 100 && (int)(await gone.ExecuteScalarAsync(Ct))! > 0; i++)
        {
            await Task.Delay(20, Ct);
        }

        return terminated;
    }
}
