using System.Diagnostics;
using System.Text.RegularExpressions;
using Metering.Sqlite.CrashChild;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// Real processes on one database file: a child killed with SIGKILL mid-ingest loses no acknowledged record and leaves
/// no partial batch; two children recording at once lose nothing.
/// </summary>
public partial class ProcessTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ChildKilledMidIngest_Recovery_KeepsEveryAcknowledgedRecordOnceAndNoPartialBatch()
    {
        using var db = new TempDatabase();
        var subscriptionId = await IngestScenario.SetUpAsync(db.Path);
        const int workers = 8;
        const int batchSize = 5;
        const int killAfter = 3_000;

        using var timeout = new CancellationTokenSource(Deadline);
        using var child = StartChild(db.Path, "crash", workers, batches: -1, batchSize);
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        while (acknowledged.Count < killAfter)
        {
            var line = await child.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"The child ended before {killAfter} acknowledgements: {child.StandardError.ReadToEnd()}");
            AddAcknowledged(acknowledged, line);
        }

        child.Kill(); // SIGKILL on Unix: no finally blocks, no flush, no clean close of the database.
        var rest = await child.StandardOutput.ReadToEndAsync(timeout.Token);
        foreach (var line in rest.Split('\n'))
        {
            AddAcknowledged(acknowledged, line);
        }

        await child.WaitForExitAsync(timeout.Token);

        await using var billing = TestMetering.Create(IngestScenario.Configure, IngestScenario.ChildNow, b => b.UseSqlite(db.Path));
        var stored = new List<string>();
        await foreach (var record in billing.Store.ReadUsageRecordsAsync(subscriptionId, IngestScenario.Start, timeout.Token))
        {
            stored.Add(record.IdempotencyKey);
        }

        stored.Should().OnlyHaveUniqueItems();
        stored.Should().Contain(acknowledged, "every acknowledged record was committed before its acknowledgement was printed");
        stored.Should().OnlyContain(key => KeyPattern().IsMatch(key), "only keys the child sends can be stored");
        var batches = stored.Select(key => key[..key.LastIndexOf('-')]).GroupBy(batch => batch).ToList();
        batches.Should().OnlyContain(batch => batch.Count() == batchSize, "a batch is stored whole or not at all");
        var aggregate = (await billing.Store.GetAggregatesAsync(subscriptionId, IngestScenario.Start, timeout.Token)).Should().ContainSingle().Subject.Aggregate;
        aggregate.Quantity.Should().Be(stored.Count);
        (await billing.Reconciler.ReconcileAsync(subscriptionId, IngestScenario.Start, timeout.Token)).IsConsistent.Should().BeTrue();

        // The reopened store goes on recording; a retry of an acknowledged record is a duplicate.
        var retry = await billing.Recorder.RecordAsync(IngestScenario.Record(acknowledged.First()), timeout.Token);
        retry.Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await billing.Recorder.RecordAsync(IngestScenario.Record("after-crash"), timeout.Token)).Kind.Should().Be(UsageOutcomeKind.Accepted);
    }

    [Fact]
    public async Task TwoProcesses_RecordingIntoOneFileAtOnce_LoseNothing()
    {
        using var db = new TempDatabase();
        var subscriptionId = await IngestScenario.SetUpAsync(db.Path);
        const int workers = 16;
        const int batches = 400;
        using var timeout = new CancellationTokenSource(Deadline);

        using var first = StartChild(db.Path, "one", workers, batches, batchSize: 1);
        using var second = StartChild(db.Path, "two", workers, batches, batchSize: 1);
        var outputs = await Task.WhenAll(first.StandardOutput.ReadToEndAsync(timeout.Token), second.StandardOutput.ReadToEndAsync(timeout.Token));
        var errors = await Task.WhenAll(first.StandardError.ReadToEndAsync(timeout.Token), second.StandardError.ReadToEndAsync(timeout.Token));
        await first.WaitForExitAsync(timeout.Token);
        await second.WaitForExitAsync(timeout.Token);

        first.ExitCode.Should().Be(0, errors[0]);
        second.ExitCode.Should().Be(0, errors[1]);
        outputs.Should().AllSatisfy(output => output.Should().EndWith("done;\n"));
        const int sentEach = workers * batches;
        await using var billing = TestMetering.Create(IngestScenario.Configure, IngestScenario.ChildNow, b => b.UseSqlite(db.Path));
        var stored = new List<string>();
        await foreach (var record in billing.Store.ReadUsageRecordsAsync(subscriptionId, IngestScenario.Start, timeout.Token))
        {
            stored.Add(record.IdempotencyKey);
        }

        stored.Should().HaveCount(2 * sentEach).And.OnlyHaveUniqueItems();
        stored.Count(key => key.StartsWith("one-", StringComparison.Ordinal)).Should().Be(sentEach);
        var aggregate = (await billing.Store.GetAggregatesAsync(subscriptionId, IngestScenario.Start, timeout.Token)).Should().ContainSingle().Subject.Aggregate;
        aggregate.Quantity.Should().Be(2 * sentEach, "each process's writer must see the other's commits before updating the aggregate");
        (await billing.Reconciler.ReconcileAsync(subscriptionId, IngestScenario.Start, timeout.Token)).IsConsistent.Should().BeTrue();
    }

    private static Process StartChild(string databasePath, string prefix, int workers, int batches, int batchSize) =>
        StartChild(databasePath, prefix, workers.ToString(), batches.ToString(), batchSize.ToString());

    private static Process StartChild(params string[] arguments)
    {
        var childDll = Path.Combine(AppContext.BaseDirectory, "Metering.Sqlite.CrashChild.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Prepend(childDll))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
    }

    private static void AddAcknowledged(HashSet<string> acknowledged, string line)
    {
        // A line cut by the kill has no terminator: it was never fully acknowledged.
        if (line.EndsWith(';') && line != "done;")
        {
            acknowledged.Add(line[..^1]);
        }
    }

    [GeneratedRegex(@"^crash-[0-7]-\d+-[0-4]$")]
    private static partial Regex KeyPattern();
}
