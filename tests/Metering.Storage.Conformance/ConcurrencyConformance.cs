namespace Metering.Storage.Conformance;

/// <summary>
/// Invariants 1 and 2 under concurrency (DESIGN §5): concurrent writers and retries give exact totals,
/// concurrent closers produce each invoice once with gap-free numbers, and a record racing its period's
/// close (or a plan change) is on exactly one invoice or rejected, never accepted and lost.
/// Standard plan: 10.00 base + 2.00 per call.
/// </summary>
public abstract class ConcurrencyConformance : StoreTestBase
{
    [Fact]
    public async Task EightWriters_TenThousandRecordsEach_WithRetriedDuplicates_GiveExactTotals()
    {
        const int Writers = 8;
        const int PerWriter = 10_000;
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.AdvanceTo(Start + Duration.FromDays(10));

        // Writer w sends its 10,000 records; every 10th step it also retries the record of its neighbour
        // (w + 1) % 8 with the same index, so 8 × 1,000 retries race their originals.
        static UsageRecord RecordOf(int writer, int i) =>
            new("c1", "api_calls", 1 + (i % 3), Start + Duration.FromSeconds(i), $"w{writer}-{i}");

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await gate.Task;
            var sent = new List<(string Key, UsageOutcome Outcome)>(PerWriter + (PerWriter / 10));
            var neighbour = (w + 1) % Writers;
            if (w % 2 == 0)
            {
                for (int i = 0; i < PerWriter; i++)
                {
                    var record = RecordOf(w, i);
                    sent.Add((record.IdempotencyKey, await billing.Recorder.RecordAsync(record)));
                    if (i % 10 == 0)
                    {
                        var retry = RecordOf(neighbour, i);
                        sent.Add((retry.IdempotencyKey, await billing.Recorder.RecordAsync(retry)));
                    }
                }
            }
            else
            {
                var batch = new List<UsageRecord>(600);
                for (int i = 0; i < PerWriter; i++)
                {
                    batch.Add(RecordOf(w, i));
                    if (i % 10 == 0)
                    {
                        batch.Add(RecordOf(neighbour, i));
                    }

                    if (batch.Count >= 500 || i == PerWriter - 1)
                    {
                        var items = batch.ToArray();
                        var outcomes = await billing.Recorder.RecordBatchAsync(items);
                        sent.AddRange(items.Select((r, j) => (r.IdempotencyKey, outcomes[j])));
                        batch.Clear();
                    }
                }
            }

            return sent;
        })).ToArray();
        gate.SetResult();
        var all = (await Task.WhenAll(writers)).SelectMany(s => s).ToList();

        // 80,000 originals + 8,000 retries; whichever copy of a key came first is the one Accepted.
        all.Should().HaveCount(88_000);
        all.Count(s => s.Outcome.Kind == UsageOutcomeKind.Accepted).Should().Be(80_000);
        all.Count(s => s.Outcome.Kind == UsageOutcomeKind.Duplicate).Should().Be(8_000);
        all.Where(s => s.Outcome.Kind == UsageOutcomeKind.Accepted).Select(s => s.Key).Should().OnlyHaveUniqueItems();

        // Per writer: 10,000 × 1 + (3,333 × 1 + 3,333 × 2) for i % 3 = 1, 2 → 19,999; × 8 writers = 159,992.
        var summary = await CurrentOfAsync(billing, sub.SubscriptionId);
        summary.Quantity.Should().Be(159_992m);
        summary.RecordCount.Should().Be(80_000);
        var reconciliation = await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start);
        reconciliation.RecordCount.Should().Be(80_000);
        reconciliation.Differences.Should().BeEmpty();

        // Invoice: 10.00 + 159,992 × 2.00 = 10.00 + 319,984.00 = 319,994.00.
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        UsageLine(invoice).Quantity.Should().Be(159_992m);
        UsageLine(invoice).Amount.Should().Be(Usd(319_984.00m));
        invoice.Total.Should().Be(Usd(319_994.00m));
    }

    [Fact]
    public async Task EightSendersOfTheSameRecords_EachRecordCountedOnce()
    {
        const int Senders = 8;
        const int Records = 2_000;
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromHours(1));
        var records = Enumerable.Range(0, Records)
            .Select(i => Usage("c1", (i % 5) + 1, Start + Duration.FromMilliseconds(i), $"same-{i}"))
            .ToArray();

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            await gate.Task;
            var outcomes = new List<(string Key, UsageOutcome Outcome)>(Records);

            // Each sender starts at another offset so that originals and retries interleave.
            var order = Enumerable.Range(0, Records).Select(i => records[(i + (s * 250)) % Records]).ToArray();
            if (s % 2 == 0)
            {
                foreach (var record in order)
                {
                    outcomes.Add((record.IdempotencyKey, await billing.Recorder.RecordAsync(record)));
                }
            }
            else
            {
                foreach (var chunk in order.Chunk(100))
                {
                    var results = await billing.Recorder.RecordBatchAsync(chunk);
                    outcomes.AddRange(chunk.Select((r, j) => (r.IdempotencyKey, results[j])));
                }
            }

            return outcomes;
        })).ToArray();
        gate.SetResult();
        var all = (await Task.WhenAll(senders)).SelectMany(o => o).ToList();

        all.Should().OnlyContain(o => o.Outcome.IsCounted);
        all.GroupBy(o => o.Key).Should().HaveCount(Records)
            .And.OnlyContain(g => g.Count(o => o.Outcome.Kind == UsageOutcomeKind.Accepted) == 1 && g.Count() == Senders);

        // Quantities 1..5 repeat 400 times: 400 × (1 + 2 + 3 + 4 + 5) = 6,000.
        var summary = await CurrentOfAsync(billing, sub.SubscriptionId);
        summary.Quantity.Should().Be(6_000m);
        summary.RecordCount.Should().Be(Records);
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start)).IsConsistent.Should().BeTrue();
    }

    [Fact]
    public async Task FourConcurrentClosers_FiftyDueSubscriptions_EachInvoicedOnce_NumbersOneToFifty()
    {
        const int Customers = 50;
        await using var billing = CreateStandard(o => o.CloseBatchSize = 8);
        var subscriptions = new List<Subscription>();
        for (int n = 0; n < Customers; n++)
        {
            var customer = $"c{n:00}";
            subscriptions.Add(await SubscribeAsync(billing, customer));
            (await billing.Recorder.RecordAsync(Usage(customer, n + 1, Start, $"{customer}-usage"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        billing.Clock.AdvanceTo(February + Grace);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            return await billing.PeriodCloser.CloseDueAsync();
        })).ToArray();
        gate.SetResult();
        var reports = await Task.WhenAll(closers);

        var invoices = reports.SelectMany(r => r.Invoices).ToList();
        invoices.Should().HaveCount(Customers);
        invoices.Select(i => i.SubscriptionId).Should().OnlyHaveUniqueItems();
        invoices.Select(i => i.Number).Order().Should().Equal(Enumerable.Range(1, Customers).Select(n => (long)n));

        for (int n = 0; n < Customers; n++)
        {
            var listed = await billing.Invoices.ListAsync($"c{n:00}");
            var invoice = listed.Items.Should().ContainSingle().Subject;

            // Customer n used n + 1 calls: 10.00 + 2.00 × (n + 1).
            invoice.Total.Should().Be(Usd(12.00m + (2.00m * n)));
            invoice.Period.Start.Should().Be(Start);
            (await billing.Subscriptions.GetAsync(subscriptions[n].SubscriptionId))!.CurrentPeriod.Start.Should().Be(February);
        }

        var events = await billing.Store.ReadAllEventsAsync();
        events.Count(e => e.Event.Type == BillingEventType.InvoiceCreated).Should().Be(Customers);
        events.Count(e => e.Event.Type == BillingEventType.SubscriptionRenewed).Should().Be(Customers);
        events.Select(e => e.Sequence).Should().OnlyHaveUniqueItems("sequences are unique (PostgreSQL may leave holes where a losing close rolled back)");
        events.Select(e => e.Event.EventId).Should().OnlyHaveUniqueItems();
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
    }

    [Fact]
    public async Task RecordsRacingTheirPeriodClose_AreOnThatInvoiceOrRejected_NeverLost()
    {
        const int Recorders = 4;
        const int RecordsAfterClose = 20;
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.AdvanceTo(February + Grace);
        var january = February - Duration.FromHours(2);
        var february = February + Duration.FromMinutes(30);
        var race = new RaceState();

        var recorders = Enumerable.Range(0, Recorders).Select(w => Task.Run(async () =>
        {
            var jan = new List<UsageOutcome>();
            var feb = new List<UsageOutcome>();
            int afterClose = 0;
            for (int i = 0; afterClose < RecordsAfterClose && i < 1_000_000; i++)
            {
                if (Volatile.Read(ref race.Closed) == 1)
                {
                    afterClose++;
                }
                else if (i % 64 == 0)
                {
                    // A store that completes synchronously never yields the thread: let the closer in.
                    await Task.Yield();
                }

                if (w % 2 == 0)
                {
                    jan.Add(await billing.Recorder.RecordAsync(Usage("c1", 1m, january, $"jan-{w}-{i}")));
                }
                else
                {
                    var batch = Enumerable.Range(0, 10).Select(j => Usage("c1", 1m, january, $"jan-{w}-{i}-{j}")).ToArray();
                    jan.AddRange(await billing.Recorder.RecordBatchAsync(batch));
                }

                if (i % 5 == 0)
                {
                    feb.Add(await billing.Recorder.RecordAsync(Usage("c1", 1m, february, $"feb-{w}-{i}")));
                }

                Interlocked.Increment(ref race.Steps);
            }

            return (Jan: jan, Feb: feb);
        })).ToArray();

        var closer = Task.Run(async () =>
        {
            // Let the recorders get going, then close January under them.
            while (Volatile.Read(ref race.Steps) < 200)
            {
                await Task.Yield();
            }

            var report = await billing.PeriodCloser.CloseDueAsync();
            Volatile.Write(ref race.Closed, 1);
            return report;
        });

        var results = await Task.WhenAll(recorders);
        var closeReport = await closer;
        var janOutcomes = results.SelectMany(r => r.Jan).ToList();
        var febOutcomes = results.SelectMany(r => r.Feb).ToList();

        janOutcomes.Should().OnlyContain(o =>
            (o.Kind == UsageOutcomeKind.Accepted && o.PeriodStart == Start)
            || (o.Kind == UsageOutcomeKind.Rejected && o.Rejection!.Value.Reason == UsageRejectionReason.PeriodClosed));
        int accepted = janOutcomes.Count(o => o.Kind == UsageOutcomeKind.Accepted);
        int rejected = janOutcomes.Count - accepted;
        accepted.Should().BePositive();
        rejected.Should().BeGreaterThanOrEqualTo(Recorders * RecordsAfterClose, "every record sent after the close finished is rejected");

        // Every accepted January record is on the January invoice: 10.00 + 2.00 per record.
        var invoice = closeReport.Invoices.Should().ContainSingle().Subject;
        UsageLine(invoice).Quantity.Should().Be(accepted);
        invoice.Total.Should().Be(Usd(10.00m + (2.00m * accepted)));
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(accepted);
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().HaveCount(accepted);
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start)).IsConsistent.Should().BeTrue();

        // February records were never affected by the close.
        febOutcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted && o.PeriodStart == February);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(febOutcomes.Count);
    }

    [Fact]
    public async Task RecordsRacingAPlanChange_AreCountedOnExactlyOneInvoice()
    {
        const int Recorders = 4;
        const int RecordsAfterChange = 20;
        await using var billing = CreateStandard(o => o.AddPlan(
            Plan.Create("premium", Currency.USD, BillingInterval.Months(1)).WithBaseFee(20.00m).WithCharge("api_calls", PricingModel.PerUnit(1.00m)).Build()));
        var sub = await SubscribeAsync(billing, "c1");
        var changeAt = billing.Clock.AdvanceTo(Start + Duration.FromDays(10));
        var race = new RaceState();

        var recorders = Enumerable.Range(0, Recorders).Select(w => Task.Run(async () =>
        {
            var outcomes = new List<UsageOutcome>();
            int afterChange = 0;
            for (int i = 0; afterChange < RecordsAfterChange && i < 1_000_000; i++)
            {
                if (Volatile.Read(ref race.Closed) == 1)
                {
                    afterChange++;
                }
                else if (i % 64 == 0)
                {
                    await Task.Yield();
                }

                outcomes.Add(await billing.Recorder.RecordAsync(Usage("c1", 1m, changeAt, $"r-{w}-{i}")));
                Interlocked.Increment(ref race.Steps);
            }

            return outcomes;
        })).ToArray();

        var changer = Task.Run(async () =>
        {
            while (Volatile.Read(ref race.Steps) < 200)
            {
                await Task.Yield();
            }

            var change = await billing.Subscriptions.ChangePlanAsync(sub.SubscriptionId, "premium");
            Volatile.Write(ref race.Closed, 1);
            return change;
        });

        var outcomes = (await Task.WhenAll(recorders)).SelectMany(o => o).ToList();
        var result = await changer;

        // A record at the instant of the change lands in the old period (if stored before the close) or in
        // the new one (after it, re-attributed on the new plan); never in both, never lost.
        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted, "records at the change instant belong to one period or the other");
        int onOld = outcomes.Count(o => o.PeriodStart == Start);
        int onNew = outcomes.Count(o => o.PeriodStart == changeAt);
        (onOld + onNew).Should().Be(outcomes.Count);
        onNew.Should().BeGreaterThanOrEqualTo(Recorders * RecordsAfterChange);

        UsageLine(result.Invoice).Quantity.Should().Be(onOld);
        result.Invoice.PlanKey.Should().Be("standard");
        result.Subscription.CurrentPeriod.Start.Should().Be(changeAt);
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(onOld);
        (await AggregateOfAsync(billing, sub.SubscriptionId, changeAt)).Quantity.Should().Be(onNew);
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().HaveCount(onOld);
        (await RecordsOfAsync(billing, sub.SubscriptionId, changeAt)).Should().HaveCount(onNew);
    }

    [Fact]
    public async Task ConcurrentSubscriptionChanges_AreAllApplied_NoneLost()
    {
        const int Users = 8;
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, Users);

        // Optimistic concurrency in the store: every writer that loses a race re-reads and tries again.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var assigners = Enumerable.Range(0, Users).Select(u => Task.Run(async () =>
        {
            await gate.Task;
            return await billing.Subscriptions.AssignSeatAsync(sub.SubscriptionId, $"user-{u}");
        })).ToArray();
        gate.SetResult();
        await Task.WhenAll(assigners);

        // Revision 1 at creation, 2 after SetSeats, then one per assignment: 10.
        var stored = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        stored.SeatAssignments.Should().BeEquivalentTo(Enumerable.Range(0, Users).Select(u => $"user-{u}"));
        stored.Revision.Should().Be(2 + Users);
        var events = await billing.Store.ReadAllEventsAsync();
        events.Count(e => e.Event.Type == BillingEventType.SubscriptionSeatsChanged).Should().Be(1 + Users);
        events.Select(e => e.Event.EventId).Should().OnlyHaveUniqueItems();
    }

    private sealed class RaceState
    {
#pragma warning disable SA1401, CA1051 // Fields, for Interlocked/Volatile.
        public int Closed;
        public int Steps;
#pragma warning restore SA1401, CA1051
    }
}
