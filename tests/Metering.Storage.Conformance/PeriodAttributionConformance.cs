using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Which period a record lands in (half-open periods, grace window, closed periods) and the per-record
/// rejections (DESIGN §2 Usage records). Standard plan: 10.00 base + 2.00 per call, monthly from 2026-01-01 UTC.
/// </summary>
public abstract class PeriodAttributionConformance : StoreTestBase
{
    private static readonly Duration Tick = Duration.Epsilon * 100; // one BCL tick (100 ns), the store's finest unit

    [Fact]
    public async Task ASubscriptionCacheFarSmallerThanTheCustomers_AttributesAndBillsEveryRecordAsWithoutOne()
    {
        // 24 customers through a cache of 4: most records find their customer dropped from it and read the store.
        await using var billing = CreateStandard(o => o.SubscriptionCacheCapacity = 4);
        var subscriptions = new List<Subscription>();
        for (var i = 0; i < 24; i++)
        {
            subscriptions.Add(await SubscribeAsync(billing, $"c{i}"));
        }

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < subscriptions.Count; i++)
            {
                var outcome = await billing.Recorder.RecordAsync(Usage($"c{i}", i + 1, billing.Clock.Now, $"r{round}-c{i}"));
                outcome.Kind.Should().Be(UsageOutcomeKind.Accepted);
                outcome.SubscriptionId.Should().Be(subscriptions[i].SubscriptionId);
            }
        }

        await billing.Subscriptions.CancelNowAsync(subscriptions[0].SubscriptionId);
        billing.Clock.Advance(Duration.FromMinutes(1));
        (await billing.Recorder.RecordAsync(Usage("c0", 1m, billing.Clock.Now, "after-cancel"))).Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);
        for (var i = 1; i < subscriptions.Count; i++)
        {
            // Three records of i + 1 calls each: 10.00 + 2.00 x 3(i + 1).
            var current = await billing.Usage.GetCurrentAsync(subscriptions[i].SubscriptionId);
            current.Usage.Single().Quantity.Should().Be(3m * (i + 1));
            current.Estimate.Total.Should().Be(Usd(10.00m + (6.00m * (i + 1))));
        }
    }

    [Fact]
    public async Task RecordAtPeriodEnd_LandsInNextPeriod_OneTickBefore_InCurrent()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.AdvanceTo(February);

        var last = await billing.Recorder.RecordAsync(Usage("c1", 3m, February - Tick, "last-of-january"));
        var first = await billing.Recorder.RecordAsync(Usage("c1", 4m, February, "first-of-february"));

        last.Kind.Should().Be(UsageOutcomeKind.Accepted);
        last.PeriodStart.Should().Be(Start);
        first.Kind.Should().Be(UsageOutcomeKind.Accepted);
        first.PeriodStart.Should().Be(February);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // January: 10.00 + 3 × 2.00 = 16.00. February so far: 10.00 + 4 × 2.00 = 18.00.
        invoice.Period.Start.Should().Be(Start);
        invoice.Period.End.Should().Be(February);
        UsageLine(invoice).Quantity.Should().Be(3m);
        invoice.Total.Should().Be(Usd(16.00m));
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Period.Start.Should().Be(February);
        current.Usage.Single().Quantity.Should().Be(4m);
        current.Estimate.Total.Should().Be(Usd(18.00m));
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start)).IsConsistent.Should().BeTrue();
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, February)).IsConsistent.Should().BeTrue();
    }

    [Fact]
    public async Task LateRecordWithinGrace_CountsInOldPeriod_AndIsOnItsInvoice()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.AdvanceTo(February + Duration.FromMinutes(30));

        var late = await billing.Recorder.RecordAsync(Usage("c1", 2m, February - Duration.FromMinutes(30), "late-1"));
        late.Kind.Should().Be(UsageOutcomeKind.Accepted);
        late.PeriodStart.Should().Be(Start);

        // Not due before end + grace (01:00): the period stays open for late records.
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
        billing.Clock.AdvanceTo(February + Grace - Tick);
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, February - Tick, "late-2"))).PeriodStart.Should().Be(Start);

        billing.Clock.AdvanceTo(February + Grace);
        var invoice = (await billing.PeriodCloser.CloseDueAsync()).Invoices.Single();

        // 2 + 1 late calls: 10.00 + 3 × 2.00 = 16.00.
        UsageLine(invoice).Quantity.Should().Be(3m);
        invoice.Total.Should().Be(Usd(16.00m));
        invoice.Period.End.Should().Be(February);
    }

    [Fact]
    public async Task RecordForClosedPeriod_IsRejectedPeriodClosed_NamingThePeriod_AndChangesNothing()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        var tooLate = await billing.Recorder.RecordAsync(Usage("c1", 1m, February - Tick, "too-late"));
        var inBatch = await billing.Recorder.RecordBatchAsync([Usage("c1", 1m, Start, "too-late-2"), Usage("c1", 1m, February, "on-time")]);

        tooLate.Kind.Should().Be(UsageOutcomeKind.Rejected);
        tooLate.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        tooLate.Rejection!.Value.Message.Should().Contain("2026-01-01T00:00:00Z").And.Contain("2026-02-01T00:00:00Z").And.Contain("api_calls");
        inBatch[0].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        inBatch[1].Kind.Should().Be(UsageOutcomeKind.Accepted);

        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(3m);
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().ContainSingle();
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.Total.Should().Be(Usd(16.00m));
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(1m);
    }

    [Fact]
    public async Task Store_AppendToAPeriodClosedMeanwhile_IsRejected_OthersInTheSameAppendStored()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var plan = (await billing.Store.FindPlanAsync("standard", null, CancellationToken.None))!;
        AggregateTarget[] targets = [new(AggregateKey.ForMeter("api_calls"), Aggregation.Sum, null, null)];
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        // Prepared against the old state (as a recorder racing the close would), appended after the close.
        PreparedUsage[] items =
        [
            new(Usage("c1", 1m, February + Duration.FromMinutes(1), "a"), sub.SubscriptionId, February, targets, plan),
            new(Usage("c1", 5m, February - Duration.FromDays(1), "stale"), sub.SubscriptionId, Start, targets, plan),
            new(Usage("c1", 2m, February + Duration.FromMinutes(2), "b"), sub.SubscriptionId, February, targets, plan),
        ];
        var outcomes = new UsageOutcome[items.Length];
        await billing.Store.AppendUsageAsync(items, outcomes, CancellationToken.None);

        outcomes[0].Kind.Should().Be(UsageOutcomeKind.Accepted);
        outcomes[1].Kind.Should().Be(UsageOutcomeKind.Rejected);
        outcomes[1].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        outcomes[2].Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).IsEmpty.Should().BeTrue();
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().BeEmpty();
        (await AggregateOfAsync(billing, sub.SubscriptionId, February)).Quantity.Should().Be(3m);

        // The key of the rejected item was not claimed.
        var again = await billing.Recorder.RecordAsync(Usage("c1", 5m, February + Duration.FromMinutes(3), "stale"));
        again.Kind.Should().Be(UsageOutcomeKind.Accepted);
    }

    [Fact]
    public async Task FutureTimestamp_BeyondTolerance_IsRejected_AtToleranceAccepted()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        // Default tolerance 5 minutes: exactly 5 minutes ahead is fine, one tick more is not.
        var atTolerance = await billing.Recorder.RecordAsync(Usage("c1", 1m, Start + Duration.FromMinutes(5), "ok"));
        var beyond = await billing.Recorder.RecordAsync(Usage("c1", 1m, Start + Duration.FromMinutes(5) + Tick, "too-early"));

        atTolerance.Kind.Should().Be(UsageOutcomeKind.Accepted);
        beyond.Kind.Should().Be(UsageOutcomeKind.Rejected);
        beyond.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.TimestampInFuture);
        beyond.Rejection!.Value.Message.Should().Contain("ahead");
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(1m);
    }

    [Fact]
    public async Task InvalidRecords_AreRejectedWithTheirReason_AndLeaveNoTrace()
    {
        await using var billing = CreateMetering(o => o
            .AddMeter(Meter.Sum("api_calls"))
            .AddMeter(Meter.Sum("unpriced"))
            .AddPlan(StandardPlan()));
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;

        var cases = new (UsageRecord Record, UsageRejectionReason Reason, string MessageNames)[]
        {
            (Usage("c1", 1m, now, "k1", meterKey: "no_such_meter"), UsageRejectionReason.UnknownMeter, "no_such_meter"),
            (Usage("c1", 1m, now, "k2", meterKey: "unpriced"), UsageRejectionReason.UnknownMeter, "unpriced"),
            (Usage("nobody", 1m, now, "k3"), UsageRejectionReason.UnknownCustomer, "nobody"),
            (Usage("c1", -1m, now, "k4"), UsageRejectionReason.NegativeQuantity, "-1"),
            (Usage("c1", 1m, now, string.Empty), UsageRejectionReason.MissingIdempotencyKey, "IdempotencyKey"),
            (Usage("c1", 1m, now, "   "), UsageRejectionReason.MissingIdempotencyKey, "IdempotencyKey"),
            (Usage("c1", 1m, now, new string('k', 256)), UsageRejectionReason.IdempotencyKeyTooLong, "256"),
            (Usage("c1", 1m, Start - Duration.FromHours(1), "k5"), UsageRejectionReason.NoActiveSubscription, "c1"),
        };

        foreach (var (record, reason, names) in cases)
        {
            var outcome = await billing.Recorder.RecordAsync(record);
            outcome.Kind.Should().Be(UsageOutcomeKind.Rejected, $"{reason} expected for key '{record.IdempotencyKey}'");
            outcome.Rejection!.Value.Reason.Should().Be(reason);
            outcome.Reason.Should().Be(reason);
            outcome.Rejection!.Value.Message.Should().Contain(names);
            outcome.PeriodStart.Should().BeNull("a rejected record counts in no period");
        }

        // The longest allowed key (255 characters) is fine.
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, now, new string('k', 255)))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var records = await RecordsOfAsync(billing, sub.SubscriptionId, Start);
        records.Should().ContainSingle().Which.IdempotencyKey.Should().HaveLength(255);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(1m);
    }
}
