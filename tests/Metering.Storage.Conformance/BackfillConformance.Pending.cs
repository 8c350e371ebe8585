namespace Metering.Storage.Conformance;

// A backfill that fails between storing its records and its adjustment leaves a pending marker; the periodic closer
// settles it exactly once, on every store.
public abstract partial class BackfillConformance
{
    // Later than any marker of these tests (and within every store's range).
    private static readonly Instant AnyAge = Instant.FromUtc(2100, 1, 1, 0, 0);

    private TestMetering CreateUnitWithFaults(Action<FaultInjectingStore> created) =>
        CreateMeteringWith(b => FaultInjectingStore.Install(b, created), o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(UnitPlan()));

    [Fact]
    public async Task Backfill_MarksThePeriod_AndItsAdjustmentRemovesTheMarker()
    {
        await using var billing = CreateUnit();
        var (sub, _) = await HundredInvoiceAsync(billing);
        var at = billing.Clock.Now;

        // The store op: a marker is kept as first written, listed by age, and removed by the period's adjustment.
        await billing.Store.MarkPendingAdjustmentsAsync([new PendingAdjustment(sub.SubscriptionId, Start, "first", at)], CancellationToken.None);
        await billing.Store.MarkPendingAdjustmentsAsync([new PendingAdjustment(sub.SubscriptionId, Start, "second", at + Duration.FromMinutes(5))], CancellationToken.None);
        (await billing.Store.ListPendingAdjustmentsAsync(at, 10, CancellationToken.None)).Should().BeEmpty("only markers older than the given instant");
        (await billing.Store.ListPendingAdjustmentsAsync(at + Duration.FromSeconds(1), 10, CancellationToken.None)).Should().Equal(new PendingAdjustment(sub.SubscriptionId, Start, "first", at));

        var result = await billing.Recorder.BackfillAsync([Usage("c1", 20m, Start + Duration.FromDays(5), "b1")], Reason);

        result.Adjustments.Single().Total.Should().Be(Usd(20.00m));
        (await billing.Store.ListPendingAdjustmentsAsync(AnyAge, 10, CancellationToken.None)).Should().BeEmpty("the adjustment removed the period's marker");
    }

    [Fact]
    public async Task Backfill_FailingBetweenAppendAndAdjustment_IsBilledOnceByTheCloser()
    {
        FaultInjectingStore? faults = null;
        await using var billing = CreateUnitWithFaults(s => faults = s);
        var (sub, invoice) = await HundredInvoiceAsync(billing);
        faults!.AdjustFault = _ => new InvalidOperationException("the process stopped after the append");

        var backfill = async () => await billing.Recorder.BackfillAsync([Usage("c1", 20m, Start + Duration.FromDays(5), "b1")], Reason);

        await backfill.Should().ThrowAsync<InvalidOperationException>();
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(120m, "the records are stored");
        var marker = (await billing.Store.ListPendingAdjustmentsAsync(AnyAge, 10, CancellationToken.None)).Should().ContainSingle().Subject;
        (marker.SubscriptionId, marker.PeriodStart, marker.Reason).Should().Be((sub.SubscriptionId, Start, Reason));
        (await NetBilledAsync(billing)).Should().Be(100.00m, "not billed yet");

        // The store works again. A run right away leaves the young marker to the backfill that may still be running.
        faults.AdjustFault = _ => null;
        (await billing.PeriodCloser.CloseDueAsync()).SettledBackfills.Should().BeEmpty();
        billing.Clock.Advance(Duration.FromMinutes(2));

        var report = await billing.PeriodCloser.CloseDueAsync();

        var settled = report.SettledBackfills.Should().ContainSingle().Subject;
        settled.Difference.Should().Be(Usd(20.00m));
        var adjustment = settled.Adjustment!;
        (adjustment.InvoiceId, adjustment.Number, adjustment.Total, adjustment.AdjustmentReason).Should().Be((invoice.InvoiceId + "_a1", 2L, Usd(20.00m), Reason));
        (await billing.Store.ListPendingAdjustmentsAsync(AnyAge, 10, CancellationToken.None)).Should().BeEmpty();
        (await NetBilledAsync(billing)).Should().Be(120.00m, "invariant 9: 120 calls at 1.00");

        // Billed once: the next run has nothing to settle, and the same backfill sent again is all Duplicates.
        (await billing.PeriodCloser.CloseDueAsync()).SettledBackfills.Should().BeEmpty();
        var retry = await billing.Recorder.BackfillAsync([Usage("c1", 20m, Start + Duration.FromDays(5), "b1")], Reason);
        retry.Outcomes.Single().Kind.Should().Be(UsageOutcomeKind.Duplicate);
        retry.Adjustments.Should().BeEmpty();
        (await NetBilledAsync(billing)).Should().Be(120.00m);
    }
}
