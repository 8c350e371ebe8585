using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// DESIGN §6: records/s of 64 concurrent recorders (RecordAsync loops) through the PostgreSQL store on loopback,
/// against a raw binary COPY of the same rows into the same usage table in the same run. Prints the figures and
/// the ratio; asserts only that every record was accepted and counted (timings are never asserted).
/// </summary>
[Collection(MeasurementsCollection.Name)]
public sealed class ThroughputMeasurement(PostgresServer server, ITestOutputHelper output)
{
    private const int Recorders = 64;
    private const int Customers = 64;
    private const int PerRecorder = 500;
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task SixtyFourRecorders_VersusRawCopy_RecordsPerSecond()
    {
        var connectionString = server.CreateDatabase();
        await using var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(0.01m)).Build()),
            Start,
            b => b.UsePostgreSql(connectionString));
        for (int c = 0; c < Customers; c++)
        {
            await billing.Subscriptions.CreateCustomerAsync($"c{c}", $"c{c}", "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{c}", PlanKey = "standard" });
        }

        billing.Clock.AdvanceTo(Start + Duration.FromDays(1));
        var records = Enumerable.Range(0, Recorders)
            .Select(r => Enumerable.Range(0, PerRecorder)
                .Select(i => new UsageRecord($"c{r % Customers}", "api_calls", 1m + (i % 3), Start + Duration.FromSeconds(i), $"r{r}-{i}"))
                .ToArray())
            .ToArray();

        // Warm up: connections, prepared catalog, subscription caches.
        for (int c = 0; c < Customers; c++)
        {
            (await billing.Recorder.RecordAsync(new UsageRecord($"c{c}", "api_calls", 0m, Start, $"warm-{c}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorders = records.Select(mine => Task.Run(async () =>
        {
            await gate.Task;
            int accepted = 0;
            foreach (var record in mine)
            {
                if ((await billing.Recorder.RecordAsync(record)).Kind == UsageOutcomeKind.Accepted)
                {
                    accepted++;
                }
            }

            return accepted;
        })).ToArray();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var recorderClock = Stopwatch.StartNew();
        gate.SetResult();
        var acceptedTotal = (await Task.WhenAll(recorders)).Sum();
        recorderClock.Stop();
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        // The same rows, keys renamed, by one binary COPY into the same table.
        var copyClock = Stopwatch.StartNew();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var writer = await connection.BeginBinaryImportAsync(
                "COPY metering.usage_records (idempotency_key, subscription_id, period_start, batch_seq, ordinal, customer_id, meter_key, quantity, ts, action, properties, record_subscription_id) FROM STDIN (FORMAT BINARY)");
            long batch = 1_000_000;
            foreach (var mine in records)
            {
                int ordinal = 0;
                foreach (var record in mine)
                {
                    await writer.StartRowAsync();
                    await writer.WriteAsync("raw-" + record.IdempotencyKey, NpgsqlDbType.Text);
                    await writer.WriteAsync("sub-" + record.CustomerId, NpgsqlDbType.Text);
                    await writer.WriteAsync((Start - NodaConstants.UnixEpoch).ToInt64Nanoseconds(), NpgsqlDbType.Bigint);
                    await writer.WriteAsync(batch, NpgsqlDbType.Bigint);
                    await writer.WriteAsync(ordinal++, NpgsqlDbType.Integer);
                    await writer.WriteAsync(record.CustomerId, NpgsqlDbType.Text);
                    await writer.WriteAsync(record.MeterKey, NpgsqlDbType.Text);
                    await writer.WriteAsync(record.Quantity, NpgsqlDbType.Numeric);
                    await writer.WriteAsync((record.Timestamp - NodaConstants.UnixEpoch).ToInt64Nanoseconds(), NpgsqlDbType.Bigint);
                    await writer.WriteAsync((short)record.Action, NpgsqlDbType.Smallint);
                    await writer.WriteNullAsync();
                    await writer.WriteNullAsync();
                }

                batch++;
            }

            await writer.CompleteAsync();
        }

        copyClock.Stop();

        int total = Recorders * PerRecorder;
        double recorderRate = total / recorderClock.Elapsed.TotalSeconds;
        double copyRate = total / copyClock.Elapsed.TotalSeconds;
        var report = string.Create(
            CultureInfo.InvariantCulture,
            $"PostgreSQL loopback, {Recorders} recorders x {PerRecorder} records: {recorderRate:N0} records/s ({recorderClock.Elapsed.TotalSeconds:N2} s, client CPU {clientCpu.TotalSeconds:N2} s); raw binary COPY of the same {total} rows: {copyRate:N0} rows/s ({copyClock.Elapsed.TotalSeconds:N2} s); ratio {recorderRate / copyRate:P0}");
        output.WriteLine(report);
        TestContext.Current.SendDiagnosticMessage(report);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "postgresql-throughput.txt"), report + Environment.NewLine);

        acceptedTotal.Should().Be(total);
        var subscription = (await billing.Subscriptions.ListAsync("c0"))[0];
        var summary = (await billing.Usage.GetCurrentAsync(subscription.SubscriptionId)).Usage.Single();

        // Customer c0 is recorded by recorder 0 only: 500 records of 1, 2, 3 repeating = 167 × 1 + 167 × 2 + 166 × 3 = 999.
        summary.Quantity.Should().Be(999m);
        summary.RecordCount.Should().Be(PerRecorder + 1);
    }
}
