using Metering.Storage.InMemory;

namespace Metering.Tests.Catalog;

/// <summary>
/// Two instances on one store (as two hosts on one database): what one publishes or archives at run time, the other
/// sees at its next subscribe, although it has cached the plan's earlier version.
/// </summary>
public sealed class CatalogInstancesTest
{
    private static Plan Standard(decimal baseFee) =>
        Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(baseFee)
            .WithCharge("api_calls", PricingModel.PerUnit(2.00m))
            .Build();

    [Fact]
    public async Task A_version_published_or_an_archive_made_by_one_instance_applies_at_the_others_next_subscribe()
    {
        var store = new InMemoryMeteringStore();
        void Declare(MeteringOptions o) => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Standard(10.00m));
        await using var first = TestMetering.Create(Declare, configureBuilder: b => b.UseStore(_ => store));
        await using var second = TestMetering.Create(Declare, configureBuilder: b => b.UseStore(_ => store));
        await second.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await second.Subscriptions.CreateCustomerAsync("c2", "c2", "UTC");
        (await second.Catalog.GetPlanAsync("standard", 1))!.BaseFee.Should().Be(10.00m);

        (await first.Catalog.PublishPlanAsync(Standard(15.00m))).Version.Should().Be(2);
        var onLatest = await second.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        await first.Catalog.ArchivePlanAsync("standard");
        var refused = async () => await second.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c2", PlanKey = "standard" });

        onLatest.PlanVersion.Should().Be(2);
        (await refused.Should().ThrowAsync<PlanArchivedException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
        (await second.Catalog.GetBillableItemsAsync("c1")).Single().BaseFee.Should().Be(15.00m);
    }
}
