namespace Metering.Storage.Conformance;

/// <summary>
/// Batches: each item gets its own outcome, in input order; valid items are stored, invalid ones reported,
/// and nothing is half-stored (DESIGN §2 Usage records). Standard plan: 10.00 base + 2.00 per call.
/// </summary>
public abstract class BatchConformance : StoreTestBase
{
    [Fact]
    public async Task MixedBatch_EachItemGetsItsOwnOutcome_InOrder()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, now, "k0"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var outcomes = await billing.Recorder.RecordBatchAsync(
        [
            Usage("c1", 2m, now, "b1"),
            Usage("c1", -1m, now, "b2"),
            Usage("c1", 1m, now, "b3", meterKey: "no_such_meter"),
            Usage("c1", 3m, now, "b4"),
            Usage("c1", 1m, now + Duration.FromHours(1), "b5"),
            Usage("nobody", 1m, now, "b6"),
            Usage("c1", 1m, now, "k0"),
            Usage("c1", 9m, now, "k0"),
            Usage("c1", 1m, now, string.Empty),
            Usage("c1", 4m, now, "b10"),
        ]);

        outcomes.Select(o => o.Kind).Should().Equal(
            UsageOutcomeKind.Accepted,
            UsageOutcomeKind.Rejected,
            UsageOutcomeKind.Rejected,
            UsageOutcomeKind.Accepted,
            UsageOutcomeKind.Rejected,
            UsageOutcomeKind.Rejected,
            UsageOutcomeKind.Duplicate,
            UsageOutcomeKind.Conflict,
            UsageOutcomeKind.Rejected,
            UsageOutcomeKind.Accepted);
        outcomes.Where(o => o.Kind == UsageOutcomeKind.Rejected).Select(o => o.Rejection!.Value.Reason).Should().Equal(
            UsageRejectionReason.NegativeQuantity,
            UsageRejectionReason.UnknownMeter,
            UsageRejectionReason.TimestampInFuture,
            UsageRejectionReason.UnknownCustomer,
            UsageRejectionReason.MissingIdempotencyKey);

        // Stored: k0 (1) + b1 (2) + b4 (3) + b10 (4) = 10 calls in 4 records; 10.00 + 10 × 2.00 = 30.00.
        var summary = await CurrentOfAsync(billing, sub.SubscriptionId);
        summary.Quantity.Should().Be(10m);
        summary.RecordCount.Should().Be(4);
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(30.00m));
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Select(r => r.IdempotencyKey).Should().Equal("k0", "b1", "b4", "b10");

        // Rejected items claimed no key: corrected, they are accepted.
        var corrected = await billing.Recorder.RecordBatchAsync([Usage("c1", 5m, now, "b2"), Usage("c1", 1m, now, "b3"), Usage("c1", 1m, now, "b5")]);
        corrected.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(17m); // 10 + 5 + 1 + 1
    }

    [Fact]
    public async Task DuplicateKeysWithinOneBatch_FirstCounts_RepeatsAreDuplicateOrConflict()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        var outcomes = await billing.Recorder.RecordBatchAsync(
        [
            Usage("c1", 1m, Start, "d1"),
            Usage("c1", 1m, Start, "d1"),
            Usage("c1", 2m, Start, "d1"),
            Usage("c1", 5m, Start, "d2"),
            Usage("c1", 5m, Start, "d2"),
        ]);

        outcomes.Select(o => o.Kind).Should().Equal(
            UsageOutcomeKind.Accepted, UsageOutcomeKind.Duplicate, UsageOutcomeKind.Conflict, UsageOutcomeKind.Accepted, UsageOutcomeKind.Duplicate);
        outcomes[1].PeriodStart.Should().Be(Start);
        outcomes[1].SubscriptionId.Should().Be(sub.SubscriptionId);

        // d1 (1) + d2 (5) = 6 calls in 2 records.
        var summary = await CurrentOfAsync(billing, sub.SubscriptionId);
        summary.Quantity.Should().Be(6m);
        summary.RecordCount.Should().Be(2);
    }

    [Fact]
    public async Task RejectedFirstOccurrence_DoesNotClaimTheKey_ForALaterItemOfTheSameBatch()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        var outcomes = await billing.Recorder.RecordBatchAsync([Usage("c1", -1m, Start, "e1"), Usage("c1", 1m, Start, "e1")]);

        outcomes[0].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NegativeQuantity);
        outcomes[1].Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(1m);
    }

    [Fact]
    public async Task BatchSpanningAPeriodBoundary_EachRecordLandsInItsOwnPeriod()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.AdvanceTo(February + Duration.FromMinutes(30));

        var outcomes = await billing.Recorder.RecordBatchAsync(
        [
            Usage("c1", 1m, February - Duration.FromHours(1), "jan"),
            Usage("c1", 2m, February + Duration.FromMinutes(10), "feb"),
        ]);

        outcomes.Select(o => o.PeriodStart).Should().Equal(Start, February);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        UsageLine(invoice).Quantity.Should().Be(1m);
        invoice.Total.Should().Be(Usd(12.00m)); // 10.00 + 1 × 2.00
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(2m);
    }

    [Fact]
    public async Task LargeBatch_NothingHalfStored_AcceptedItemsAreExactlyTheStoredOnes()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromHours(1));

        // 1,000 items; every 7th (indices 0, 7, ..., 994: 143 items) has a negative quantity.
        var records = Enumerable.Range(0, 1000)
            .Select(i => Usage("c1", i % 7 == 0 ? -1m : 1m, Start + Duration.FromSeconds(i), $"item-{i}"))
            .ToList();
        var outcomes = await billing.Recorder.RecordBatchAsync(records);

        outcomes.Should().HaveCount(1000);
        outcomes.Count(o => o.Kind == UsageOutcomeKind.Accepted).Should().Be(857);
        outcomes.Count(o => o.Kind == UsageOutcomeKind.Rejected).Should().Be(143);
        var acceptedKeys = records.Where((_, i) => outcomes[i].Kind == UsageOutcomeKind.Accepted).Select(r => r.IdempotencyKey);
        var stored = await RecordsOfAsync(billing, sub.SubscriptionId, Start);
        stored.Select(r => r.IdempotencyKey).Should().BeEquivalentTo(acceptedKeys);
        var aggregate = await AggregateOfAsync(billing, sub.SubscriptionId, Start);
        aggregate.Quantity.Should().Be(857m);
        aggregate.RecordCount.Should().Be(857);
        var reconciliation = await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start);
        reconciliation.RecordCount.Should().Be(857);
        reconciliation.IsConsistent.Should().BeTrue();
    }

    [Fact]
    public async Task EmptyBatch_HasNoOutcomes_AndStoresNothing()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        (await billing.Recorder.RecordBatchAsync([])).Should().BeEmpty();
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().BeEmpty();
    }
}
