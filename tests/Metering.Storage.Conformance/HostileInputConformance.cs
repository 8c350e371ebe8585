using Metering.Storage.Conformance.Hostile;

namespace Metering.Storage.Conformance;

/// <summary>
/// Hostile input cannot corrupt a store (issue #11, DESIGN invariants 6 to 8): every public entry point is swept with
/// generated ill-formed text, odd but valid text, edge decimals and edge instants. Each call gets a typed answer,
/// a rejected call or a read changes nothing, the store still works afterwards, and the store answers exactly like a
/// fresh in-memory store fed the same calls.
/// </summary>
public abstract class HostileInputConformance : StoreTestBase
{
    /// <summary>The seeds every store runs in CI; <c>METERING_SWEEP_SEED</c> replays (or adds) one.</summary>
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int> { 11, 2026 };
        if (int.TryParse(Environment.GetEnvironmentVariable("METERING_SWEEP_SEED"), out var extra))
        {
            data.Add(extra);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Sweep_EveryEntryPoint_AnswersTyped_ChangesNothingWhenRejected_AndAnswersLikeInMemory(int seed)
    {
        var calls = HostileSweep.Generate(seed, rounds: 2, HostileContract.MaxQuantity);

        await using var reference = TestMetering.Create(HostileSweep.Configure, Start, b => b.UseInMemoryStore());
        var expected = await RunSweepAsync(reference, calls, seed);
        await using var billing = CreateMetering(HostileSweep.Configure);
        var actual = await RunSweepAsync(billing, calls, seed);

        SweepRunner.FirstDifference(expected.Transcript, actual.Transcript).Should().BeNull($"seed {seed}: every store must answer hostile input like the in-memory store");
        actual.Invoice.Should().Be(expected.Invoice);
    }

    [Fact]
    public async Task WellFormedOddText_IsAcceptedAndRoundTripsExactly()
    {
        await using var billing = CreateMetering(HostileSweep.Configure);
        var input = new HostileInput(7);
        var kinds = HostileInput.AllKinds.Where(k => new HostileText(string.Empty, k).IsWellFormed && k is not HostileTextKind.WhitespaceOnly).ToList();
        var expectedRecords = new List<UsageRecord>();
        for (int i = 0; i < kinds.Count; i++)
        {
            var customerId = input.Text(kinds[i], $"c{i}").Value;
            var name = i == 0 ? HostileInput.Huge : input.Text(kinds[i], "Name").Value;
            await billing.Subscriptions.CreateCustomerAsync(customerId, name, "UTC");
            var subscription = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customerId, PlanKey = "standard", SubscriptionId = input.Text(kinds[i], $"s{i}").Value });
            var stored = await billing.Store.FindCustomerAsync(customerId, CancellationToken.None);
            stored!.Name.Should().Be(name, $"a {kinds[i]} customer name round-trips");
            (await billing.Store.FindSubscriptionAsync(subscription.SubscriptionId, CancellationToken.None))!.CustomerId.Should().Be(customerId);

            var properties = new Dictionary<string, string> { [input.Text(kinds[i], "p").Value] = i == 0 ? HostileInput.Huge : input.Text(kinds[i], "v").Value };
            var record = new UsageRecord(customerId, "api_calls", 1m, Start, input.Text(kinds[i], $"k{i}").Value, Properties: properties);
            (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted, $"{kinds[i]} text is well-formed");
            (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Duplicate, "a retry of well-formed odd text is the same record");
            var read = (await RecordsOfAsync(billing, subscription.SubscriptionId, Start)).Should().ContainSingle().Subject;
            read.ContentEquals(record).Should().BeTrue($"a {kinds[i]} record round-trips ordinally");

            var grant = await billing.Credits.GrantAsync(new CreditGrantRequest
            {
                CustomerId = customerId,
                Amount = new Money(5m, Credits),
                GrantId = input.Text(kinds[i], "g").Value,
                Name = name,
                Metadata = properties,
            });
            var ledgerGrant = (await billing.Store.LoadLedgerAsync(customerId, CancellationToken.None)).GetGrant(grant.GrantId);
            ledgerGrant.Name.Should().Be(name);
            ledgerGrant.Metadata.Should().Equal(properties);
        }
    }

    [Fact]
    public async Task KeysDifferingOnlyInASupplementaryCharacter_AreDistinctRecords()
    {
        await using var billing = CreateMetering(HostileSweep.Configure);
        var sub = await SubscribeAsync(billing, "c1", "standard");

        // U+1F600 and U+1F601 share their high surrogate: a store that mangles pairs would see one key twice.
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, Start, "evt-\U0001F600"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 2m, Start, "evt-\U0001F601"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 4m, Start, "evt-\U0001F680"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 4m, Start, "evt-e\u0301"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 8m, Start, "evt-\u00E9"))).Kind.Should().Be(UsageOutcomeKind.Accepted, "keys compare ordinally, not after normalization");

        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(19m);
    }

    [Fact]
    public async Task IllFormedText_IsRejected_AndLeavesTheStoreWorking()
    {
        await using var billing = CreateMetering(HostileSweep.Configure);
        var sub = await SubscribeAsync(billing, "acme\uD83D\uDE00", "standard");
        var input = new HostileInput(3);
        var before = await StoreSnapshot.TakeAsync(billing.Store, ["acme\uD83D\uDE00"]);
        foreach (var kind in HostileInput.AllKinds.Where(k => !new HostileText(string.Empty, k).IsWellFormed))
        {
            var key = input.Text(kind, "evt-1").Value;
            var customer = input.Text(kind, "acme\uD83D\uDE00").Value;
            var value = input.Text(kind, "v").Value;
            var outcomes = await billing.Recorder.RecordBatchAsync(
            [
                Usage("acme\uD83D\uDE00", 1m, Start, key),
                Usage(customer, 1m, Start, "evt-2"),
                new UsageRecord("acme\uD83D\uDE00", "api_calls", 1m, Start, "evt-3", Properties: new Dictionary<string, string> { ["p"] = value }),
                new UsageRecord("acme\uD83D\uDE00", "api_calls", 1m, Start, "evt-4", Properties: new Dictionary<string, string> { [value] = "v" }),
            ]);
            outcomes.Should().AllSatisfy(o => o.Kind.Should().Be(UsageOutcomeKind.Rejected, $"{kind} text is ill-formed"));
            HostileContract.CheckInvalidText(outcomes);
            await HostileContract.ThrowsInvalidTextAsync(() => billing.Subscriptions.CreateCustomerAsync(customer).AsTask());
            await HostileContract.ThrowsInvalidTextAsync(() => billing.Subscriptions.CreateCustomerAsync("named", value).AsTask());
            await HostileContract.ThrowsInvalidTextAsync(() => billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "acme\uD83D\uDE00", Amount = new Money(1m, Credits), Name = value }).AsTask());
        }

        (await StoreSnapshot.TakeAsync(billing.Store, ["acme\uD83D\uDE00"])).Should().Be(before);
        (await billing.Recorder.RecordAsync(Usage("acme\uD83D\uDE00", 3m, Start, "evt-ok"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Total.Should().Be(Usd(16.00m), "10.00 base fee + 3 calls × 2.00");
    }

    [Theory]
    [InlineData("eyJhIjoxfQ==")]
    [InlineData("99999999999999999999999")]
    [InlineData("1.5")]
    [InlineData("\uD83D")]
    [InlineData("1\u0000")]
    [InlineData(" ")]
    public async Task MadeUpCursor_IsRefusedWithATypedException_OnEveryListing(string cursor)
    {
        // Regression: a made-up cursor escaped as a raw FormatException or OverflowException; "1\0" was read as 1.
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        await FluentActions.Awaiting(() => billing.Credits.ListTransactionsAsync("c1", cursor).AsTask()).Should().ThrowAsync<MeteringException>();
        await FluentActions.Awaiting(() => billing.Invoices.ListAsync("c1", cursor).AsTask()).Should().ThrowAsync<MeteringException>();
        await FluentActions.Awaiting(() => billing.Usage.GetHistoryAsync(sub.SubscriptionId, cursor).AsTask()).Should().ThrowAsync<MeteringException>();
        (await billing.Invoices.ListAsync("c1")).Items.Should().BeEmpty("a refused cursor changes nothing");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1600, 1)]
    [InlineData(2300, 1)]
    [InlineData(9999, 12)]
    public async Task GrantInstantsBeyondWhatEveryStoreKeeps_AreRefusedAlike_AndStoreNothing(int year, int month)
    {
        // Regression (found by the sweep, seed 11): SQLite refused a grant effective in year -9998 that the in-memory and
        // PostgreSQL stores accepted; the runtime now bounds the instants it is given, so every store answers alike.
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");
        var instant = Instant.FromUtc(year, month, 1, 0, 0);

        foreach (var request in new[]
        {
            new CreditGrantRequest { CustomerId = "c1", Amount = new Money(5m, Credits), GrantId = "g1", EffectiveAt = instant },
            new CreditGrantRequest { CustomerId = "c1", Amount = new Money(5m, Credits), GrantId = "g1", ExpiresAt = instant },
        })
        {
            var refused = await FluentActions.Awaiting(() => billing.Credits.GrantAsync(request).AsTask()).Should().ThrowAsync<MeteringException>();
            refused.Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        }

        (await billing.Store.LoadLedgerAsync("c1", CancellationToken.None)).Grants.Should().BeEmpty();
    }

    private async Task<(List<string> Transcript, string Invoice)> RunSweepAsync(TestMetering billing, IReadOnlyList<SweepCall> calls, int seed)
    {
        var state = new SweepState();
        await HostileSweep.SetUpAsync(billing, state);
        var transcript = await SweepRunner.RunAsync(billing, state, calls, seed);

        // The store still works: the base subscription closes to the hand-computed total of what it accepted (its
        // aggregate may sit at the quantity bound, so the fresh record goes to a new customer, closed to 16.00 too).
        // The sweep may have given the base customer a second subscription, so the record names its subscription.
        var zero = await billing.Recorder.RecordAsync(new UsageRecord(HostileSweep.BaseCustomer, "api_calls", 0m, HostileSweep.Now, "after-sweep-zero", SubscriptionId: HostileSweep.BaseSubscription));
        zero.Kind.Should().Be(UsageOutcomeKind.Accepted, $"seed {seed}: the store must still take records ({zero})");
        var fresh = await SubscribeAsync(billing, "after-sweep", "standard", "sub-after-sweep");
        (await billing.Recorder.RecordAsync(Usage("after-sweep", 3m, HostileSweep.Now, "after-sweep"))).Kind.Should().Be(UsageOutcomeKind.Accepted, $"seed {seed}: the store must still take records");
        var invoice = (await billing.AdvanceToPeriodEndAsync(HostileSweep.BaseSubscription)).Invoices.Single(i => i.SubscriptionId == HostileSweep.BaseSubscription);
        var expectedTotal = 10.00m + Math.Round(2.00m * state.BaseQuantity, 2, MidpointRounding.AwayFromZero);
        invoice.Total.Should().Be(Usd(expectedTotal), $"seed {seed}: 10.00 + 2.00 × {state.BaseQuantity} accepted calls");
        (await billing.Reconciler.ReconcileAsync(HostileSweep.BaseSubscription, Start)).IsConsistent.Should().BeTrue($"seed {seed}");
        var freshInvoice = (await billing.AdvanceToPeriodEndAsync(fresh.SubscriptionId)).Invoices.Single(i => i.SubscriptionId == fresh.SubscriptionId);
        freshInvoice.Total.Should().Be(Usd(16.00m), $"seed {seed}: 10.00 + 3 calls × 2.00 on a fresh subscription");
        return (transcript, $"{invoice.Total} {invoice.Content.Lines.Count} lines");
    }
}
