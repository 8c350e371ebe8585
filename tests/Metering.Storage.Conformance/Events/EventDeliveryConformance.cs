using FluentAssertions.Equivalency;

namespace Metering.Storage.Conformance;

/// <summary>
/// The event log's delivery state (issue #14) on every store: reading by position, handler checkpoints fenced by
/// leases, parking and redelivery. The dispatcher builds at-least-once delivery on exactly these guarantees.
/// </summary>
public abstract class EventDeliveryConformance : StoreTestBase
{
    private static readonly Duration Ttl = Duration.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;

    // A stored event read back is an equal copy, not the same object: BillingEvent.Data compares by reference.
    private static EquivalencyAssertionOptions<ParkedBillingEvent> ByMembers(EquivalencyAssertionOptions<ParkedBillingEvent> o) =>
        o.ComparingByMembers<ParkedBillingEvent>().ComparingByMembers<StoredBillingEvent>().ComparingByMembers<BillingEvent>();

    /// <summary>Stores <paramref name="count"/> CreditsGranted events (one per grant) and returns the log.</summary>
    private static async Task<IReadOnlyList<StoredBillingEvent>> GrantAsync(TestMetering billing, int count, string prefix = "g")
    {
        if (await billing.Store.FindCustomerAsync("c1", None) is null)
        {
            await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        }

        for (var i = 0; i < count; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(1.00m), GrantId = $"{prefix}{i}" });
        }

        return [.. (await billing.Store.ReadAllEventsAsync()).Where(e => e.Event.Type == BillingEventType.CreditsGranted)];
    }

    [Fact]
    public async Task ReadEvents_PagedByPosition_ReturnsEveryEventOnceInOrder()
    {
        await using var billing = CreateStandard();
        var all = await GrantAsync(billing, 7);
        all.Select(e => e.Event.SubjectId).Should().Equal("g0", "g1", "g2", "g3", "g4", "g5", "g6");

        var read = new List<string>();
        string? position = null;
        while (true)
        {
            var page = await billing.Store.ReadEventsAsync(position, 3, None);
            if (page.Count == 0)
            {
                break;
            }

            page.Count.Should().BeLessThanOrEqualTo(3);
            read.AddRange(page.Select(e => e.Event.EventId));
            position = page[^1].Position;
        }

        read.Should().Equal(all.Select(e => e.Event.EventId));
        (await billing.Store.ReadEventsAsync(all[^1].Position, 10, None)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("not-a-position")]
    [InlineData("-1")]
    [InlineData("1\0")]
    [InlineData("")]
    public async Task ReadEvents_PositionTheStoreNeverGave_IsATypedError(string position)
    {
        await using var billing = CreateStandard();
        await GrantAsync(billing, 1);

        var read = async () => await billing.Store.ReadEventsAsync(position, 10, None);

        (await read.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
    }

    [Fact]
    public async Task Lease_HeldByOneOwner_IsRefusedToAnotherUntilItExpires()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;

        var first = await store.TryAcquireEventLeaseAsync("mailer", "a", Start, Ttl, EventHandlerStart.Beginning, None);
        first.Should().NotBeNull();
        first!.Position.Should().BeNull("a new handler starts at the beginning of the log");
        first.LeaseOwner.Should().Be("a");
        first.LeaseExpiresAt.Should().Be(Start + Ttl);

        (await store.TryAcquireEventLeaseAsync("mailer", "b", Start + Duration.FromSeconds(29), Ttl, EventHandlerStart.Beginning, None)).Should().BeNull();
        (await store.TryAcquireEventLeaseAsync("mailer", "a", Start + Duration.FromSeconds(20), Ttl, EventHandlerStart.Beginning, None))!
            .LeaseExpiresAt.Should().Be(Start + Duration.FromSeconds(50), "the owner renews its lease");
        (await store.TryAcquireEventLeaseAsync("mailer", "b", Start + Duration.FromSeconds(49), Ttl, EventHandlerStart.Beginning, None)).Should().BeNull();

        var takeover = await store.TryAcquireEventLeaseAsync("mailer", "b", Start + Duration.FromSeconds(50), Ttl, EventHandlerStart.Beginning, None);
        takeover.Should().NotBeNull("a lease that expired is taken over");
        takeover!.LeaseOwner.Should().Be("b");
        (await store.TryAcquireEventLeaseAsync("webhooks", "a", Start, Ttl, EventHandlerStart.Beginning, None)).Should().NotBeNull("leases are per handler");
    }

    [Fact]
    public async Task Lease_Released_IsTakenAtOnce_AndOnlyItsOwnerCanReleaseIt()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;
        (await store.TryAcquireEventLeaseAsync("mailer", "a", Start, Ttl, EventHandlerStart.Beginning, None)).Should().NotBeNull();

        await store.ReleaseEventLeaseAsync("mailer", "b", None);
        (await store.TryAcquireEventLeaseAsync("mailer", "b", Start, Ttl, EventHandlerStart.Beginning, None)).Should().BeNull("b never held the lease, so its release changed nothing");

        await store.ReleaseEventLeaseAsync("mailer", "a", None);
        (await store.TryAcquireEventLeaseAsync("mailer", "b", Start, Ttl, EventHandlerStart.Beginning, None)).Should().NotBeNull();
    }

    [Fact]
    public async Task Checkpoint_AdvancedByTheOwner_IsWhereTheNextOwnerResumes()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;
        var events = await GrantAsync(billing, 5);
        await store.TryAcquireEventLeaseAsync("mailer", "a", Start, Ttl, EventHandlerStart.Beginning, None);

        (await store.AdvanceEventCheckpointAsync("mailer", "a", events[2].Position, None)).Should().BeTrue();
        (await store.AdvanceEventCheckpointAsync("mailer", "a", events[1].Position, None)).Should().BeTrue();
        await store.ReleaseEventLeaseAsync("mailer", "a", None);

        var resumed = await store.TryAcquireEventLeaseAsync("mailer", "b", Start, Ttl, EventHandlerStart.Beginning, None);
        resumed!.Position.Should().Be(events[2].Position, "a checkpoint never moves backwards");
        (await store.ReadEventsAsync(resumed.Position, 10, None)).Select(e => e.Event.SubjectId).Should().Equal("g3", "g4");
    }

    [Fact]
    public async Task Checkpoint_OfAFormerOwnerAfterTakeover_ChangesNothing()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;
        var events = await GrantAsync(billing, 3);
        await store.TryAcquireEventLeaseAsync("mailer", "a", Start, Ttl, EventHandlerStart.Beginning, None);
        (await store.TryAcquireEventLeaseAsync("mailer", "b", Start + Ttl, Ttl, EventHandlerStart.Beginning, None)).Should().NotBeNull();

        (await store.AdvanceEventCheckpointAsync("mailer", "a", events[2].Position, None)).Should().BeFalse();
        (await store.ParkEventAsync("mailer", "a", events[0], 5, "boom", Start, None)).Should().BeFalse();
        (await store.AdvanceEventCheckpointAsync("nobody-registered", "a", events[2].Position, None)).Should().BeFalse();

        var state = (await store.ListEventHandlersAsync(None)).Should().ContainSingle().Subject;
        state.Should().Be(new EventHandlerCheckpoint("mailer", null, "b", Start + Ttl + Ttl, 0));
    }

    [Fact]
    public async Task NewHandler_StartingAtLatest_SkipsTheEventsAlreadyStored()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;
        var before = await GrantAsync(billing, 3);

        var latest = await store.TryAcquireEventLeaseAsync("late", "a", Start, Ttl, EventHandlerStart.Latest, None);
        latest!.Position.Should().Be(before[^1].Position);
        await GrantAsync(billing, 1, "after");
        (await store.ReadEventsAsync(latest.Position, 10, None)).Select(e => e.Event.SubjectId).Should().Equal("after0");

        var again = await store.TryAcquireEventLeaseAsync("late", "a", Start, Ttl, EventHandlerStart.Latest, None);
        again!.Position.Should().Be(before[^1].Position, "the start option only applies to a handler seen for the first time");
    }

    [Fact]
    public async Task Park_SetsTheEventAsideAndMovesThePastIt_ThenRedeliveryBringsItBack()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;
        var events = await GrantAsync(billing, 3);
        await store.TryAcquireEventLeaseAsync("mailer", "a", Start, Ttl, EventHandlerStart.Beginning, None);

        (await store.ParkEventAsync("mailer", "a", events[1], 5, "SmtpException: mailbox full", Start + Duration.FromMinutes(1), None)).Should().BeTrue();

        var state = (await store.ListEventHandlersAsync(None)).Single();
        state.Position.Should().Be(events[1].Position);
        state.ParkedCount.Should().Be(1);
        var parked = (await store.ListParkedEventsAsync("mailer", null, 10, None)).Items.Should().ContainSingle().Subject;
        parked.Should().BeEquivalentTo(new ParkedBillingEvent("mailer", events[1], 5, "SmtpException: mailbox full", Start + Duration.FromMinutes(1), false), ByMembers);
        (await store.ReadRedeliveriesAsync("mailer", 10, None)).Should().BeEmpty();

        (await store.RequestRedeliveryAsync("mailer", events[1].Sequence, None)).Should().Be(1);
        (await store.RequestRedeliveryAsync("mailer", 999_999, None)).Should().Be(0);
        (await store.RequestRedeliveryAsync("unknown", null, None)).Should().Be(0);
        var redelivery = (await store.ReadRedeliveriesAsync("mailer", 10, None)).Should().ContainSingle().Subject;
        redelivery.RedeliveryRequested.Should().BeTrue();
        redelivery.Stored.Event.EventId.Should().Be(events[1].Event.EventId);

        (await store.CompleteRedeliveryAsync("mailer", "b", events[1].Sequence, None)).Should().BeFalse("only the lease owner completes");
        (await store.CompleteRedeliveryAsync("mailer", "a", events[1].Sequence, None)).Should().BeTrue();
        (await store.ListParkedEventsAsync(null, null, 10, None)).Items.Should().BeEmpty();
        (await store.ListEventHandlersAsync(None)).Single().ParkedCount.Should().Be(0);
    }

    [Fact]
    public async Task Park_Again_UpdatesTheEntryAndClearsItsRedeliveryRequest()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;
        var events = await GrantAsync(billing, 4);
        await store.TryAcquireEventLeaseAsync("mailer", "a", Start, Ttl, EventHandlerStart.Beginning, None);
        await store.AdvanceEventCheckpointAsync("mailer", "a", events[3].Position, None);
        await store.ParkEventAsync("mailer", "a", events[0], 3, "first", Start, None);
        await store.RequestRedeliveryAsync("mailer", null, None);

        (await store.ParkEventAsync("mailer", "a", events[0], 6, "second", Start + Duration.FromHours(1), None)).Should().BeTrue();

        var parked = (await store.ListParkedEventsAsync("mailer", null, 10, None)).Items.Should().ContainSingle().Subject;
        parked.Should().BeEquivalentTo(new ParkedBillingEvent("mailer", events[0], 6, "second", Start + Duration.FromHours(1), false), ByMembers);
        (await store.ListEventHandlersAsync(None)).Single().Position.Should().Be(events[3].Position, "re-parking an old event does not move the checkpoint back");
    }

    [Fact]
    public async Task ParkedEvents_AreListedByHandlerThenSequence_InPages()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;
        var events = await GrantAsync(billing, 3);
        foreach (var handler in new[] { "webhooks", "mailer" })
        {
            await store.TryAcquireEventLeaseAsync(handler, "a", Start, Ttl, EventHandlerStart.Beginning, None);
            foreach (var e in events.Reverse())
            {
                await store.ParkEventAsync(handler, "a", e, 1, "x", Start, None);
            }
        }

        var listed = new List<(string, long)>();
        string? cursor = null;
        do
        {
            var page = await store.ListParkedEventsAsync(null, cursor, 4, None);
            page.Items.Count.Should().BeLessThanOrEqualTo(4);
            listed.AddRange(page.Items.Select(p => (p.Handler, p.Stored.Sequence)));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var sequences = events.Select(e => e.Sequence).ToArray();
        listed.Should().Equal(
            ("mailer", sequences[0]), ("mailer", sequences[1]), ("mailer", sequences[2]),
            ("webhooks", sequences[0]), ("webhooks", sequences[1]), ("webhooks", sequences[2]));
        (await store.ListParkedEventsAsync("webhooks", null, 10, None)).Items.Select(p => p.Handler).Should().AllBe("webhooks").And.HaveCount(3);
        var tampered = async () => await store.ListParkedEventsAsync(null, "tampered", 10, None);
        (await tampered.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
    }

    [Fact]
    public async Task Lease_RacedByManyOwners_IsGrantedToExactlyOne()
    {
        await using var billing = CreateStandard();
        var store = billing.Store;

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(async () => await store.TryAcquireEventLeaseAsync("mailer", $"owner-{i}", Start, Ttl, EventHandlerStart.Beginning, None))));

        results.Count(r => r is not null).Should().Be(1);
        (await store.ListEventHandlersAsync(None)).Should().ContainSingle().Which.LeaseOwner.Should().Be(results.Single(r => r is not null)!.LeaseOwner);
    }
}
