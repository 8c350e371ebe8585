namespace Metering.Tests.Usage;

/// <summary><see cref="CurrentUsage"/> looks a meter up by key: found (zero when unused) or a message naming the plan's meters.</summary>
public sealed class CurrentUsageTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TestMetering Billing, CurrentUsage Current)> ShippingAsync()
    {
        var billing = TestMetering.Create(o => o
            .AddMeter(Meter.Sum("packages"))
            .AddMeter(Meter.Sum("returns"))
            .AddPlan(Plan.Create("shipping", Currency.USD, BillingInterval.Months(1))
                .WithCharge("packages", PricingModel.PerUnit(2m))
                .WithCharge("returns", PricingModel.PerUnit(5m))
                .Build()));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", Ct);
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "shipping", SubscriptionId = "s1" }, Ct);
        await billing.Recorder.RecordBatchAsync(
            [
                new UsageRecord("c1", "packages", 3m, billing.Clock.Now, "p1"),
                new UsageRecord("c1", "packages", 4m, billing.Clock.Now, "p2"),
            ],
            Ct);
        return (billing, await billing.Usage.GetCurrentAsync("s1", Ct));
    }

    [Fact]
    public async Task TryGetMeter_FindsEachPricedMeter_UnusedOnesAtZero()
    {
        var (billing, current) = await ShippingAsync();
        await using var owned = billing;

        current.TryGetMeter("packages", out var packages).Should().BeTrue();
        packages!.Quantity.Should().Be(7m);
        packages.RecordCount.Should().Be(2);
        packages.MeterKey.Should().Be("packages");

        current.TryGetMeter("returns", out var returns).Should().BeTrue();
        returns!.Quantity.Should().Be(0m);
    }

    [Fact]
    public async Task TryGetMeter_UnpricedOrDifferentlyCasedKey_IsNotFound()
    {
        var (billing, current) = await ShippingAsync();
        await using var owned = billing;

        current.TryGetMeter("Packages", out var cased).Should().BeFalse("meter keys are case-sensitive");
        cased.Should().BeNull();
        current.TryGetMeter("api_calls", out _).Should().BeFalse();
    }

    [Fact]
    public async Task Indexer_ReturnsTheMeter_OrNamesThePlansMeters()
    {
        var (billing, current) = await ShippingAsync();
        await using var owned = billing;

        current["packages"].Quantity.Should().Be(7m);
        var unknown = () => current["api_calls"];
        unknown.Should().Throw<KeyNotFoundException>()
            .WithMessage("Meter 'api_calls' is not priced by the plan of subscription 's1'; its meters are: packages, returns.");
    }
}
