namespace Metering.Storage.Conformance;

/// <summary>
/// Credit rate cards (credits without a subscription, issue #17): a customer with only credit grants and the rate card
/// <c>api_credits</c> (10 credits per <c>api_calls</c> unit, burned in real time, blocked at zero) attached as a credit
/// wallet. Balances never go negative (invariant 4), a record the credits left cannot cover is rejected whole, and a
/// wallet's periods close without an invoice or an invoice number.
/// </summary>
public abstract class CreditRateCardConformance : StoreTestBase
{
    private const string Wallet = "c1~api_credits";

    private static Plan RateCard() =>
        Plan.Create("api_credits", Credits, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(10m), c => c.BurnsCreditsInRealTime = true)
            .AsCreditRateCard()
            .Build();

    private TestMetering CreateWithRateCard() => CreateMetering(o => o
        .AddMeter(Meter.Sum("api_calls"))
        .AddPlan(StandardPlan())
        .AddPlan(RateCard()));

    private static async Task GrantAsync(TestMetering billing, string customerId, decimal amount, string grantId) =>
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = customerId, Amount = new Money(amount, Credits), GrantId = grantId, EffectiveAt = Start });

    private static async Task<CreditBalance> BalanceAsync(TestMetering billing, string customerId = "c1") =>
        (await billing.Credits.GetBalancesAsync(customerId)).Single(b => b.Unit == Credits);

    private static async Task<List<CreditTransaction>> ConsumptionsAsync(TestMetering billing, string customerId = "c1") =>
        (await AllPagesAsync(cursor => billing.Credits.ListTransactionsAsync(customerId, cursor, 3)))
            .SelectMany(p => p.Items)
            .Where(t => t.Type == CreditTransactionType.Consumption)
            .ToList();

    private static async Task<Subscription> AttachedCustomerAsync(TestMetering billing, string customerId, decimal credits)
    {
        await billing.Subscriptions.CreateCustomerAsync(customerId, customerId, "UTC");
        await GrantAsync(billing, customerId, credits, customerId + "-g1");
        return await billing.Credits.AttachRateCardAsync(customerId, "api_credits");
    }

    [Fact]
    public async Task TenCalls_OneByOneAndInABatch_BurnTheHundredCredits_AndTheEleventhIsBlocked()
    {
        await using var billing = CreateWithRateCard();
        var wallet = await AttachedCustomerAsync(billing, "c1", 100m);
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;

        wallet.SubscriptionId.Should().Be(Wallet);
        var single = new List<UsageOutcome>();
        for (int i = 1; i <= 5; i++)
        {
            single.Add(await billing.Recorder.RecordAsync(Usage("c1", 1m, now, $"k{i}")));
        }

        var batch = await billing.Recorder.RecordBatchAsync([.. Enumerable.Range(6, 5).Select(i => Usage("c1", 1m, now, $"k{i}"))]);

        single.Concat(batch).Should().HaveCount(10).And.OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted && o.SubscriptionId == Wallet);
        // 10 calls × 10 credits = 100: nothing left.
        var balance = await BalanceAsync(billing);
        balance.Consumed.Should().Be(100m);
        balance.Remaining.Should().Be(0m);
        var consumptions = await ConsumptionsAsync(billing);
        consumptions.Should().HaveCount(10).And.OnlyContain(t => t.Amount == new Money(10m, Credits));
        consumptions.Select(t => t.UsageIdempotencyKey).Should().BeEquivalentTo(Enumerable.Range(1, 10).Select(i => $"k{i}"));

        var eleventh = await billing.Recorder.RecordAsync(Usage("c1", 1m, now, "k11"));
        eleventh.Kind.Should().Be(UsageOutcomeKind.Rejected);
        eleventh.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        (await BalanceAsync(billing)).Remaining.Should().Be(0m);
        (await ConsumptionsAsync(billing)).Should().HaveCount(10);
        (await AggregateOfAsync(billing, Wallet, Start)).Quantity.Should().Be(10m);

        // A retry of an accepted record is a Duplicate and burns nothing, even at zero.
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, now, "k3"))).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await BalanceAsync(billing)).Consumed.Should().Be(100m);
        (await ConsumptionsAsync(billing)).Should().HaveCount(10);
    }

    [Fact]
    public async Task ATopUp_AllowsWhatItCovers_AndAPartialFitIsRejectedWhole()
    {
        await using var billing = CreateWithRateCard();
        await AttachedCustomerAsync(billing, "c1", 100m);
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;
        (await billing.Recorder.RecordAsync(Usage("c1", 10m, now, "all"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await BalanceAsync(billing)).Remaining.Should().Be(0m);

        await GrantAsync(billing, "c1", 25m, "top-up");

        // 3 calls cost 30 > 25 left: rejected whole, nothing burned (no partial burn, never negative).
        var tooBig = await billing.Recorder.RecordAsync(Usage("c1", 3m, now, "three"));
        tooBig.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        (await BalanceAsync(billing)).Remaining.Should().Be(25m);

        // 25 → 15 → 5, then the third call (10 > 5) is blocked.
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, now, "a"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, now, "b"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, now, "c"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        var balance = await BalanceAsync(billing);
        balance.Granted.Should().Be(125m);
        balance.Consumed.Should().Be(120m);
        balance.Remaining.Should().Be(5m);
        (await AggregateOfAsync(billing, Wallet, Start)).Quantity.Should().Be(12m); // 10 + 1 + 1
    }

    [Fact]
    public async Task WithoutARateCard_UsageIsStillNoActiveSubscription_AndAttachingIsIdempotent()
    {
        await using var billing = CreateWithRateCard();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await GrantAsync(billing, "c1", 100m, "g1");
        billing.Clock.Advance(Duration.FromHours(1));

        (await billing.Recorder.RecordAsync(Usage("c1", 1m, billing.Clock.Now, "before"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);
        (await BalanceAsync(billing)).Remaining.Should().Be(100m);

        // Eight concurrent attaches and a later one: one wallet, the same for every caller.
        var attached = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await billing.Credits.AttachRateCardAsync("c1", "api_credits"))));
        var again = await billing.Credits.AttachRateCardAsync("c1", "api_credits");
        attached.Append(again).Should().OnlyContain(s => s.SubscriptionId == Wallet && s.PlanKey == "api_credits" && s.Revision == 1);
        (await billing.Subscriptions.ListAsync("c1")).Select(s => s.SubscriptionId).Should().Equal(Wallet);

        (await billing.Recorder.RecordAsync(Usage("c1", 1m, billing.Clock.Now, "after"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await BalanceAsync(billing)).Remaining.Should().Be(90m);

        // Misuse is named: unknown rate card, a plan that is not one, a customer that does not exist, subscribing directly.
        (await Invoking(() => billing.Credits.AttachRateCardAsync("c1", "nope"))).ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await Invoking(() => billing.Credits.AttachRateCardAsync("c1", "standard"))).ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        (await Invoking(() => billing.Credits.AttachRateCardAsync("ghost", "api_credits"))).ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await Invoking(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "api_credits" })))
            .Message.Should().Contain("AttachRateCardAsync");
        (await Invoking(() => billing.Subscriptions.ChangePlanAsync(Wallet, "standard"))).ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
        (await Invoking(() => billing.Subscriptions.CancelNowAsync(Wallet))).ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
    }

    [Fact]
    public async Task ABillingSubscription_PricesTheMeter_BeforeTheWallet()
    {
        await using var billing = CreateWithRateCard();
        await AttachedCustomerAsync(billing, "c1", 100m);
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        billing.Clock.Advance(Duration.FromHours(1));

        var outcome = await billing.Recorder.RecordAsync(Usage("c1", 2m, billing.Clock.Now, "k1"));

        outcome.SubscriptionId.Should().Be(sub.SubscriptionId);
        (await BalanceAsync(billing)).Remaining.Should().Be(100m);
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start)).Quantity.Should().Be(2m);
        (await AggregateOfAsync(billing, Wallet, Start)).Quantity.Should().Be(0m);
    }

    [Fact]
    public async Task AWalletPeriodClose_MakesNoInvoice_AndInvoiceNumbersStayGapFree()
    {
        await using var billing = CreateWithRateCard();
        var normal = await SubscribeAsync(billing, "n1");
        await AttachedCustomerAsync(billing, "c1", 100m);
        billing.Clock.Advance(Duration.FromHours(1));
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, billing.Clock.Now, "w1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("n1", 1m, billing.Clock.Now, "n1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var eventsBefore = (await billing.Store.ReadAllEventsAsync()).Count;

        var january = await billing.AdvanceToPeriodEndAsync(normal.SubscriptionId);

        // Only the normal customer is invoiced (10.00 + 1 × 2.00), as number 1; the wallet closed without one.
        january.Invoices.Should().ContainSingle().Which.Number.Should().Be(1);
        january.Invoices[0].Total.Should().Be(Usd(12.00m));
        january.Failed.Should().BeEmpty();
        var wallet = (await billing.Subscriptions.GetAsync(Wallet))!;
        wallet.CurrentPeriod.Start.Should().Be(February);
        wallet.Revision.Should().Be(2);
        (await billing.Invoices.ListAsync("c1")).Items.Should().BeEmpty();
        var history = (await billing.Usage.GetHistoryAsync(Wallet)).Items;
        history.Select(p => p.Period.Start).Should().Equal(February, Start);
        history[1].Status.Should().Be(UsageSummaryStatus.Recorded);
        history[1].Meters.Single().Quantity.Should().Be(3m);
        history[1].Meters.Single().Status.Should().Be(UsageSummaryStatus.Recorded);
        history[1].InvoiceId.Should().BeNull();
        (await BalanceAsync(billing)).Remaining.Should().Be(70m);

        // The wallet's close wrote no invoice event and no SubscriptionRenewed; the normal subscription's did.
        var events = (await billing.Store.ReadAllEventsAsync()).Skip(eventsBefore).Select(e => e.Event).ToList();
        events.Should().NotContain(e => e.CustomerId == "c1");
        events.Should().Contain(e => e.SubjectId == normal.SubscriptionId && e.Type == BillingEventType.SubscriptionRenewed);
        events.Should().Contain(e => e.CustomerId == "n1" && e.Type == BillingEventType.InvoiceCreated);

        // January is closed for the wallet; February burns again. The next invoice number is 2: no gap.
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, Start + Duration.FromDays(3), "late"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, billing.Clock.Now, "w2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await BalanceAsync(billing)).Remaining.Should().Be(60m);
        var february = await billing.AdvanceToPeriodEndAsync(normal.SubscriptionId);
        february.Invoices.Should().ContainSingle().Which.Number.Should().Be(2);
        (await billing.Subscriptions.GetAsync(Wallet))!.CurrentPeriod.Start.Should().Be(Instant.FromUtc(2026, 3, 1, 0, 0));
    }

    [Fact]
    public async Task AWalletCanceledAtPeriodEnd_EndsWithoutAnInvoice()
    {
        await using var billing = CreateWithRateCard();
        await AttachedCustomerAsync(billing, "c1", 100m);
        await billing.Subscriptions.CancelAtPeriodEndAsync(Wallet);

        var report = await billing.AdvanceToPeriodEndAsync(Wallet);

        report.Invoices.Should().BeEmpty();
        report.Failed.Should().BeEmpty();
        (await billing.Subscriptions.GetAsync(Wallet))!.EndedAt.Should().Be(February);
        var events = (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.SubjectId == Wallet).ToList();
        events.Select(e => e.Type).Should().EndWith(BillingEventType.SubscriptionCanceled);
        (await Invoking(() => billing.Credits.AttachRateCardAsync("c1", "api_credits"))).ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
    }

    [Fact]
    public async Task SixteenConcurrentCallers_AgainstFiftyCredits_ExactlyFiveAreAccepted()
    {
        await using var billing = CreateWithRateCard();
        await AttachedCustomerAsync(billing, "c1", 50m);
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await gate.Task;
            return await billing.Recorder.RecordAsync(Usage("c1", 1m, now, $"call-{i}"));
        })).ToArray();
        gate.SetResult();
        var outcomes = await Task.WhenAll(callers);

        // 50 credits at 10 a call: exactly 5 accepted, 11 blocked, nothing left and nothing negative.
        outcomes.Count(o => o.Kind == UsageOutcomeKind.Accepted).Should().Be(5);
        outcomes.Where(o => o.Kind != UsageOutcomeKind.Accepted).Should().HaveCount(11)
            .And.OnlyContain(o => o.Rejection!.Value.Reason == UsageRejectionReason.InsufficientCredits);
        var balance = await BalanceAsync(billing);
        balance.Consumed.Should().Be(50m);
        balance.Remaining.Should().Be(0m);
        (await ConsumptionsAsync(billing)).Should().HaveCount(5);
        (await AggregateOfAsync(billing, Wallet, Start)).Quantity.Should().Be(5m);
    }

    private static async Task<MeteringException> Invoking<T>(Func<ValueTask<T>> call)
    {
        try
        {
            await call();
        }
        catch (MeteringException e)
        {
            return e;
        }

        throw new InvalidOperationException("The call was expected to throw a MeteringException.");
    }
}
