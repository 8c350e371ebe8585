namespace Metering.Storage.Conformance;

/// <summary>
/// <see cref="MeteringOptions.DefaultCreditRateCard"/> (issue #17, credits without a subscription): a customer with only
/// credit grants meters usage priced by the default rate card <c>api_credits</c> (10 credits per <c>api_calls</c> unit)
/// without anyone attaching it first. The first record attaches the wallet <c>{customerId}~api_credits</c> once, also
/// when eight first records arrive at once; a customer with a billing subscription is unaffected.
/// </summary>
public abstract class DefaultCreditRateCardConformance : StoreTestBase
{
    private const string Wallet = "c1~api_credits";

    private static Plan RateCard() =>
        Plan.Create("api_credits", Credits, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(10m), c => c.BurnsCreditsInRealTime = true)
            .AsCreditRateCard()
            .Build();

    private TestMetering CreateWithDefault() => CreateMetering(o =>
    {
        o.AddMeter(Meter.Sum("api_calls")).AddPlan(StandardPlan()).AddPlan(RateCard());
        o.DefaultCreditRateCard = "api_credits";
    });

    private static async Task CustomerWithCreditsAsync(TestMetering billing, string customerId, decimal credits)
    {
        await billing.Subscriptions.CreateCustomerAsync(customerId, customerId, "UTC");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = customerId, Amount = new Money(credits, Credits), GrantId = customerId + "-g1", EffectiveAt = Start });
    }

    private static async Task<CreditBalance> BalanceAsync(TestMetering billing, string customerId = "c1") =>
        (await billing.Credits.GetBalancesAsync(customerId)).Single(b => b.Unit == Credits);

    [Fact]
    public async Task AHundredCredits_NoSubscription_TenCallsAccepted_TheEleventhIsInsufficientCredits()
    {
        await using var billing = CreateWithDefault();
        await CustomerWithCreditsAsync(billing, "c1", 100m);
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;
        (await billing.Subscriptions.ListAsync("c1")).Should().BeEmpty();

        var outcomes = new List<UsageOutcome>();
        for (int i = 1; i <= 5; i++)
        {
            outcomes.Add(await billing.Recorder.RecordAsync(Usage("c1", 1m, now, $"k{i}")));
        }

        outcomes.AddRange(await billing.Recorder.RecordBatchAsync([.. Enumerable.Range(6, 5).Select(i => Usage("c1", 1m, now, $"k{i}"))]));

        outcomes.Should().HaveCount(10).And.OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted && o.SubscriptionId == Wallet);
        var eleventh = await billing.Recorder.RecordAsync(Usage("c1", 1m, now, "k11"));
        eleventh.Kind.Should().Be(UsageOutcomeKind.Rejected);
        eleventh.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);

        // 10 calls × 10 credits = 100 burned in real time, never below zero.
        var balance = await BalanceAsync(billing);
        balance.Granted.Should().Be(100m);
        balance.Consumed.Should().Be(100m);
        balance.Remaining.Should().Be(0m);
        var wallet = (await billing.Subscriptions.ListAsync("c1")).Should().ContainSingle().Subject;
        wallet.SubscriptionId.Should().Be(Wallet);
        wallet.PlanKey.Should().Be("api_credits");
        (await AggregateOfAsync(billing, Wallet, wallet.CurrentPeriod.Start)).Quantity.Should().Be(10m);
    }

    [Fact]
    public async Task EightConcurrentFirstCalls_AttachOneWallet_AndEachBurnsTenCredits()
    {
        await using var billing = CreateWithDefault();
        await CustomerWithCreditsAsync(billing, "c1", 100m);
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(async () => await billing.Recorder.RecordAsync(Usage("c1", 1m, now, $"first-{i}")))));

        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted && o.SubscriptionId == Wallet);
        var subscriptions = await billing.Subscriptions.ListAsync("c1");
        subscriptions.Select(s => s.SubscriptionId).Should().Equal(Wallet);
        subscriptions[0].Revision.Should().Be(1);
        // 8 × 10 = 80 burned, 20 left.
        (await BalanceAsync(billing)).Remaining.Should().Be(20m);
        (await AggregateOfAsync(billing, Wallet, subscriptions[0].CurrentPeriod.Start)).Quantity.Should().Be(8m);

        // Attaching it explicitly afterwards returns the same wallet.
        (await billing.Credits.AttachRateCardAsync("c1", "api_credits")).Should().Be(subscriptions[0]);
    }

    [Fact]
    public async Task ACustomerWithABillingSubscription_IsUnaffected_AndAnUnknownCustomerIsStillUnknown()
    {
        await using var billing = CreateWithDefault();
        var sub = await SubscribeAsync(billing, "c2");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c2", Amount = new Money(100m, Credits), GrantId = "c2-g1", EffectiveAt = Start });
        billing.Clock.Advance(Duration.FromHours(1));
        var now = billing.Clock.Now;

        var outcome = await billing.Recorder.RecordAsync(Usage("c2", 3m, now, "b1"));

        outcome.Kind.Should().Be(UsageOutcomeKind.Accepted);
        outcome.SubscriptionId.Should().Be(sub.SubscriptionId);
        (await billing.Subscriptions.ListAsync("c2")).Select(s => s.SubscriptionId).Should().Equal(sub.SubscriptionId);
        (await BalanceAsync(billing, "c2")).Remaining.Should().Be(100m);
        // Billed on the plan: 10.00 + 3 × 2.00.
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(16.00m));

        var unknown = await billing.Recorder.RecordAsync(Usage("ghost", 1m, now, "g1"));
        unknown.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.UnknownCustomer);
    }

    [Fact]
    public async Task Startup_ADefaultThatIsNoPublishedPlan_OrNotARateCard_FailsNamingTheFix()
    {
        Func<Task> unknown = async () =>
        {
            await using var billing = CreateMetering(o =>
            {
                o.AddMeter(Meter.Sum("api_calls")).AddPlan(StandardPlan());
                o.DefaultCreditRateCard = "nope";
            });
            await billing.StartHostedServicesAsync();
        };
        (await unknown.Should().ThrowAsync<MeteringException>())
            .Where(e => e.ErrorCode == MeteringErrorCode.Configuration)
            .WithMessage("*DefaultCreditRateCard*'nope'*AsCreditRateCard*");

        var notARateCard = () => CreateMetering(o =>
        {
            o.AddMeter(Meter.Sum("api_calls")).AddPlan(StandardPlan());
            o.DefaultCreditRateCard = "standard";
        });
        notARateCard.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .WithMessage("*DefaultCreditRateCard*'standard'*not a credit rate card*AsCreditRateCard*");
    }
}
