namespace Metering.Tests.EndToEnd;

using Metering;

public class CreditsTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 6, 1, 0, 0);
    private static readonly Currency Credits = Currency.Custom("credits", 0);

    private static TestMetering Create(CreditOverflow overflow) => TestMetering.Create(o =>
    {
        o.AddMeter(Meter.Count("generations"))
         .AddPlan(Plan.Create("ai", Credits, BillingInterval.Months(1))
            .WithCharge("generations", PricingModel.PerUnit(10m), c => c.BurnsCreditsInRealTime = true)
            .WhenCreditsRunOut(overflow)
            .Build());
    }, Start);

    private static async Task<Subscription> SetUpAsync(TestMetering billing, decimal credits)
    {
        await billing.Subscriptions.CreateCustomerAsync("u1");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "u1", PlanKey = "ai" });
        await billing.Credits.GrantAsync(new CreditGrantRequest
        {
            CustomerId = "u1",
            Amount = new Money(credits, Credits),
            Category = CreditCategory.Promotional,
            ExpiresAt = Start + Duration.FromDays(30),
            Name = "Welcome credits",
        });
        return sub;
    }

    [Fact]
    public async Task PromotionalCredits_BurnInRealTime_ThenExpire()
    {
        await using var billing = Create(CreditOverflow.Block);
        await SetUpAsync(billing, 1_000m);
        billing.Clock.Advance(Duration.FromHours(1));

        (await billing.Recorder.RecordAsync(new UsageRecord("u1", "generations", 1m, billing.Clock.Now, "g1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // 1,000 − 10 = 990.
        var balance = (await billing.Credits.GetBalancesAsync("u1")).Single();
        balance.Consumed.Should().Be(10m);
        balance.Remaining.Should().Be(990m);

        billing.Clock.AdvanceTo(Start + Duration.FromDays(30));
        await billing.PeriodCloser.CloseDueAsync();

        var expired = (await billing.Credits.GetBalancesAsync("u1")).Single();
        expired.Expired.Should().Be(990m);
        expired.Remaining.Should().Be(0m);
        var ledger = await billing.Credits.ListTransactionsAsync("u1");
        ledger.Items.Select(t => t.Type).Should().Equal(CreditTransactionType.Grant, CreditTransactionType.Consumption, CreditTransactionType.Expiration);
        ledger.Items[1].UsageIdempotencyKey.Should().Be("g1");
    }

    [Fact]
    public async Task BlockPolicy_RejectsUsageTheCreditsCannotCover_LeavingNoTrace()
    {
        await using var billing = Create(CreditOverflow.Block);
        var sub = await SetUpAsync(billing, 25m);

        (await billing.Recorder.RecordAsync(new UsageRecord("u1", "generations", 1m, billing.Clock.Now, "g1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(new UsageRecord("u1", "generations", 1m, billing.Clock.Now, "g2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var third = await billing.Recorder.RecordAsync(new UsageRecord("u1", "generations", 1m, billing.Clock.Now, "g3"));

        // 25 − 10 − 10 = 5 left: not enough for a third generation at 10.
        third.Kind.Should().Be(UsageOutcomeKind.Rejected);
        third.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        (await billing.Credits.GetBalancesAsync("u1")).Single().Remaining.Should().Be(5m);
        (await billing.Usage.GetCurrentAsync(sub.SubscriptionId)).Usage.Single().Quantity.Should().Be(2m);

        // The key was not burned: after a top-up the same record is accepted.
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "u1", Amount = new Money(100m, Credits), Category = CreditCategory.Paid });
        (await billing.Recorder.RecordAsync(new UsageRecord("u1", "generations", 1m, billing.Clock.Now, "g3"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
    }

    [Fact]
    public async Task OveragePolicy_BillsWhatCreditsDidNotCover()
    {
        await using var billing = Create(CreditOverflow.Overage);
        var sub = await SetUpAsync(billing, 25m);
        for (int i = 0; i < 4; i++)
        {
            (await billing.Recorder.RecordAsync(new UsageRecord("u1", "generations", 1m, billing.Clock.Now, $"g{i}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // 4 × 10 = 40 credits of usage; 25 prepaid by the grant; 15 billed.
        invoice.Content.Subtotal.Should().Be(new Money(40m, Credits));
        invoice.Total.Should().Be(new Money(15m, Credits));
        invoice.Content.Lines.Sum(l => l.Amount.Amount).Should().Be(15m);
    }
}

public class CreditAlertsTest
{
    private static readonly Currency Credits = Currency.Custom("credits", 0);

    [Fact]
    public async Task Alerts_ReportLowThenExhausted()
    {
        await using var billing = TestMetering.Create(o =>
        {
            o.LowCreditBalanceThresholds["credits"] = 20m;
            o.AddMeter(Meter.Count("generations"))
             .AddPlan(Plan.Create("ai", Credits, BillingInterval.Months(1))
                .WithCharge("generations", PricingModel.PerUnit(10m), c => c.BurnsCreditsInRealTime = true)
                .Build());
        });
        await billing.Subscriptions.CreateCustomerAsync("u1");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "u1", PlanKey = "ai" });
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "u1", Amount = new Money(40m, Credits) });

        async Task<CreditBalanceAlert> AfterAsync(string key)
        {
            await billing.Recorder.RecordAsync(new UsageRecord("u1", "generations", 1m, billing.Clock.Now, key));
            return (await billing.Credits.GetBalanceAlertsAsync("u1")).Single();
        }

        // 40 → 30: above the threshold of 20.
        var first = await AfterAsync("g1");
        first.IsLow.Should().BeFalse();

        // 30 → 20: at the threshold, low.
        var second = await AfterAsync("g2");
        second.IsLow.Should().BeTrue();
        second.IsExhausted.Should().BeFalse();

        // 20 → 10 → 0: exhausted.
        await AfterAsync("g3");
        var last = await AfterAsync("g4");
        last.IsExhausted.Should().BeTrue();
        last.Balance.Remaining.Should().Be(0m);
    }
}
