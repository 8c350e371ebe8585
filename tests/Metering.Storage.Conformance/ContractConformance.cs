namespace Metering.Storage.Conformance;

/// <summary>
/// Contract terms on a subscription (<see cref="ContractTerms"/>, issue #17): kept in the store's subscription document,
/// and pricing close and preview alike: contract price per charge, minimum commitment true-up, discount, fixed fees
/// with their own cadence, and terms that end stop applying. Figures are hand-computed.
/// </summary>
public abstract class ContractConformance : StoreTestBase
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

    private TestMetering CreateMetered() => CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(MeteredPlan()));

    private static async Task<Subscription> SubscribeAsync(TestMetering billing, ContractTerms? contract)
    {
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        return await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "metered", Contract = contract });
    }

    private static async Task<List<Invoice>> InvoicesAsync(TestMetering billing) =>
        [.. (await billing.Invoices.ListAsync("c1", limit: 100)).Items.OrderBy(i => i.Period.Start)];

    private static List<(InvoiceLineKind Kind, decimal Amount)> Lines(CalculatedInvoice invoice) =>
        [.. invoice.Lines.Select(l => (l.Kind, l.Amount.Amount))];

    [Fact]
    public async Task ContractPrice_AndMinimum_TrueUpBelow_NoneAbove_PreviewEqualsTheClosedInvoice()
    {
        await using var billing = CreateMetered();
        var sub = await SubscribeAsync(billing, Acme());
        (await billing.Store.FindSubscriptionAsync(sub.SubscriptionId, CancellationToken.None))!.Contract.Should().Be(Acme());

        (await billing.Recorder.RecordAsync(Usage("c1", 20_000m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        billing.Clock.AdvanceTo(February - Duration.FromMinutes(1));
        var preview = await billing.Invoices.PreviewAsync(sub.SubscriptionId);
        preview.Period.Start.Should().Be(Start, "a minute before its end the preview is of January");
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        await billing.Recorder.RecordAsync(Usage("c1", 40_000m, billing.Clock.GetCurrentInstant(), "k2"));
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var invoices = await InvoicesAsync(billing);
        // 20,000 × 0.0015 = 30.00, + 20.00 true-up to the 50.00 minimum; 40,000 × 0.0015 = 60.00, no true-up.
        Lines(invoices[0].Content).Should().Equal((InvoiceLineKind.Usage, 30.00m), (InvoiceLineKind.MinimumCommitment, 20.00m));
        invoices[0].Total.Should().Be(Usd(50.00m));
        invoices[0].Content.ContractId.Should().Be("ct_acme");
        invoices[0].Content.Lines.Should().Equal(preview.Lines);
        invoices[0].Content.Total.Should().Be(preview.Total);
        preview.ContractId.Should().Be("ct_acme");
        Lines(invoices[1].Content).Should().Equal((InvoiceLineKind.Usage, 60.00m));
        invoices[1].Total.Should().Be(Usd(60.00m));
    }

    [Fact]
    public async Task AmountAlerts_PriceTheRunningAmountAtTheContractPrice()
    {
        await using var billing = CreateMetered();
        var sub = await SubscribeAsync(billing, Acme());
        await billing.Subscriptions.SetUsageAlertsAsync(sub.SubscriptionId, [new SubscriptionUsageAlert("api_calls", UsageAlertKind.Amount, 20.00m)]);

        // 10,000 calls: 15.00 at the contract's 0.0015 (20.00 at the plan's 0.002 would have crossed); 4,000 more: 21.00.
        (await billing.Recorder.RecordAsync(Usage("c1", 10_000m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var afterFirst = await ThresholdAmountsAsync(billing);
        (await billing.Recorder.RecordAsync(Usage("c1", 4_000m, Start, "k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        afterFirst.Should().BeEmpty();
        (await ThresholdAmountsAsync(billing)).Should().Equal(21.00m);
    }

    private static async Task<List<decimal>> ThresholdAmountsAsync(TestMetering billing) =>
        [.. (await billing.Store.ReadAllEventsAsync())
            .Select(e => e.Event)
            .Where(e => e.Type == BillingEventType.UsageThresholdReached)
            .Select(e => ((UsageThresholdEventPayload)e.Payload).Value)];

    [Fact]
    public async Task Discount_TenPercentOffUsage()
    {
        await using var billing = CreateMetered();
        var sub = await SubscribeAsync(billing, new ContractTerms { ContractId = "ct_ten", StartsAt = Start, DiscountPercent = 10m });

        await billing.Recorder.RecordAsync(Usage("c1", 20_000m, Start, "k1"));
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        // 20,000 × 0.002 = 40.00 at the plan price; 10% off = -4.00.
        var invoice = (await InvoicesAsync(billing)).Single();
        Lines(invoice.Content).Should().Equal((InvoiceLineKind.Usage, 40.00m), (InvoiceLineKind.Discount, -4.00m));
        invoice.Total.Should().Be(Usd(36.00m));
    }

    [Fact]
    public async Task AnnualFeeInAdvance_OnAMonthlyPlan_BilledOnceInTwelveCloses()
    {
        await using var billing = CreateMetered();
        var sub = await SubscribeAsync(billing, new ContractTerms
        {
            ContractId = "ct_platform",
            StartsAt = Start,
            Fees = [new ContractFee("Platform fee", Usd(1_200.00m), BillingInterval.Years(1), FeeTiming.InAdvance)],
        });

        for (int i = 0; i < 13; i++)
        {
            await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        }

        // January 2026 and January 2027 bill the yearly cycle that starts in them; the 11 months between bill nothing.
        var totals = (await InvoicesAsync(billing)).Select(i => i.Total.Amount).ToList();
        totals.Should().Equal([1_200.00m, .. Enumerable.Repeat(0m, 11), 1_200.00m]);
    }

    [Fact]
    public async Task TermsEndingMidPeriod_StopApplying_PlanPriceAfterwards()
    {
        await using var billing = CreateMetered();
        var sub = await SubscribeAsync(billing, Acme() with { EndsAt = Instant.FromUtc(2026, 2, 15, 0, 0) });

        await billing.Recorder.RecordAsync(Usage("c1", 20_000m, Start, "k1"));
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        await billing.Recorder.RecordAsync(Usage("c1", 20_000m, February, "k2"));
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var invoices = await InvoicesAsync(billing);
        invoices[0].Total.Should().Be(Usd(50.00m), "January: 30.00 at the contract price + 20.00 true-up");
        // February: the terms ended on Feb 15, before the period end: 20,000 × 0.002 = 40.00, no minimum.
        Lines(invoices[1].Content).Should().Equal((InvoiceLineKind.Usage, 40.00m));
        invoices[1].Content.ContractId.Should().BeNull();
    }

    [Fact]
    public async Task SetContract_AttachesAndRemoves_UnknownChargeRefused()
    {
        await using var billing = CreateMetered();
        var sub = await SubscribeAsync(billing, null);
        await billing.Recorder.RecordAsync(Usage("c1", 20_000m, Start, "k1"));
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(40.00m));

        var updated = await billing.Subscriptions.SetContractAsync(sub.SubscriptionId, Acme());
        updated.Contract.Should().Be(Acme());
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.Contract.Should().Be(Acme());
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(50.00m));

        var unknown = async () => await billing.Subscriptions.SetContractAsync(sub.SubscriptionId, Acme() with { ChargeOverrides = [new ChargeOverride("storage_gb", PricingModel.PerUnit(1m))] });
        (await unknown.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);

        await billing.Subscriptions.SetContractAsync(sub.SubscriptionId, null);
        (await billing.Store.FindSubscriptionAsync(sub.SubscriptionId, CancellationToken.None))!.Contract.Should().BeNull();
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(40.00m));
    }
}
