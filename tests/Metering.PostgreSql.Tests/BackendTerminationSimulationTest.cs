using Metering.Storage.Conformance;
using Metering.Storage.Conformance.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// The simulation workload on PostgreSQL while a second connection keeps terminating the store's backends
/// (<c>pg_terminate_backend</c>), in the middle of statements and commits: the driver retries each failed call with the
/// same idempotency key, and the oracle accepts either outcome of a call whose commit may or may not have happened.
/// Every invoice, balance and aggregate must still match the oracle exactly once.
/// </summary>
public sealed class BackendTerminationSimulationTest(PostgresServer server)
{
    [Fact(Timeout = 600_000)]
    public async Task BackendsTerminatedMidWorkload_NothingLostOrDoubled_InvoicesMatchTheOracle()
    {
        var seeds = SimulationConformance.SeedsToRun(3);
        var terminated = 0;
        var failedCalls = 0;
        foreach (var seed in seeds)
        {
            var connectionString = server.CreateDatabase();
            var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
            var faults = new FaultPlan(seed, rate: 0); // no injected faults: the terminations are the faults
            await using var billing = TestMetering.Create(SimulationWorld.Configure, SimulationWorld.Start, b =>
            {
                b.UsePostgreSql(connectionString);
                faults.Wrap(b);
            });

            using var stop = new CancellationTokenSource();
            var terminator = TerminateBackendsAsync(database, faults, new Random(seed), stop.Token);
            try
            {
                failedCalls += (await SimulationDriver.RunAsync(billing, faults, seed, steps: 150, checkEvery: 10, IsConnectionLoss)).OtherFailures;
            }
            finally
            {
                await stop.CancelAsync();
                terminated += await terminator;
            }
        }

        terminated.Should().BePositive("backends must have been terminated mid-workload");
        failedCalls.Should().BePositive("terminations must have failed calls the driver then retried");
        TestContext.Current.TestOutputHelper?.WriteLine($"{seeds.Count} seeds × 150 steps, {terminated} backends terminated, {failedCalls} calls failed and retried");
    }

    // While the driver runs a step (faults enabled), terminate every backend of the test database every 10 to 100 milliseconds.
    private async Task<int> TerminateBackendsAsync(string database, FaultPlan faults, Random random, CancellationToken stop)
    {
        var terminated = 0;
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync(CancellationToken.None);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(random.Next(10, 100), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (!faults.Enabled)
            {
                continue;
            }

            await using var command = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()", admin);
            command.Parameters.AddWithValue("database", database);
            terminated += (int)(long)(await command.ExecuteScalarAsync(CancellationToken.None))!;
        }

        return terminated;
    }

    private static bool IsConnectionLoss(Exception? e) => e switch
    {
        null => false,
        NpgsqlException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsConnectionLoss),
        _ => IsConnectionLoss(e.InnerException),
    };
}
