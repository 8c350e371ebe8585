using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// What only a database file adds to <c>EventDeliveryConformance</c>: delivery state survives reopening the store, and
/// two store instances on one file (two processes) share one lease per handler.
/// </summary>
public sealed class EventDeliveryStateTest
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly Instant Now = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Duration Ttl = Duration.FromSeconds(30);

    private static async Task<IReadOnlyList<StoredBillingEvent>> GrantAsync(string path, int count)
    {
        await using var billing = TestMetering.Create(start: Now, configureBuilder: b => b.UseSqlite(path));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        for (var i = 0; i < count; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(1m, Currency.USD), GrantId = $"g{i}" });
        }

        return await billing.Store.ReadEventsAsync(null, 1_000, Ct);
    }

    [Fact]
    public async Task Checkpoint_LeaseAndParkedEvents_SurviveReopeningTheFile()
    {
        using var db = new TempDatabase();
        var events = await GrantAsync(db.Path, 4);
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            (await store.TryAcquireEventLeaseAsync("mailer", "a", Now, Ttl, EventHandlerStart.Beginning, Ct)).Should().NotBeNull();
            (await store.AdvanceEventCheckpointAsync("mailer", "a", events[1].Position, Ct)).Should().BeTrue();
            (await store.ParkEventAsync("mailer", "a", events[2], 4, "boom", Now, Ct)).Should().BeTrue();
            (await store.RequestRedeliveryAsync("mailer", null, Ct)).Should().Be(1);
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        var state = (await reopened.ListEventHandlersAsync(Ct)).Should().ContainSingle().Subject;
        state.Should().Be(new EventHandlerCheckpoint("mailer", events[2].Position, "a", Now + Ttl, 1));
        var parked = (await reopened.ReadRedeliveriesAsync("mailer", 10, Ct)).Should().ContainSingle().Subject;
        parked.Stored.Sequence.Should().Be(events[2].Sequence);
        parked.Stored.Event.EventId.Should().Be(events[2].Event.EventId);
        (parked.Attempts, parked.LastError, parked.ParkedAt).Should().Be((4, "boom", Now));
        (await reopened.ReadEventsAsync(state.Position, 10, Ct)).Select(e => e.Event.EventId).Should().Equal(events[3].Event.EventId);

        (await reopened.TryAcquireEventLeaseAsync("mailer", "b", Now, Ttl, EventHandlerStart.Beginning, Ct)).Should().BeNull("the lease outlives the store that took it");
        var takeover = await reopened.TryAcquireEventLeaseAsync("mailer", "b", Now + Ttl, Ttl, EventHandlerStart.Beginning, Ct);
        takeover!.Position.Should().Be(events[2].Position, "the new owner resumes from the stored checkpoint");
    }

    [Fact]
    public async Task TwoStoresOnOneFile_ShareOneLeasePerHandler_AndTheLoserIsFenced()
    {
        using var db = new TempDatabase();
        var events = await GrantAsync(db.Path, 3);
        await using var one = new SqliteMeteringStore(db.Path);
        await using var two = new SqliteMeteringStore(db.Path);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            ((i % 2 == 0 ? one : two).TryAcquireEventLeaseAsync("mailer", $"owner-{i}", Now, Ttl, EventHandlerStart.Beginning, Ct)).AsTask()));
        var winner = attempts.Should().ContainSingle(a => a != null, "one lease per handler across every writer of the file").Subject!.LeaseOwner!;

        var loser = winner == "owner-0" ? "owner-1" : "owner-0";
        (await two.AdvanceEventCheckpointAsync("mailer", loser, events[2].Position, Ct)).Should().BeFalse();
        (await one.AdvanceEventCheckpointAsync("mailer", winner, events[1].Position, Ct)).Should().BeTrue();
        (await two.AdvanceEventCheckpointAsync("mailer", winner, events[0].Position, Ct)).Should().BeTrue("a checkpoint never moves back, but the owner's call succeeds");
        (await two.ListEventHandlersAsync(Ct)).Single().Position.Should().Be(events[1].Position);

        // Expiry takeover through the other store; the old owner is fenced from then on.
        var taken = await (winner == "owner-0" ? two : one).TryAcquireEventLeaseAsync("mailer", "late", Now + Ttl, Ttl, EventHandlerStart.Beginning, Ct);
        taken!.LeaseOwner.Should().Be("late");
        (await one.ParkEventAsync("mailer", winner, events[2], 1, "x", Now, Ct)).Should().BeFalse();
        (await two.ListParkedEventsAsync(null, null, 10, Ct)).Items.Should().BeEmpty();
        (await one.ListEventHandlersAsync(Ct)).Single().Position.Should().Be(events[1].Position);
    }
}
