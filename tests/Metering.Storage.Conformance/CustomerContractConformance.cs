namespace Metering.Storage.Conformance;

/// <summary>
/// Contract terms for a customer (<c>ISubscriptionService.SetCustomerContractAsync</c>, issue #17): every subscription of
/// the customer without terms of its own carries them (present and future ones, <see cref="Subscription.ContractInherited"/>),
/// a subscription's own terms win, and clearing the customer's terms clears only the inherited ones. Decided in one
/// customer change (the customer and all its subscriptions) on every store. Also: a contract change never reprices
/// credits already burned. Figures are hand-computed.
/// </summary>
public abstract class CustomerContractConformance : StoreTestBase
{
    /// <summary>USD, monthly, no base fee, api_calls at 0.002 a call.</summary>
    private static Plan MeteredPlan() => Plan.Create("metered", Currency.USD, BillingInterval.Months(1))
        .WithCharge("api_calls", PricingModel.PerUnit(0.002m))
        .Build();

    /// <summary>api_calls at 0.0015 and a 50.00 minimum per period, from <see cref="StoreTestBase.Start"/>.</summary>
    private static ContractTerms Acme() => new()
    {
        ContractId = "ct_acme",
        StartsAt = Start,
        ChargeOverrides = [new ChargeOverride("api_calls", PricingModel.PerUnit(0.0015m))],
        MinimumCommitment = Usd(50.00m),
    };

    /// <summary>10% off the usage, from <see cref="StoreTestBase.Start"/>.</summary>
    private static ContractTerms TenOff() => new() { ContractId = "ct_ten", StartsAt = Start, DiscountPercent = 10m };

    private TestMetering CreateMetered() => CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(MeteredPlan()));

    private static async Task<Subscription> SubscribeAsync(TestMetering billing, string subscriptionId, ContractTerms? own = null) =>
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "metered", SubscriptionId = subscriptionId, Contract = own });

    private static async Task<Subscription> StoredAsync(TestMetering billing, string subscriptionId) =>
        (await billing.Store.FindSubscriptionAsync(subscriptionId, CancellationToken.None))!;

    private static UsageRecord Calls(string subscriptionId, decimal quantity, Instant at, string key) =>
        new("c1", "api_calls", quantity, at, key, SubscriptionId: subscriptionId);

    private static List<(InvoiceLineKind Kind, decimal Amount)> Lines(CalculatedInvoice invoice) =>
        [.. invoice.Lines.Select(l => (l.Kind, l.Amount.Amount))];

    [Fact]
    public async Task CustomerTerms_PriceEverySubscriptionWithoutItsOwn_PresentAndFuture_OwnTermsWin()
    {
        await using var billing = CreateMetered();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await SubscribeAsync(billing, "s1");
        await SubscribeAsync(billing, "s3", TenOff());

        var customer = await billing.Subscriptions.SetCustomerContractAsync("c1", Acme());
        var s2 = await SubscribeAsync(billing, "s2");

        customer.Contract.Should().Be(Acme());
        (await billing.Subscriptions.GetCustomerAsync("c1"))!.Contract.Should().Be(Acme());
        foreach (var id in new[] { "s1", "s2" })
        {
            var stored = await StoredAsync(billing, id);
            stored.Contract.Should().Be(Acme());
            stored.ContractInherited.Should().BeTrue();
        }

        s2.Contract.Should().Be(Acme());
        s2.ContractInherited.Should().BeTrue();
        var s3 = await StoredAsync(billing, "s3");
        s3.Contract.Should().Be(TenOff());
        s3.ContractInherited.Should().BeFalse();

        foreach (var id in new[] { "s1", "s2", "s3" })
        {
            (await billing.Recorder.RecordAsync(Calls(id, 20_000m, Start, id + "-k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        await billing.AdvanceToPeriodEndAsync("s1");
        var invoices = (await billing.Invoices.ListAsync("c1", limit: 100)).Items.ToDictionary(i => i.SubscriptionId);

        invoices.Should().HaveCount(3);
        // Customer terms: 20,000 × 0.0015 = 30.00, + 20.00 true-up to the 50.00 minimum.
        foreach (var id in new[] { "s1", "s2" })
        {
            Lines(invoices[id].Content).Should().Equal((InvoiceLineKind.Usage, 30.00m), (InvoiceLineKind.MinimumCommitment, 20.00m));
            invoices[id].Total.Should().Be(Usd(50.00m));
            invoices[id].Content.ContractId.Should().Be("ct_acme");
        }

        // Its own terms: 20,000 × 0.002 = 40.00 at the plan price, 10% off = -4.00.
        Lines(invoices["s3"].Content).Should().Equal((InvoiceLineKind.Usage, 40.00m), (InvoiceLineKind.Discount, -4.00m));
        invoices["s3"].Total.Should().Be(Usd(36.00m));
        invoices["s3"].Content.ContractId.Should().Be("ct_ten");
    }

    [Fact]
    public async Task ClearingCustomerTerms_ClearsOnlyInheritedOnes_AndRemovingOwnTerms_InheritsTheCustomers()
    {
        await using var billing = CreateMetered();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await SubscribeAsync(billing, "s1");
        await SubscribeAsync(billing, "s3", TenOff());
        await billing.Subscriptions.SetCustomerContractAsync("c1", Acme());

        // s3 drops its own terms: it carries the customer's.
        var s3 = await billing.Subscriptions.SetContractAsync("s3", null);
        s3.Contract.Should().Be(Acme());
        s3.ContractInherited.Should().BeTrue();
        // s1 takes terms of its own: they win, and stay when the customer's terms are cleared.
        var s1 = await billing.Subscriptions.SetContractAsync("s1", TenOff());
        s1.ContractInherited.Should().BeFalse();

        var customer = await billing.Subscriptions.SetCustomerContractAsync("c1", null);

        customer.Contract.Should().BeNull();
        (await StoredAsync(billing, "s1")).Contract.Should().Be(TenOff());
        (await StoredAsync(billing, "s1")).ContractInherited.Should().BeFalse();
        (await StoredAsync(billing, "s3")).Contract.Should().BeNull();
        (await StoredAsync(billing, "s3")).ContractInherited.Should().BeFalse();
        (await SubscribeAsync(billing, "s4")).Contract.Should().BeNull();
        (await billing.Subscriptions.GetCustomerAsync("c1"))!.Contract.Should().BeNull();

        // 20,000 calls on s3 now bill at the plan price: 40.00, no contract.
        (await billing.Recorder.RecordAsync(Calls("s3", 20_000m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync("s3")).Invoices.Single(i => i.SubscriptionId == "s3");
        Lines(invoice.Content).Should().Equal((InvoiceLineKind.Usage, 40.00m));
        invoice.Content.ContractId.Should().BeNull();
    }

    [Fact]
    public async Task SubscribesRacingTheCustomerTerms_AllEndUpCarryingThem()
    {
        await using var billing = CreateMetered();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");

        var subscribes = Enumerable.Range(1, 8).Select(i => Task.Run(async () => await SubscribeAsync(billing, $"s{i}"))).ToList();
        var setTerms = Task.Run(async () => await billing.Subscriptions.SetCustomerContractAsync("c1", Acme()));
        await Task.WhenAll([.. subscribes, setTerms]);

        // Whichever came first, the customer change after each subscribe leaves every subscription on the customer's terms.
        var stored = await billing.Subscriptions.ListAsync("c1");
        stored.Should().HaveCount(8).And.OnlyContain(s => s.ContractInherited && Equals(s.Contract, Acme()));
    }

    [Fact]
    public async Task CustomerTermsThatDoNotFitASubscriptionsPlan_AreRefused_NamingIt_AndChangeNothing()
    {
        await using var billing = CreateMetered();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await SubscribeAsync(billing, "s1");
        var misfit = Acme() with { ContractId = "ct_misfit", ChargeOverrides = [new ChargeOverride("storage_gb", PricingModel.PerUnit(1m))] };

        var error = await Invoking(() => billing.Subscriptions.SetCustomerContractAsync("c1", misfit));

        error.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        error.Message.Should().Contain("'s1'").And.Contain("storage_gb").And.Contain("SetContractAsync");
        (await billing.Subscriptions.GetCustomerAsync("c1"))!.Contract.Should().BeNull();
        (await StoredAsync(billing, "s1")).Contract.Should().BeNull();
        (await Invoking(() => billing.Subscriptions.SetCustomerContractAsync("c1", Acme() with { DiscountPercent = 150m }))).ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        (await Invoking(() => billing.Subscriptions.SetCustomerContractAsync("ghost", Acme()))).ErrorCode.Should().Be(MeteringErrorCode.NotFound);

        // With terms of its own, s1 is not concerned: the customer's terms are stored (and would apply to fitting plans).
        await billing.Subscriptions.SetContractAsync("s1", TenOff());
        (await billing.Subscriptions.SetCustomerContractAsync("c1", misfit)).Contract.Should().Be(misfit);
        (await StoredAsync(billing, "s1")).Contract.Should().Be(TenOff());
    }

    [Fact]
    public async Task AContractChange_NeverRepricesCreditsAlreadyBurned_TheLedgerShowsBothPrices()
    {
        await using var billing = CreateMetering(o => o
            .AddMeter(Meter.Sum("api_calls"))
            .AddPlan(Plan.Create("prepaid", Currency.USD, BillingInterval.Months(1))
                .WithCharge("api_calls", PricingModel.PerUnit(0.002m), c => c.BurnsCreditsInRealTime = true)
                .Build()));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "prepaid" });
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(100.00m), GrantId = "g1", EffectiveAt = Start });

        // 10,000 calls at the plan's 0.002 burn 20.00; then the contract (0.0015) prices from the change on: 10,000 more burn 15.00.
        (await billing.Recorder.RecordAsync(Usage("c1", 10_000m, Start, "before"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        await billing.Subscriptions.SetContractAsync(sub.SubscriptionId, new ContractTerms
        {
            ContractId = "ct_new",
            StartsAt = Start,
            ChargeOverrides = [new ChargeOverride("api_calls", PricingModel.PerUnit(0.0015m))],
        });
        (await billing.Recorder.RecordAsync(Usage("c1", 10_000m, Start, "after"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var consumptions = (await AllPagesAsync(cursor => billing.Credits.ListTransactionsAsync("c1", cursor, 50)))
            .SelectMany(p => p.Items)
            .Where(t => t.Type == CreditTransactionType.Consumption)
            .Select(t => (t.UsageIdempotencyKey, t.Amount.Amount))
            .ToList();
        consumptions.Should().Equal(("before", 20.00m), ("after", 15.00m));
        var balance = (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD);
        balance.Consumed.Should().Be(35.00m);
        balance.Remaining.Should().Be(65.00m);

        // The invoice prices the period at the contract (20,000 × 0.0015 = 30.00); credits paid as used are capped at
        // that line, so it is fully paid, and the 5.00 burned at the old price stays burned (not given back).
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        Lines(invoice.Content).Should().Equal((InvoiceLineKind.Usage, 30.00m), (InvoiceLineKind.Credit, -30.00m));
        invoice.Total.Should().Be(Usd(0.00m));
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(65.00m);
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
