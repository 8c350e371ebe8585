using Metering.Sqlite;

namespace Metering.Sqlite.Tests;

/// <summary>
/// <see cref="SqliteStoreOptions.ReadMemoryMapSize"/>: off by default (no connection maps the database file), and when
/// set the read connections map it and read the same data. Whether the file is mapped is read from the process's own
/// memory map (<c>/proc/self/maps</c>, Linux, where CI runs).
/// </summary>
public class ReadMemoryMapTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0L)]
    [InlineData(64L * 1024 * 1024)]
    public async Task ReadConnections_MapTheFile_OnlyWhenAsked_AndReadTheSameData(long mapSize)
    {
        OperatingSystem.IsLinux().Should().BeTrue("the test reads /proc/self/maps");
        using var db = new TempDatabase();
        var schedule = BillingSchedule.FromStart(Start, DateTimeZone.Utc, BillingInterval.Months(1));
        var subscription = new Subscription
        {
            SubscriptionId = "s-1", CustomerId = "c-1", PlanKey = "pro", PlanVersion = 1, Schedule = schedule, StartedAt = Start, CurrentPeriod = schedule.PeriodAt(0), Seats = 4,
        };
        await using (var writer = new SqliteMeteringStore(db.Path))
        {
            (await writer.AddSubscriptionAsync(subscription, [], Ct)).Should().BeTrue();
        }

        // Closed, the store checkpointed its log into the file: the reads below take their pages from the file itself
        // (pages still in the write-ahead log are never mapped).
        await using var store = new SqliteMeteringStore(db.Path, new SqliteStoreOptions { ReadMemoryMapSize = mapSize });
        (await store.ReadCurrentUsageStateAsync("s-1", Ct))!.Subscription.Seats.Should().Be(4);
        (await store.FindSubscriptionAsync("s-1", Ct))!.Seats.Should().Be(4);

        bool mapped = (await File.ReadAllLinesAsync("/proc/self/maps", Ct)).Any(line => line.EndsWith(Path.GetFullPath(db.Path), StringComparison.Ordinal));
        mapped.Should().Be(mapSize > 0, mapSize > 0 ? "the read connections map the database file" : "by default nothing maps the database file");
    }
}
