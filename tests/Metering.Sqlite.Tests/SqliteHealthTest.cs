using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metering.Sqlite.Tests;

/// <summary>The <c>metering.store</c> check on SQLite: Unhealthy while the writer is faulted or the file cannot be opened.</summary>
public sealed class SqliteHealthTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthCheck_FaultedWriter_UnhealthyUntilItCommitsAgain()
    {
        using var db = new TempDatabase();
        await using var billing = TestMetering.Create(configureBuilder: b => b.UseSqlite(db.Path).AddHealthChecks().Services.AddLogging());
        var health = billing.Services.GetRequiredService<HealthCheckService>();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", Ct);
        var store = (SqliteMeteringStore)billing.Store;
        bool failing = true;
        store.Writer!.InjectFault = point => failing && point == "commit" ? new SqliteException("disk I/O error", SQLitePCL.raw.SQLITE_IOERR) : null;

        var write = async () => await billing.Subscriptions.CreateCustomerAsync("c2", "c2", "UTC", Ct);
        await write.Should().ThrowAsync<MeteringException>();
        var faulted = await health.CheckHealthAsync(Ct);
        failing = false;
        await billing.Subscriptions.CreateCustomerAsync("c3", "c3", "UTC", Ct);
        var recovered = await health.CheckHealthAsync(Ct);

        faulted.Entries["metering.store"].Status.Should().Be(HealthStatus.Unhealthy);
        faulted.Entries["metering.store"].Description.Should().Contain("faulted").And.Contain("disk I/O error");
        recovered.Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task HealthCheck_DatabaseCannotBeOpened_Unhealthy()
    {
        var missing = Path.Combine(Path.GetTempPath(), "metering-sqlite-tests", Guid.NewGuid().ToString("N"), "no-such-dir", "billing.db");
        var services = new ServiceCollection().AddLogging();
        services.AddMetering().UseSqlite(missing).AddHealthChecks();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

        report.Entries["metering.store"].Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries["metering.store"].Description.Should().Contain("cannot be read");
    }
}
