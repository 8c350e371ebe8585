using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Batched period closes (<see cref="IMeteringStore.ClosePeriodsAsync"/>), the batched reads the closer makes before them,
/// and the one-call current-usage read (<see cref="IMeteringStore.ReadCurrentUsageStateAsync"/>). With
/// <see cref="MeteringOptions.CloseConcurrency"/> 1 the closer hands a batching store (<see cref="IMeteringStore.MaxClosesPerCall"/>
/// above 1, e.g. PostgreSQL) every due subscription of a claim (up to its maximum) in one call, written in one
/// transaction; the other stores close them one by one, with the same results. Standard plan: 10.00 base + 2.00 per call.
/// </summary>
public abstract class BatchCloseConformance : StoreTestBase
{
    private static string Sub(int n) => $"s{n:00}";

    /// <summary>The standard plan, one store call in flight, the store wrapped in a <see cref="FaultInjectingStore"/>.</summary>
    private TestMetering CreateWithFaults() =>
        TestMetering.Create(
            o =>
            {
                o.AddMeter(Meter.Sum("api_calls")).AddPlan(StandardPlan());
                o.CloseConcurrency = 1;
            },
            Start,
            b =>
            {
                UseStore(b);
                FaultInjectingStore.Install(b, _ => { });
            });

    [Fact]
    public async Task OneBatchOfThirty_InvoicesEachOnce_NumbersFollowTheOrder_AndCreditsCarryAcrossACustomersSubscriptions()
    {
        await using var billing = CreateStandard(o => o.CloseConcurrency = 1);
        for (int n = 0; n < 30; n++)
        {
            // Customers c00..c14, two subscriptions each (s00, s01 for c00, ...).
            var customer = $"c{n / 2:00}";
            if (n % 2 == 0)
            {
                await billing.Subscriptions.CreateCustomerAsync(customer, customer, "UTC");
            }

            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customer, PlanKey = "standard", SubscriptionId = Sub(n) });
        }

        // Subscription n records n calls (its own subscription id on the record, as the customer has two).
        billing.Clock.AdvanceTo(Start + Duration.FromDays(3));
        for (int n = 1; n < 30; n++)
        {
            var record = Usage($"c{n / 2:00}", n, Start + Duration.FromDays(3), $"u{n}") with { SubscriptionId = Sub(n) };
            (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        // 15.00 of credits for c00: s00 (no calls, 10.00) takes 10.00, s01 (1 call, 12.00) the remaining 5.00.
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c00", Amount = Usd(15.00m), GrantId = "g1" });
        billing.Clock.AdvanceTo(February + Grace);

        var report = await billing.PeriodCloser.CloseDueAsync();

        report.Failed.Should().BeEmpty();
        report.Invoices.Should().HaveCount(30);
        report.Invoices.Select(i => i.SubscriptionId).Should().Equal(Enumerable.Range(0, 30).Select(Sub), "numbers follow the due order (period end, then id)");
        report.Invoices.Select(i => i.Number).Should().Equal(Enumerable.Range(1, 30).Select(n => (long)n));
        for (int n = 0; n < 30; n++)
        {
            var invoice = report.Invoices[n];
            invoice.Content.Subtotal.Should().Be(Usd(10.00m + (2.00m * n)));
            invoice.Period.Start.Should().Be(Start);
            (await billing.Subscriptions.GetAsync(Sub(n)))!.CurrentPeriod.Start.Should().Be(February);
        }

        report.Invoices[0].Total.Should().Be(Usd(0.00m));
        report.Invoices[0].Content.CreditsApplied.Should().Be(Usd(10.00m));
        report.Invoices[1].Total.Should().Be(Usd(7.00m));
        report.Invoices[1].Content.CreditsApplied.Should().Be(Usd(5.00m));
        (await billing.Credits.GetBalancesAsync("c00")).Should().ContainSingle().Which.Remaining.Should().Be(0.00m);

        var events = await billing.Store.ReadAllEventsAsync();
        events.Count(e => e.Event.Type == BillingEventType.InvoiceCreated).Should().Be(30);
        events.Count(e => e.Event.Type == BillingEventType.SubscriptionRenewed).Should().Be(30);
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
        (await billing.Reconciler.ReconcileAsync(Sub(29), Start)).IsConsistent.Should().BeTrue();
    }

    [Fact]
    public async Task OneFailingDecisionInABatch_FailsAlone_TheOthersTakeGapFreeNumbers()
    {
        await using var billing = CreateWithFaults();
        for (int n = 0; n < 20; n++)
        {
            await SubscribeAsync(billing, $"c{n:00}", subscriptionId: Sub(n));
        }

        var faults = (FaultInjectingStore)billing.Store;
        bool poisoned = true;
        faults.CloseFault = id => poisoned && id == Sub(7) ? new InvalidOperationException("Plan 'standard' v1 has a corrupt tier table.") : null;
        billing.Clock.AdvanceTo(February + Grace);

        var first = await billing.PeriodCloser.CloseDueAsync();

        first.Invoices.Should().HaveCount(19);
        first.Invoices.Select(i => i.Number).Order().Should().Equal(Enumerable.Range(1, 19).Select(n => (long)n), "a failed close takes no number");
        first.Failed.Should().ContainSingle().Which.SubscriptionId.Should().Be(Sub(7));
        first.Failed[0].Reason.Should().Contain("corrupt tier table");
        faults.CloseAttempts[Sub(7)].Should().Be(1, "the failure is the close's own: no retry of the batch one by one");
        (await billing.Invoices.ListAsync("c07")).Items.Should().BeEmpty();

        poisoned = false;
        billing.Clock.Advance(Duration.FromMinutes(1));
        var second = await billing.PeriodCloser.CloseDueAsync();
        second.Invoices.Should().ContainSingle().Which.Number.Should().Be(20);
    }

    [Fact]
    public async Task SubscriptionsClosedElsewhereBeforeTheBatch_AreAlreadyClosed_AndNotInvoicedTwice()
    {
        await using var billing = CreateWithFaults();
        for (int n = 0; n < 10; n++)
        {
            await SubscribeAsync(billing, $"c{n:00}", subscriptionId: Sub(n));
        }

        var faults = (FaultInjectingStore)billing.Store;
        faults.ClosedElsewhere = (id, periodStart) => periodStart == Start && (id == Sub(2) || id == Sub(5));
        billing.Clock.AdvanceTo(February + Grace);

        var report = await billing.PeriodCloser.CloseDueAsync();

        report.Invoices.Should().HaveCount(8);
        report.AlreadyClosed.Should().Be(2);
        for (int n = 0; n < 10; n++)
        {
            (await billing.Invoices.ListAsync($"c{n:00}")).Items.Should().ContainSingle().Which.Total.Should().Be(Usd(10.00m));
        }

        var numbers = new List<long>();
        for (int n = 0; n < 10; n++)
        {
            numbers.AddRange((await billing.Invoices.ListAsync($"c{n:00}")).Items.Select(i => i.Number));
        }

        numbers.Order().Should().Equal(Enumerable.Range(1, 10).Select(n => (long)n));
    }

    [Fact]
    public async Task TwoClosersRacingOverSixtyDueSubscriptionsInBatches_InvoiceEachOnce()
    {
        await using var billing = CreateStandard(o => o.CloseConcurrency = 2);
        for (int n = 0; n < 60; n++)
        {
            await SubscribeAsync(billing, $"c{n:00}", subscriptionId: Sub(n));
            (await billing.Recorder.RecordAsync(Usage($"c{n:00}", 1, Start, $"u{n}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        billing.Clock.AdvanceTo(February + Grace);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            return await billing.PeriodCloser.CloseDueAsync();
        })).ToArray();
        gate.SetResult();
        var reports = await Task.WhenAll(closers);

        var invoices = reports.SelectMany(r => r.Invoices).ToList();
        reports.SelectMany(r => r.Failed).Should().BeEmpty();
        invoices.Should().HaveCount(60);
        invoices.Select(i => i.SubscriptionId).Should().OnlyHaveUniqueItems();
        invoices.Select(i => i.Number).Order().Should().Equal(Enumerable.Range(1, 60).Select(n => (long)n));
        invoices.Should().OnlyContain(i => i.Total == Usd(12.00m));
    }

    [Fact]
    public async Task BatchedFinds_ReturnWhatIsStored_AndLeaveMissingIdsOut()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "a", subscriptionId: "sa");
        await SubscribeAsync(billing, "b", subscriptionId: "sb");

        var subscriptions = await billing.Store.FindSubscriptionsAsync(["sb", "nope", "sa"], CancellationToken.None);
        subscriptions.Select(s => (s.SubscriptionId, s.CustomerId)).Should().BeEquivalentTo([("sa", "a"), ("sb", "b")]);
        subscriptions.Should().OnlyContain(s => s.CurrentPeriod.Start == Start);
        (await billing.Store.FindSubscriptionsAsync([], CancellationToken.None)).Should().BeEmpty();

        var customers = await billing.Store.FindCustomersAsync(["b", "ghost", "a"], CancellationToken.None);
        customers.Select(c => c.CustomerId).Should().BeEquivalentTo(["a", "b"]);
        customers.Should().OnlyContain(c => c.TimeZoneId == "UTC");
        (await billing.Store.FindCustomersAsync([], CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task CurrentUsageState_IsTheSubscriptionItsCurrentAggregatesAndTheLedger_InOneRead()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1", subscriptionId: "s1");
        billing.Clock.AdvanceTo(Start + Duration.FromDays(2));
        (await billing.Recorder.RecordAsync(Usage("c1", 3, Start + Duration.FromDays(1), "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 4, Start + Duration.FromDays(2), "k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(5.00m), GrantId = "g1" });

        var state = await billing.Store.ReadCurrentUsageStateAsync("s1", CancellationToken.None);

        state.Should().NotBeNull();
        state!.Subscription.SubscriptionId.Should().Be("s1");
        state.Subscription.CurrentPeriod.Start.Should().Be(Start);
        state.Aggregates.Should().ContainSingle().Which.Aggregate.Value.Should().Be(7m);
        state.Ledger.BalanceAt(Currency.USD, billing.Clock.Now).Remaining.Should().Be(5.00m);
        (await billing.Store.ReadCurrentUsageStateAsync("missing", CancellationToken.None)).Should().BeNull();

        // A second grant is seen by the next read (the ledger version moved).
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(1.50m), GrantId = "g2" });
        (await billing.Store.ReadCurrentUsageStateAsync("s1", CancellationToken.None))!.Ledger.BalanceAt(Currency.USD, billing.Clock.Now).Remaining.Should().Be(6.50m);

        // A customer without credits reads an empty ledger.
        await SubscribeAsync(billing, "c2", subscriptionId: "s2");
        var empty = await billing.Store.ReadCurrentUsageStateAsync("s2", CancellationToken.None);
        empty!.Aggregates.Should().BeEmpty();
        empty.Ledger.BalanceAt(Currency.USD, billing.Clock.Now).Remaining.Should().Be(0m);
    }

    [Fact]
    public async Task CurrentUsage_PastThePeriodEndBeforeItsClose_ShowsTheNewPeriod()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1", subscriptionId: "s1");
        billing.Clock.AdvanceTo(Start + Duration.FromDays(1));
        (await billing.Recorder.RecordAsync(Usage("c1", 3, Start + Duration.FromDays(1), "jan"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        billing.Clock.AdvanceTo(February + Duration.FromMinutes(10));
        (await billing.Recorder.RecordAsync(Usage("c1", 2, February + Duration.FromMinutes(5), "feb"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var current = await billing.Usage.GetCurrentAsync("s1");

        current.Period.Start.Should().Be(February);
        current.Usage.Should().ContainSingle().Which.Quantity.Should().Be(2m);
        current.Estimate.Subtotal.Should().Be(Usd(14.00m));
    }
}
