namespace Metering.Storage.Conformance;

/// <summary>
/// Credits on the store (DESIGN §2 Credits, invariant 4): grants, real-time burn inside the usage append
/// (Block and Overage), invoice-time credits at close, expiry at the exact instant, voids, and the balance
/// invariant granted − consumed − expired − voided = remaining ≥ 0 under concurrent consumers.
/// Prepaid plans are priced in the custom unit <c>credits</c> (0 digits): 1 credit per call, burned in real time.
/// </summary>
public abstract class CreditConformance : StoreTestBase
{
    private TestMetering CreatePrepaid(CreditOverflow whenCreditsRunOut) => CreateMetering(o => o
        .AddMeter(Meter.Sum("api_calls"))
        .AddPlan(Plan.Create("prepaid", Credits, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m), c => c.BurnsCreditsInRealTime = true)
            .WhenCreditsRunOut(whenCreditsRunOut)
            .Build()));

    private static Task<CreditGrant> GrantCreditsAsync(TestMetering billing, decimal amount, string grantId, int priority = CreditGrant.DefaultPriority) =>
        billing.Credits.GrantAsync(new CreditGrantRequest
        {
            CustomerId = "c1",
            Amount = new Money(amount, Credits),
            GrantId = grantId,
            Priority = priority,
            EffectiveAt = Start,
        }).AsTask();

    private static async Task<CreditBalance> BalanceAsync(TestMetering billing, Currency unit) =>
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == unit);

    private static async Task<List<CreditTransaction>> TransactionsAsync(TestMetering billing) =>
        (await AllPagesAsync(cursor => billing.Credits.ListTransactionsAsync("c1", cursor, 1_000))).SelectMany(p => p.Items).ToList();

    [Fact]
    public async Task Grant_ShowsInBalanceAndHistory_AndIsIdempotentByGrantId()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");
        var request = new CreditGrantRequest { CustomerId = "c1", Amount = Usd(100.00m), Category = CreditCategory.Paid, Name = "Top-up", GrantId = "g1" };

        var grant = await billing.Credits.GrantAsync(request);
        var again = await billing.Credits.GrantAsync(request);

        grant.GrantId.Should().Be("g1");
        grant.Amount.Should().Be(Usd(100.00m));
        again.GrantId.Should().Be("g1");
        var balance = await BalanceAsync(billing, Currency.USD);
        balance.Granted.Should().Be(100.00m);
        balance.Remaining.Should().Be(100.00m);
        var transaction = (await TransactionsAsync(billing)).Should().ContainSingle().Subject;
        transaction.Type.Should().Be(CreditTransactionType.Grant);
        transaction.Amount.Should().Be(Usd(100.00m));
        transaction.GrantId.Should().Be("g1");
        (await billing.Store.LoadLedgerAsync("c1", CancellationToken.None)).GetGrant("g1").Category.Should().Be(CreditCategory.Paid);
    }

    [Fact]
    public async Task RealTimeBurn_ConsumesAsUsageIsRecorded_RetriesBurnNothing()
    {
        await using var billing = CreatePrepaid(CreditOverflow.Block);
        var sub = await SubscribeAsync(billing, "c1", "prepaid");
        await GrantCreditsAsync(billing, 100m, "g1");
        billing.Clock.Advance(Duration.FromHours(1));
        var record = Usage("c1", 30m, billing.Clock.Now, "k1");

        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Duplicate);

        // 30 calls × 1 credit, burned once: 100 − 30 = 70 left.
        var balance = await BalanceAsync(billing, Credits);
        balance.Consumed.Should().Be(30m);
        balance.Remaining.Should().Be(70m);
        var consumption = (await TransactionsAsync(billing)).Should().ContainSingle(t => t.Type == CreditTransactionType.Consumption).Subject;
        consumption.Amount.Should().Be(new Money(30m, Credits));
        consumption.UsageIdempotencyKey.Should().Be("k1");

        // The invoice shows the usage and the credits burned for it: 30 − 30 = 0 credits due; nothing more is taken.
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        UsageLine(invoice).Amount.Should().Be(new Money(30m, Credits));
        invoice.Content.Lines.Single(l => l.Kind == InvoiceLineKind.Credit).Amount.Should().Be(new Money(-30m, Credits));
        invoice.Total.Should().Be(new Money(0m, Credits));
        (await BalanceAsync(billing, Credits)).Remaining.Should().Be(70m);
    }

    [Fact]
    public async Task Block_RejectsInsufficientCredits_AndLeavesNoTrace()
    {
        await using var billing = CreatePrepaid(CreditOverflow.Block);
        var sub = await SubscribeAsync(billing, "c1", "prepaid");
        await GrantCreditsAsync(billing, 50m, "g1");
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;
        (await billing.Recorder.RecordAsync(Usage("c1", 30m, now, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // 20 credits left; 25 calls cost 25.
        var blocked = await billing.Recorder.RecordAsync(Usage("c1", 25m, now, "k2"));

        blocked.Kind.Should().Be(UsageOutcomeKind.Rejected);
        blocked.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        blocked.Rejection!.Value.Message.Should().Contain("c1").And.Contain("api_calls");
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Select(r => r.IdempotencyKey).Should().Equal("k1");
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(30m);
        (await BalanceAsync(billing, Credits)).Remaining.Should().Be(20m);
        (await TransactionsAsync(billing)).Should().HaveCount(2); // the grant and one consumption

        // The key was not burned: with 10 more credits (30 left) the same record is accepted; 30 − 25 = 5 left.
        await GrantCreditsAsync(billing, 10m, "g2");
        (await billing.Recorder.RecordAsync(Usage("c1", 25m, now, "k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await BalanceAsync(billing, Credits)).Remaining.Should().Be(5m);

        // In a batch, only the item the credits cannot cover is rejected: 5 → 0, then 1 more is blocked.
        var batch = await billing.Recorder.RecordBatchAsync([Usage("c1", 5m, now, "k3"), Usage("c1", 1m, now, "k4")]);
        batch[0].Kind.Should().Be(UsageOutcomeKind.Accepted);
        batch[1].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(60m); // 30 + 25 + 5
        (await BalanceAsync(billing, Credits)).Remaining.Should().Be(0m);
    }

    [Fact]
    public async Task Overage_BurnsWhatIsLeft_AndBillsTheUncoveredPart()
    {
        await using var billing = CreatePrepaid(CreditOverflow.Overage);
        var sub = await SubscribeAsync(billing, "c1", "prepaid");
        await GrantCreditsAsync(billing, 50m, "g1");
        billing.Clock.Advance(Duration.FromHours(1));

        (await billing.Recorder.RecordAsync(Usage("c1", 80m, billing.Clock.Now, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 10m, billing.Clock.Now, "k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var balance = await BalanceAsync(billing, Credits);
        balance.Consumed.Should().Be(50m);
        balance.Remaining.Should().Be(0m);

        // 90 calls = 90 credits; 50 were paid with credits as used; 40 are billed.
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        UsageLine(invoice).Amount.Should().Be(new Money(90m, Credits));
        invoice.Content.CreditsApplied.Should().Be(new Money(50m, Credits));
        invoice.Total.Should().Be(new Money(40m, Credits));
    }

    [Fact]
    public async Task InvoiceTimeCredits_AreAppliedAtClose_AndConsumedWithTheInvoice()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(15.00m), GrantId = "promo" });
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // Subtotal 10.00 + 5 × 2.00 = 20.00; 15.00 credits; total 5.00.
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(5.00m));
        (await BalanceAsync(billing, Currency.USD)).Remaining.Should().Be(15.00m, "a preview consumes nothing");

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        invoice.Content.Subtotal.Should().Be(Usd(20.00m));
        invoice.Content.CreditsApplied.Should().Be(Usd(15.00m));
        invoice.Total.Should().Be(Usd(5.00m));
        var consumption = (await TransactionsAsync(billing)).Single(t => t.Type == CreditTransactionType.Consumption);
        consumption.Amount.Should().Be(Usd(15.00m));
        consumption.InvoiceId.Should().Be(invoice.InvoiceId);
        (await BalanceAsync(billing, Currency.USD)).Remaining.Should().Be(0m);

        // Next period: nothing left to apply; base fee only.
        var next = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        next.Total.Should().Be(Usd(10.00m));
    }

    [Fact]
    public async Task Expiry_HappensAtTheExactInstant_ThroughCloseDue()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var expiry = Instant.FromUtc(2026, 1, 20, 0, 0);
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(100.00m), GrantId = "expiring", ExpiresAt = expiry });
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(5.00m), GrantId = "lasting" });

        billing.Clock.AdvanceTo(expiry - (Duration.Epsilon * 100));
        (await billing.PeriodCloser.CloseDueAsync()).CreditsExpired.Should().Be(0);
        (await BalanceAsync(billing, Currency.USD)).Remaining.Should().Be(105.00m);

        // A balance read at the expiry instant never counts the expiring grant, even before its Expiration is written.
        var atExpiry = (await billing.Credits.GetBalancesAsync("c1", expiry)).Single();
        atExpiry.Remaining.Should().Be(5.00m);

        billing.Clock.AdvanceTo(expiry);
        (await billing.PeriodCloser.CloseDueAsync()).CreditsExpired.Should().Be(1);
        (await billing.PeriodCloser.CloseDueAsync()).CreditsExpired.Should().Be(0);

        var balance = await BalanceAsync(billing, Currency.USD);
        balance.Expired.Should().Be(100.00m);
        balance.Remaining.Should().Be(5.00m);
        var expiration = (await TransactionsAsync(billing)).Should().ContainSingle(t => t.Type == CreditTransactionType.Expiration).Subject;
        expiration.GrantId.Should().Be("expiring");
        expiration.Amount.Should().Be(Usd(100.00m));
        expiration.At.Should().Be(expiry);

        // January closes with only the lasting 5.00 applied: 10.00 − 5.00 = 5.00.
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Content.CreditsApplied.Should().Be(Usd(5.00m));
        invoice.Total.Should().Be(Usd(5.00m));
    }

    [Fact]
    public async Task Void_RemovesTheRemainder_AndBlockedUsageFollows()
    {
        await using var billing = CreatePrepaid(CreditOverflow.Block);
        var sub = await SubscribeAsync(billing, "c1", "prepaid");
        await GrantCreditsAsync(billing, 100m, "g1");
        billing.Clock.Advance(Duration.FromHours(1));
        (await billing.Recorder.RecordAsync(Usage("c1", 30m, billing.Clock.Now, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var afterVoid = await billing.Credits.VoidAsync("c1", "g1", "refunded");

        // 100 granted − 30 consumed − 70 voided = 0.
        afterVoid.Voided.Should().Be(70m);
        afterVoid.Remaining.Should().Be(0m);
        (await TransactionsAsync(billing)).Select(t => t.Type).Should().Equal(CreditTransactionType.Grant, CreditTransactionType.Consumption, CreditTransactionType.Void);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, billing.Clock.Now, "k2"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(30m);
    }

    [Fact]
    public async Task ConcurrentConsumers_NeverOverdraw_AndTheBalanceAlwaysAddsUp()
    {
        const int Consumers = 8;
        const int RecordsEach = 200;
        await using var billing = CreatePrepaid(CreditOverflow.Block);
        var sub = await SubscribeAsync(billing, "c1", "prepaid");
        await GrantCreditsAsync(billing, 600m, "first", priority: 1);
        await GrantCreditsAsync(billing, 400m, "second", priority: 2);
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumers = Enumerable.Range(0, Consumers).Select(c => Task.Run(async () =>
        {
            await gate.Task;
            var records = Enumerable.Range(0, RecordsEach).Select(i => Usage("c1", 1m, now, $"u-{c}-{i}")).ToArray();
            var outcomes = new List<UsageOutcome>(RecordsEach);
            if (c % 2 == 0)
            {
                foreach (var record in records)
                {
                    outcomes.Add(await billing.Recorder.RecordAsync(record));
                }
            }
            else
            {
                foreach (var chunk in records.Chunk(20))
                {
                    outcomes.AddRange(await billing.Recorder.RecordBatchAsync(chunk));
                }
            }

            return outcomes;
        })).ToArray();
        var reader = Task.Run(async () =>
        {
            await gate.Task;
            var snapshots = new List<CreditBalance>();
            while (!consumers.All(t => t.IsCompleted))
            {
                snapshots.Add(await BalanceAsync(billing, Credits));
                await Task.Yield();
            }

            return snapshots;
        });
        gate.SetResult();
        var outcomes = (await Task.WhenAll(consumers)).SelectMany(o => o).ToList();
        var snapshots = await reader;

        // 1,600 one-credit records against 1,000 credits: exactly 1,000 accepted, 600 blocked.
        outcomes.Count(o => o.Kind == UsageOutcomeKind.Accepted).Should().Be(1_000);
        outcomes.Where(o => o.Kind != UsageOutcomeKind.Accepted).Should().HaveCount(600)
            .And.OnlyContain(o => o.Rejection!.Value.Reason == UsageRejectionReason.InsufficientCredits);
        snapshots.Should().OnlyContain(b => b.Remaining >= 0m && b.Granted - b.Consumed - b.Expired - b.Voided + b.Adjusted == b.Remaining);

        var balance = await BalanceAsync(billing, Credits);
        balance.Granted.Should().Be(1_000m);
        balance.Consumed.Should().Be(1_000m);
        balance.Remaining.Should().Be(0m);
        var ledger = await billing.Store.LoadLedgerAsync("c1", CancellationToken.None);
        ledger.FindViolations().Should().BeEmpty();
        ledger.RemainingOf("first", now).Should().Be(0m);
        ledger.RemainingOf("second", now).Should().Be(0m);

        // Burn order held under concurrency: all of "first" (priority 1) before any of "second".
        var consumptions = ledger.Transactions.Where(t => t.Type == CreditTransactionType.Consumption).ToList();
        consumptions.Sum(t => t.Amount.Amount).Should().Be(1_000m);
        consumptions.Select(t => t.UsageIdempotencyKey).Should().OnlyHaveUniqueItems().And.HaveCount(1_000);
        consumptions.Where(t => t.GrantId == "first").Max(t => t.Sequence).Should().BeLessThan(consumptions.Where(t => t.GrantId == "second").Min(t => t.Sequence));

        // The aggregate, the prepaid credits and the invoice agree: 1,000 credits used, 1,000 paid as used, 0 due.
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(1_000m);
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        UsageLine(invoice).Quantity.Should().Be(1_000m);
        invoice.Content.CreditsApplied.Should().Be(new Money(1_000m, Credits));
        invoice.Total.Should().Be(new Money(0m, Credits));
    }
}
