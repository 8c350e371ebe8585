using Metering.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Metering.Sqlite.Tests;

/// <summary>
/// A fault of a whole write transaction (disk I/O error at COMMIT, a rollback that throws) fails the callers of that
/// group at once with an error naming the cause, is logged and visible to health checks, and never stops the writer:
/// later writes fail fast while the cause lasts and succeed once it is gone. Faults are injected at the writer's COMMIT.
/// </summary>
public class WriterFaultTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A hang guard, not a speed assertion: a broken writer would leave the caller waiting forever.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private static Customer NewCustomer(string id) => new(id, null, "UTC", Start);

    [Fact]
    public async Task Commit_FailingWithAnIOError_FailsItsGroupClearlyThenFailsFastThenRecovers()
    {
        using var db = new TempDatabase();
        var log = new CapturingLogger();
        await using var store = new SqliteMeteringStore(db.Path) { Logger = log };
        (await store.AddCustomerAsync(NewCustomer("before"), Ct)).Should().BeTrue();
        bool diskFailing = true;
        store.Writer!.InjectFault = point => diskFailing && point == "commit" ? new SqliteException("disk I/O error", SQLitePCL.raw.SQLITE_IOERR) : null;

        var first = async () => await store.AddCustomerAsync(NewCustomer("during-1"), Ct).AsTask().WaitAsync(HangGuard, Ct);
        var second = async () => await store.AddCustomerAsync(NewCustomer("during-2"), Ct).AsTask().WaitAsync(HangGuard, Ct);

        var error = (await first.Should().ThrowAsync<MeteringException>()).Which;
        error.Message.Should().Contain("could not commit").And.Contain("disk I/O error").And.Contain("retry");
        error.InnerException.Should().BeOfType<SqliteException>();
        error.ErrorCode.Should().Be(MeteringErrorCode.StoreUnavailable);
        error.IsRetryable.Should().BeTrue();
        await second.Should().ThrowAsync<MeteringException>();
        store.Writer.Fault.Should().NotBeNull();
        store.Writer.Fault!.ConsecutiveGroups.Should().Be(2);
        log.Entries.Where(e => e.EventId == 4010).Should().HaveCount(2).And.OnlyContain(e => e.Level == LogLevel.Error);

        diskFailing = false;
        (await store.AddCustomerAsync(NewCustomer("after"), Ct).AsTask().WaitAsync(HangGuard, Ct)).Should().BeTrue();

        store.Writer.Fault.Should().BeNull();
        log.Entries.Should().ContainSingle(e => e.EventId == 4011);
        (await store.FindCustomerAsync("before", Ct)).Should().NotBeNull("an acknowledged write is never lost");
        (await store.FindCustomerAsync("during-1", Ct)).Should().BeNull("a failed transaction stores nothing");
        (await store.FindCustomerAsync("after", Ct)).Should().NotBeNull();
    }

    [Fact]
    public async Task Writer_FaultEscapingTheRollback_LoopKeepsRunning()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        await store.InitializeAsync(Ct);
        bool broken = true;
        store.Writer!.InjectFault = point => broken
            ? point == "commit" ? new SqliteException("disk I/O error", SQLitePCL.raw.SQLITE_IOERR) : new InvalidOperationException("connection is broken")
            : null;

        var failing = async () => await store.AddCustomerAsync(NewCustomer("x"), Ct).AsTask().WaitAsync(HangGuard, Ct);
        await failing.Should().ThrowAsync<MeteringException>();

        broken = false;
        (await store.AddCustomerAsync(NewCustomer("y"), Ct).AsTask().WaitAsync(HangGuard, Ct)).Should().BeTrue();
        (await store.FindCustomerAsync("y", Ct)).Should().NotBeNull();
    }
}

/// <summary>An <see cref="ILogger"/> that keeps every entry (event id, level, message) for assertions.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly List<(int EventId, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(int EventId, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((eventId.Id, logLevel, formatter(state, exception)));
        }
    }
}
