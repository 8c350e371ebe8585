using Metering.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Metering.Sqlite.Tests;

/// <summary>
/// <see cref="SqliteStoreOptions.WalSizeLimit"/>: sustained concurrent writes (the writer always busy, so a PASSIVE
/// checkpoint never finds the log idle) keep the write-ahead log file near its limit instead of growing with every
/// write, with readers reading throughout and nothing lost; a read transaction held open past the checkpointer's wait
/// defers the bound with a warning, and the log is bounded again once it ends.
/// </summary>
public class WalSizeLimitTest
{
    private const long Limit = SqliteStoreOptions.MinWalSizeLimit;

    // The log passes its limit by what the writer adds while the PASSIVE checkpoint that finds it past the limit runs
    // (copying and syncing the database: 8-16 MB here at the test's write rate), before the writer restarts it. The same
    // writes without a bound grew the file to 390 MB (measured with the restart disabled).
    private const long Bound = 32 * Limit;

    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SustainedWrites_WithReaders_KeepTheLogFileNearItsLimit_AndLoseNothing(bool slowCheckpoints)
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path, new SqliteStoreOptions { WalSizeLimit = Limit });
        await store.InitializeAsync(Ct);
        if (slowCheckpoints)
        {
            // A slow disk: PASSIVE checkpoints run back to back, as at the load runner's write rate with the default limit.
            store.Writer!.Checkpointer.DuringPassive = () => Thread.Sleep(20);
        }

        using var done = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var watcher = WatchLogAsync(db.Path, done.Token);
        var readers = Enumerable.Range(0, 2).Select(_ => ReadUntilAsync(store, done.Token)).ToArray();
        int written = await WriteCustomersAsync(store, "c", writers: 64, perWriter: 1_200);
        await done.CancelAsync();
        long largest = await watcher;
        int reads = (await Task.WhenAll(readers)).Sum();

        reads.Should().BePositive("readers ran beside the writer");
        largest.Should().BeGreaterThan(Limit / 2, "the writes filled the log past half its limit at least once (the test wrote enough)");
        largest.Should().BeLessThanOrEqualTo(Bound, $"the log is restarted once it passes its limit of {Limit} bytes");
        (await CountCustomersAsync(db.Path)).Should().Be(written, "every acknowledged write is in the database");
    }

    [Fact]
    public async Task ReadTransactionHeldOpen_DefersTheBoundWithAWarning_ThenTheLogIsBoundedAgain()
    {
        using var db = new TempDatabase();
        var log = new CapturingLogger();
        await using var store = new SqliteMeteringStore(db.Path, new SqliteStoreOptions { WalSizeLimit = Limit }) { Logger = log };
        await store.InitializeAsync(Ct);
        await WriteCustomersAsync(store, "before", writers: 8, perWriter: 20);

        // A reader of another connection keeps its snapshot (and with it the log) while the store writes on.
        await using (var reader = new SqliteConnection($"Data Source={db.Path}"))
        {
            await reader.OpenAsync(Ct);
            using var transaction = reader.BeginTransaction(deferred: true);
            await using (var read = reader.CreateCommand())
            {
                read.CommandText = "SELECT COUNT(*) FROM customers";
                ((long)(await read.ExecuteScalarAsync(Ct))!).Should().Be(160);
            }

            await WriteCustomersAsync(store, "held", writers: 64, perWriter: 150);
            new FileInfo(db.Path + "-wal").Length.Should().BeGreaterThan(8 * Limit, "the open read kept the log from being restarted");
            log.Entries.Should().Contain(e => e.EventId == 4012 && e.Level == LogLevel.Warning && e.Message.Contains("could not restart the write-ahead log", StringComparison.Ordinal));
        }

        // Once the reader is gone, the next checkpoints restart the log and the next write truncates its file.
        int written = await WriteCustomersAsync(store, "after", writers: 64, perWriter: 300);
        await WriteCustomersAsync(store, "last", writers: 1, perWriter: 1);
        new FileInfo(db.Path + "-wal").Length.Should().BeLessThanOrEqualTo(Bound, "the log was restarted and truncated to its limit after the reader ended");
        (await CountCustomersAsync(db.Path)).Should().Be(160 + (64 * 150) + written + 1);
    }

    /// <summary>Adds customers from <paramref name="writers"/> concurrent callers, each with a 2 KB name (several log pages per group).</summary>
    private static async Task<int> WriteCustomersAsync(SqliteMeteringStore store, string prefix, int writers, int perWriter)
    {
        string name = new('n', 2_000);
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(
            async () =>
            {
                for (int i = 0; i < perWriter; i++)
                {
                    (await store.AddCustomerAsync(new Customer($"{prefix}-{w}-{i}", name, "UTC", Start), Ct)).Should().BeTrue();
                }
            },
            Ct));
        await Task.WhenAll(tasks);
        return writers * perWriter;
    }

    private static async Task<int> ReadUntilAsync(SqliteMeteringStore store, CancellationToken stop)
    {
        int reads = 0;
        while (!stop.IsCancellationRequested)
        {
            await store.FindCustomerAsync("c-0-0", Ct);
            reads++;
            await Task.Yield();
        }

        return reads;
    }

    /// <summary>The largest size of the log file seen, sampled every millisecond or so until <paramref name="stop"/>.</summary>
    private static async Task<long> WatchLogAsync(string path, CancellationToken stop)
    {
        var log = new FileInfo(path + "-wal");
        long largest = 0;
        while (!stop.IsCancellationRequested)
        {
            log.Refresh();
            largest = Math.Max(largest, log.Exists ? log.Length : 0);
            try
            {
                await Task.Delay(1, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return largest;
    }

    private static async Task<long> CountCustomersAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync(Ct);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM customers";
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }
}
