using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Idempotency keys: a retry with the same content is a Duplicate counted once, the same key with other
/// content a Conflict that changes nothing, and a key is only claimed by a stored record (DESIGN §2 Usage records).
/// </summary>
public abstract class IdempotencyConformance : StoreTestBase
{
    [Fact]
    public async Task SameKeySameContent_IsDuplicate_CountedOnce()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var record = Usage("c1", 5m, Start, "k1");

        var first = await billing.Recorder.RecordAsync(record);
        var retry = await billing.Recorder.RecordAsync(record with { });
        var batchRetry = await billing.Recorder.RecordBatchAsync([record with { }]);

        first.Kind.Should().Be(UsageOutcomeKind.Accepted);
        first.PeriodStart.Should().Be(Start);
        retry.Kind.Should().Be(UsageOutcomeKind.Duplicate);
        retry.SubscriptionId.Should().Be(sub.SubscriptionId);
        retry.PeriodStart.Should().Be(Start);
        batchRetry.Single().Kind.Should().Be(UsageOutcomeKind.Duplicate);

        // Counted once: 5 calls in 1 record; estimate 10.00 + 5 × 2.00 = 20.00.
        var summary = await CurrentOfAsync(billing, sub.SubscriptionId);
        summary.Quantity.Should().Be(5m);
        summary.RecordCount.Should().Be(1);
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(20.00m));
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().ContainSingle();
    }

    [Fact]
    public async Task SameKeyEquivalentContent_IsDuplicate()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var properties = new Dictionary<string, string> { ["region"] = "eu", ["tier"] = "gold" };
        var reordered = new Dictionary<string, string> { ["tier"] = "gold", ["region"] = "eu" };

        (await billing.Recorder.RecordAsync(Usage("c1", 1.0m, Start, "k1") with { Properties = properties })).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // 1.00 equals 1.0 and properties compare as a set: the same usage, so a Duplicate.
        (await billing.Recorder.RecordAsync(Usage("c1", 1.00m, Start, "k1") with { Properties = reordered })).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(1m);
    }

    [Fact]
    public async Task SameKeyDifferentContent_IsConflict_AndChangesNothing()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromMinutes(1));
        var original = Usage("c1", 5m, Start, "k1");
        (await billing.Recorder.RecordAsync(original)).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var otherQuantity = await billing.Recorder.RecordAsync(original with { Quantity = 7m });
        var otherTime = await billing.Recorder.RecordAsync(original with { Timestamp = Start + Duration.FromSeconds(1) });
        var otherAction = await billing.Recorder.RecordAsync(original with { Action = UsageAction.Set });
        var otherProperties = await billing.Recorder.RecordAsync(original with { Properties = new Dictionary<string, string> { ["region"] = "eu" } });
        var inBatch = await billing.Recorder.RecordBatchAsync([original with { Quantity = 9m }]);

        foreach (var outcome in new[] { otherQuantity, otherTime, otherAction, otherProperties, inBatch[0] })
        {
            outcome.Kind.Should().Be(UsageOutcomeKind.Conflict);
            outcome.IsCounted.Should().BeFalse();
            outcome.Rejection!.Value.Message.Should().Contain("'k1'");
            outcome.Reason.Should().Be(UsageRejectionReason.IdempotencyKeyConflict);
            outcome.PeriodStart.Should().BeNull();
        }

        // Nothing changed: still the one record of 5 calls.
        var summary = await CurrentOfAsync(billing, sub.SubscriptionId);
        summary.Quantity.Should().Be(5m);
        summary.RecordCount.Should().Be(1);
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().ContainSingle().Which.Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task KeyOfRecordRejectedBeforeSubscribing_IsAcceptedAfterSubscribing()
    {
        await using var billing = CreateStandard();
        await billing.Subscriptions.CreateCustomerAsync("c1", "Customer 1", "UTC");
        var record = Usage("c1", 3m, Start, "k1");

        var rejected = await billing.Recorder.RecordAsync(record);
        rejected.Kind.Should().Be(UsageOutcomeKind.Rejected);
        rejected.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);

        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });

        // The failed write did not burn the key: the same record is now accepted, once.
        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(3m);
    }

    [Fact]
    public async Task KeyOfRecordRejectedForUnknownCustomer_IsAcceptedOnceTheCustomerExists()
    {
        await using var billing = CreateStandard();
        var record = Usage("c1", 2m, Start, "k1");

        (await billing.Recorder.RecordAsync(record)).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.UnknownCustomer);

        var sub = await SubscribeAsync(billing, "c1");
        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(2m);
    }

    [Fact]
    public async Task KeyOfRecordRejectedAsFuture_IsAcceptedOnceItsTimeHasCome()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var record = Usage("c1", 4m, Start + Duration.FromMinutes(10), "k1");

        (await billing.Recorder.RecordAsync(record)).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.TimestampInFuture);

        billing.Clock.Advance(Duration.FromMinutes(10));
        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(4m);
    }

    [Fact]
    public async Task RetryOfAcceptedRecord_AfterItsPeriodClosed_IsStillDuplicate()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var record = Usage("c1", 5m, Start + Duration.FromDays(3), "k1");
        billing.Clock.Advance(Duration.FromDays(3));
        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // A client that never saw the first acknowledgement retries: the record is counted (on invoice 1),
        // so the retry must say Duplicate, not PeriodClosed (which would read as "lost").
        var retry = await billing.Recorder.RecordAsync(record);
        retry.Kind.Should().Be(UsageOutcomeKind.Duplicate, retry.ToString());
        retry.PeriodStart.Should().Be(Start);
        (await billing.Recorder.RecordBatchAsync([record])).Single().Kind.Should().Be(UsageOutcomeKind.Duplicate);

        // The same key with other content is a conflict, never stored.
        (await billing.Recorder.RecordAsync(record with { Quantity = 6m })).Kind.Should().Be(UsageOutcomeKind.Conflict);
        UsageLine(invoice).Quantity.Should().Be(5m);
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task KeysAreUniquePerStore_SameKeyForAnotherCustomer_IsConflict()
    {
        await using var billing = CreateStandard();
        var sub1 = await SubscribeAsync(billing, "c1");
        var sub2 = await SubscribeAsync(billing, "c2");

        (await billing.Recorder.RecordAsync(Usage("c1", 1m, Start, "shared-key"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c2", 1m, Start, "shared-key"))).Kind.Should().Be(UsageOutcomeKind.Conflict);

        (await CurrentOfAsync(billing, sub1.SubscriptionId)).Quantity.Should().Be(1m);
        (await CurrentOfAsync(billing, sub2.SubscriptionId)).Quantity.Should().Be(0m);
    }

    [Fact]
    public async Task Store_SameKeyTwiceInOneAppend_SecondIsDuplicate_ThirdConflict()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var plan = (await billing.Store.FindPlanAsync("standard", null, CancellationToken.None))!;
        AggregateTarget[] targets = [new(AggregateKey.ForMeter("api_calls"), Aggregation.Sum, null, null)];
        var record = Usage("c1", 5m, Start, "k1");
        PreparedUsage[] items =
        [
            new(record, sub.SubscriptionId, Start, targets, plan),
            new(record with { }, sub.SubscriptionId, Start, targets, plan),
            new(record with { Quantity = 8m }, sub.SubscriptionId, Start, targets, plan),
            new(Usage("c1", 2m, Start, "k2"), sub.SubscriptionId, Start, targets, plan),
        ];
        var outcomes = new UsageOutcome[items.Length];

        // Group-committing stores may see one key twice in one append: each item is decided after the ones before it.
        await billing.Store.AppendUsageAsync(items, outcomes, CancellationToken.None);

        outcomes.Select(o => o.Kind).Should().Equal(UsageOutcomeKind.Accepted, UsageOutcomeKind.Duplicate, UsageOutcomeKind.Conflict, UsageOutcomeKind.Accepted);
        var aggregate = await AggregateOfAsync(billing, sub.SubscriptionId, Start);
        aggregate.Quantity.Should().Be(7m); // 5 + 2
        aggregate.RecordCount.Should().Be(2);
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Select(r => r.IdempotencyKey).Should().Equal("k1", "k2");
    }

    [Fact]
    public async Task KeysOfEveryLengthAndScript_AreEachTheirOwn_RetriedAsDuplicates_ChangedAsConflicts()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        int max = UsageRecordRules.MaxIdempotencyKeyLength;

        // Short, at and past 64 UTF-8 bytes, the longest allowed, multi-byte and astral text, and long keys that differ
        // only in their last character (a store indexing a prefix or a digest must still tell them apart).
        string[] keys =
        [
            "k",
            new string('a', 64),
            new string('a', 65),
            new string('b', max),
            new string('b', max - 1) + "c",
            new string('請', max),
            string.Concat(Enumerable.Repeat("\U0001F600", max / 2)) + "x",
            string.Concat(Enumerable.Repeat("\U0001F600", max / 2)) + "y",
        ];
        for (int i = 0; i < keys.Length; i++)
        {
            (await billing.Recorder.RecordAsync(Usage("c1", i + 1, Start, keys[i]))).Kind.Should().Be(UsageOutcomeKind.Accepted, $"key {i} is new");
        }

        var retries = await billing.Recorder.RecordBatchAsync(keys.Select((k, i) => Usage("c1", i + 1, Start, k)).ToList());
        retries.Select(o => o.Kind).Should().AllBeEquivalentTo(UsageOutcomeKind.Duplicate);
        var changed = await billing.Recorder.RecordBatchAsync(keys.Select((k, i) => Usage("c1", i + 100, Start, k)).ToList());
        changed.Select(o => o.Kind).Should().AllBeEquivalentTo(UsageOutcomeKind.Conflict);

        // Each counted once (1 + 2 + ... + 8 = 36 calls), and each key read back as sent.
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(36m);
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Select(r => r.IdempotencyKey).Should().Equal(keys);
    }
}
