using System.Globalization;
using Metering.Storage.Conformance;
using Metering.Storage.Conformance.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// SIGKILL during the simulation workload (<see cref="CrashWorkload"/>): a child records batches from several workers
/// (with retries and invalid items) and is killed mid-ingest; the parent reopens the file, checks every acknowledged
/// record is stored once, replays the whole workload as a host recovering would, and checks each answer and the
/// closed invoices against the independent <see cref="Oracle"/>.
/// </summary>
public partial class ProcessTest
{
    [Fact]
    public async Task ChildKilledMidSimulation_Recovery_LosesNothingAcknowledgedAndInvoicesMatchTheOracle()
    {
        foreach (var seed in SimulationConformance.SeedsToRun(2))
        {
            await KillMidSimulationAndRecoverAsync(seed);
        }
    }

    private static async Task KillMidSimulationAndRecoverAsync(int seed)
    {
        using var db = new TempDatabase();
        await using (var setUp = TestMetering.Create(SimulationWorld.Configure, SimulationWorld.Start, b => b.UseSqlite(db.Path)))
        {
            await CrashWorkload.SetUpAsync(setUp);
        }

        const int workers = 4;
        var killAfter = 400 + (seed % 7 * 150);
        using var timeout = new CancellationTokenSource(Deadline);
        var acknowledged = new Dictionary<string, string>(StringComparer.Ordinal);
        var lastBatch = new int[workers];
        using (var child = StartChild("sim", db.Path, seed.ToString(CultureInfo.InvariantCulture), workers.ToString(CultureInfo.InvariantCulture)))
        {
            while (acknowledged.Count < killAfter)
            {
                var line = await child.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"seed {seed}: the child ended early: {await child.StandardError.ReadToEndAsync(timeout.Token)}");
                AddOutcome(acknowledged, lastBatch, line);
            }

            child.Kill(); // SIGKILL: no flush, no clean close of the database.
            foreach (var line in (await child.StandardOutput.ReadToEndAsync(timeout.Token)).Split('\n'))
            {
                AddOutcome(acknowledged, lastBatch, line);
            }

            await child.WaitForExitAsync(timeout.Token);
        }

        await using var billing = TestMetering.Create(SimulationWorld.Configure, CrashWorkload.ChildNow, b => b.UseSqlite(db.Path));
        var storedBefore = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < CrashWorkload.Customers; i++)
        {
            await foreach (var record in billing.Store.ReadUsageRecordsAsync($"s{i}", SimulationWorld.Start, timeout.Token))
            {
                storedBefore.Add(record.IdempotencyKey).Should().BeTrue($"seed {seed}: {record.IdempotencyKey} is stored once");
            }

            (await billing.Reconciler.ReconcileAsync($"s{i}", SimulationWorld.Start, timeout.Token)).IsConsistent.Should().BeTrue($"seed {seed}: s{i} reconciles after the kill");
        }

        foreach (var (key, kind) in acknowledged.Where(a => a.Value is "Accepted" or "Duplicate"))
        {
            storedBefore.Should().Contain(key, $"seed {seed}: {key} was acknowledged {kind} before the kill");
        }

        // Recovery: the host resends every batch it may have sent, in order (a key names the batch it was first sent in,
        // a resend is one batch later, and one more batch per worker may have committed unacknowledged); the oracle
        // says what each answer must be.
        var oracle = new Oracle();
        for (int i = 0; i < CrashWorkload.Customers; i++)
        {
            oracle.Customers[$"c{i}"] = new OracleSubscription($"s{i}", $"c{i}", CrashWorkload.PlanOf(i), SimulationWorld.Start);
        }

        for (int worker = 0; worker < workers; worker++)
        {
            for (int batch = 0; batch <= lastBatch[worker] + 2; batch++)
            {
                var records = CrashWorkload.Batch(seed, worker, batch);
                var outcomes = await billing.Recorder.RecordBatchAsync(records, timeout.Token);
                for (int i = 0; i < records.Count; i++)
                {
                    var allowed = oracle.ExpectAndApply(records[i], billing.Clock.Now);
                    var expected = allowed.Contains("Accepted") && storedBefore.Contains(records[i].IdempotencyKey) ? "Duplicate" : string.Join("|", allowed);
                    var actual = outcomes[i].Kind == UsageOutcomeKind.Rejected ? $"Rejected:{outcomes[i].Rejection!.Value.Reason}" : outcomes[i].Kind.ToString();
                    expected.Split('|').Should().Contain(actual, $"seed {seed}: replayed {records[i].IdempotencyKey} ({outcomes[i]})");
                }
            }
        }

        var accepted = oracle.AcceptedRecords.Select(r => r.IdempotencyKey).ToHashSet(StringComparer.Ordinal);
        storedBefore.Should().OnlyContain(key => accepted.Contains(key), $"seed {seed}: only valid workload records were stored");
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}: killed after {acknowledged.Count} acknowledged items; {storedBefore.Count} records survived; {accepted.Count} after recovery");
        billing.Clock.AdvanceTo(SimulationWorld.Start.InUtc().LocalDateTime.PlusMonths(1).InUtc().ToInstant() + SimulationWorld.Grace);
        var invoices = (await billing.PeriodCloser.CloseDueAsync(timeout.Token)).Invoices;
        oracle.CloseDue(billing.Clock.Now);
        invoices.Should().HaveCount(oracle.Invoices.Count, $"seed {seed}: one invoice per subscription");
        foreach (var expected in oracle.Invoices)
        {
            var invoice = invoices.Single(i => i.SubscriptionId == expected.SubscriptionId);
            invoice.Total.Amount.Should().Be(expected.Total, $"seed {seed}: {expected.SubscriptionId} priced by hand from every record exactly once");
            foreach (var (meterKey, quantity) in expected.Quantities)
            {
                (invoice.Content.Lines.SingleOrDefault(l => l.Kind == InvoiceLineKind.Usage && l.ChargeKey == meterKey)?.Quantity ?? 0m).Should().Be(quantity, $"seed {seed}: {expected.SubscriptionId} {meterKey}");
            }
        }
    }

    private static void AddOutcome(Dictionary<string, string> acknowledged, int[] lastBatch, string line)
    {
        // A line cut by the kill has no terminator: it was never fully acknowledged.
        var at = line.IndexOf('=', StringComparison.Ordinal);
        if (!line.EndsWith(';') || at < 0)
        {
            return;
        }

        var key = line[..at];
        acknowledged[key] = line[(at + 1)..^1];
        var (worker, batch) = CrashWorkload.Origin(key);
        lastBatch[worker] = Math.Max(lastBatch[worker], batch);
    }
}
