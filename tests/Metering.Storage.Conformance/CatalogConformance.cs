namespace Metering.Storage.Conformance;

/// <summary>
/// The runtime catalog (issue #17) through <see cref="ICatalogService"/>: publishing makes a new version only when the
/// definition changed, existing subscriptions stay on their version, archived plans take no new subscriptions or plan
/// changes while subscriptions on them keep closing, and billable items show a customer's plan prices.
/// Standard plan: 10.00 base + 2.00 per call, monthly from 2026-01-01 UTC.
/// </summary>
public abstract class CatalogConformance : StoreTestBase
{
    /// <summary>The standard plan edited: base fee 12.00 and 2.50 per call.</summary>
    private static Plan StandardV2() =>
        Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(12.00m)
            .WithCharge("api_calls", PricingModel.PerUnit(2.50m))
            .Build();

    private static Plan Basic() =>
        Plan.Create("basic", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(5.00m)
            .WithCharge("api_calls", PricingModel.PerUnit(1.00m))
            .Build();

    [Fact]
    public async Task Publishing_makes_a_version_only_on_change_and_existing_subscriptions_stay_on_theirs()
    {
        await using var billing = CreateStandard();
        var old = await SubscribeAsync(billing, "c1");

        var same = await billing.Catalog.PublishPlanAsync(StandardPlan());
        var changed = await billing.Catalog.PublishPlanAsync(StandardV2());
        var changedAgain = await billing.Catalog.PublishPlanAsync(StandardV2());
        var fresh = await SubscribeAsync(billing, "c2");

        same.Version.Should().Be(1);
        changed.Version.Should().Be(2);
        changedAgain.Version.Should().Be(2);
        (await billing.Catalog.ListPlanVersionsAsync("standard")).Select(p => (p.Version, p.BaseFee)).Should().Equal((1, 10.00m), (2, 12.00m));
        (await billing.Catalog.GetPlanAsync("standard"))!.Version.Should().Be(2);
        (await billing.Catalog.GetPlanAsync("standard", 1))!.BaseFee.Should().Be(10.00m);
        (await billing.Catalog.GetPlanAsync("standard", 3)).Should().BeNull();
        (await billing.Catalog.GetPlanAsync("nope")).Should().BeNull();
        old.PlanVersion.Should().Be(1);
        fresh.PlanVersion.Should().Be(2);

        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c2", 3m, Start, "k2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var report = await billing.AdvanceToPeriodEndAsync(old.SubscriptionId);

        // c1 on v1: 10.00 + 3 × 2.00 = 16.00; c2 on v2: 12.00 + 3 × 2.50 = 19.50.
        report.Invoices.Single(i => i.CustomerId == "c1").Total.Should().Be(Usd(16.00m));
        report.Invoices.Single(i => i.CustomerId == "c2").Total.Should().Be(Usd(19.50m));
        (await billing.Subscriptions.GetAsync(old.SubscriptionId))!.PlanVersion.Should().Be(1);

        var plans = await billing.Catalog.ListPlansAsync();
        plans.Select(p => (p.Plan.Key, p.Plan.Version, p.Archived)).Should().Equal(("standard", 2, false));
        (await billing.Catalog.ListMetersAsync()).Select(m => m.Key).Should().Equal("api_calls");
    }

    [Fact]
    public async Task An_archived_plan_refuses_new_subscriptions_and_plan_changes_while_existing_ones_keep_closing()
    {
        await using var billing = CreateStandard();
        await billing.Catalog.PublishPlanAsync(Basic());
        var existing = await SubscribeAsync(billing, "c1");
        var onBasic = await SubscribeAsync(billing, "c2", "basic");

        await billing.Catalog.ArchivePlanAsync("standard");
        await billing.Catalog.ArchivePlanAsync("standard");

        (await billing.Catalog.ListPlansAsync()).Select(p => (p.Plan.Key, p.Archived)).Should().Equal(("basic", false), ("standard", true));
        await billing.Subscriptions.CreateCustomerAsync("c3", "c3", "UTC");
        var refused = (await FluentActions.Awaiting(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c3", PlanKey = "standard" }).AsTask())
            .Should().ThrowAsync<PlanArchivedException>()).Which;
        refused.ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
        refused.PlanKey.Should().Be("standard");
        refused.Message.Should().Contain("'standard' is archived").And.Contain("UnarchivePlanAsync").And.Contain("choose another plan");
        (await FluentActions.Awaiting(() => billing.Subscriptions.ChangePlanAsync(onBasic.SubscriptionId, "standard").AsTask())
            .Should().ThrowAsync<PlanArchivedException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
        (await billing.Subscriptions.ListAsync("c3")).Should().BeEmpty();
        (await billing.Subscriptions.GetAsync(onBasic.SubscriptionId))!.PlanKey.Should().Be("basic");

        // The existing subscription still records usage and closes its period: 10.00 + 4 × 2.00 = 18.00.
        (await billing.Recorder.RecordAsync(Usage("c1", 4m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var report = await billing.AdvanceToPeriodEndAsync(existing.SubscriptionId);
        report.Invoices.Single(i => i.CustomerId == "c1").Total.Should().Be(Usd(18.00m));
        var renewed = (await billing.Subscriptions.GetAsync(existing.SubscriptionId))!;
        renewed.CurrentPeriod.Start.Should().Be(February);
        renewed.EndedAt.Should().BeNull();

        await billing.Catalog.UnarchivePlanAsync("standard");
        var resumed = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c3", PlanKey = "standard" });
        resumed.PlanKey.Should().Be("standard");
        (await billing.Catalog.ListPlansAsync()).Select(p => p.Archived).Should().Equal(false, false);
    }

    [Fact]
    public async Task Unknown_plans_and_customers_are_NotFound()
    {
        await using var billing = CreateStandard();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");

        (await FluentActions.Awaiting(() => billing.Catalog.ArchivePlanAsync("nope").AsTask()).Should().ThrowAsync<MeteringException>())
            .Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await FluentActions.Awaiting(() => billing.Catalog.UnarchivePlanAsync("nope").AsTask()).Should().ThrowAsync<MeteringException>())
            .Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await FluentActions.Awaiting(() => billing.Catalog.ListPlanVersionsAsync("nope").AsTask()).Should().ThrowAsync<MeteringException>())
            .Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await FluentActions.Awaiting(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "nope" }).AsTask()).Should().ThrowAsync<MeteringException>())
            .Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await FluentActions.Awaiting(() => billing.Catalog.GetBillableItemsAsync("ghost").AsTask()).Should().ThrowAsync<MeteringException>())
            .Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        (await billing.Store.IsPlanArchivedAsync("nope", CancellationToken.None)).Should().BeFalse();
        (await billing.Catalog.ListPlansAsync()).Select(p => p.Plan.Key).Should().Equal("standard");
    }

    [Fact]
    public async Task Billable_items_show_the_prices_of_the_plan_version_of_each_active_subscription()
    {
        await using var billing = CreateMetering(o => o
            .AddMeter(Meter.Sum("api_calls"))
            .AddMeter(Meter.Sum("storage_gb"))
            .AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1))
                .WithBaseFee(29.00m, perSeat: true)
                .WithCharge("api_calls", PricingModel.PerUnit(0.002m, includedUnits: 1000m), c => c.DisplayName = "API calls")
                .WithCharge("storage_gb", PricingModel.Package(100m, 5.00m))
                .Build()));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "pro", Seats = 3, SubscriptionId = "sub_pro" });
        await billing.Subscriptions.CreateCustomerAsync("c2", "c2", "UTC");
        var ended = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c2", PlanKey = "pro" });
        await billing.Subscriptions.CancelNowAsync(ended.SubscriptionId);

        var item = (await billing.Catalog.GetBillableItemsAsync("c1")).Should().ContainSingle().Subject;

        item.SubscriptionId.Should().Be("sub_pro");
        item.PlanKey.Should().Be("pro");
        item.PlanVersion.Should().Be(1);
        item.Currency.Should().Be(Currency.USD);
        item.Interval.Should().Be(BillingInterval.Months(1));
        item.BaseFee.Should().Be(29.00m);
        item.BaseFeePerSeat.Should().BeTrue();
        item.Seats.Should().Be(3);
        item.Charges.Select(c => (c.ChargeKey, c.Label, c.MeterKey, c.IncludedUnits)).Should().Equal(
            ("api_calls", "API calls", "api_calls", 1000m),
            ("storage_gb", "storage_gb", "storage_gb", 0m));
        item.Charges[0].Pricing.Should().BeOfType<PerUnitPricing>().Which.UnitPrice.Should().Be(0.002m);
        var package = item.Charges[1].Pricing.Should().BeOfType<PackagePricing>().Subject;
        package.PackageSize.Should().Be(100m);
        package.PackagePrice.Should().Be(5.00m);
        sub.PlanVersion.Should().Be(1);
        (await billing.Catalog.GetBillableItemsAsync("c2")).Should().BeEmpty("a cancelled subscription is no longer billed");
    }
}
