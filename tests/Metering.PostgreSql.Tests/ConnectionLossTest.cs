using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// Connection loss (what a server restart or failover does to open sessions, simulated with pg_terminate_backend):
/// calls fail fast with the connection error or succeed, none hangs, and the store recovers on its own; every record
/// acknowledged as accepted is counted exactly once.
/// </summary>
public sealed class ConnectionLossTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2); // not a speed assertion: a stuck writer would hang the test

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sessions_KilledUnderTheStore_FailFastAndTheStoreRecovers()
    {
        var connectionString = server.CreateDatabase();
        await using var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(1.00m)).Build()),
            Start,
            b => b.UsePostgreSql(connectionString));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", Ct);
        var subscription = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" }, Ct);
        int accepted = 0;
        (await billing.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 1m, Start, "before"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        accepted++;

        int failures = 0;
        for (int round = 0; round < 3; round++)
        {
            await TerminateSessionsAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
            var batch = Enumerable.Range(0, 20).Select(i => new UsageRecord("c1", "api_calls", 1m, Start, $"r{round}-{i}")).ToList();
            for (int attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    // A retry with the same keys is safe: a record stored before the failure comes back as a Duplicate.
                    var outcomes = await billing.Recorder.RecordBatchAsync(batch, Ct).AsTask().WaitAsync(HangGuard, Ct);
                    accepted += outcomes.Count(o => o.Kind == UsageOutcomeKind.Accepted);
                    outcomes.Should().OnlyContain(o => o.IsCounted);
                    break;
                }
                catch (Exception e) when (e is NpgsqlException or MeteringException)
                {
                    failures++;
                }
            }
        }

        TestContext.Current.SendDiagnosticMessage($"connection-loss failures seen: {failures}");
        failures.Should().BeLessThanOrEqualTo(3, "at most the first call after each loss fails; the next one reconnects");
        var aggregates = await billing.Store.GetAggregatesAsync(subscription.SubscriptionId, Start, Ct);
        aggregates.Single(a => a.Key == Metering.Storage.AggregateKey.ForMeter("api_calls")).Aggregate.Quantity.Should().Be(61m, "1 + 3 × 20 records, each counted once");
        accepted.Should().Be(61);
    }

    private async Task TerminateSessionsAsync(string database)
    {
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", admin);
        command.Parameters.AddWithValue("db", database);
        await command.ExecuteScalarAsync(Ct);
    }
}
