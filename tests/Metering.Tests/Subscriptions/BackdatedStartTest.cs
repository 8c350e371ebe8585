namespace Metering.Tests.Subscriptions;

/// <summary>A start further back than <see cref="MeteringOptions.MaxBackdatedStart"/> is refused with the limit in words.</summary>
public sealed class BackdatedStartTest
{
    [Fact]
    public async Task StartBeyondTheLimit_NamesTheLimitAsPeopleWriteIt()
    {
        // 12 hours used to print as "0 days".
        await using var billing = TestMetering.Create(o =>
        {
            o.MaxBackdatedStart = Duration.FromHours(12);
            o.AddMeter(Meter.Sum("calls")).AddPlan(Plan.Create("basic", Currency.USD, BillingInterval.Months(1))
                .WithCharge("calls", PricingModel.PerUnit(1m))
                .Build());
        });
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", TestContext.Current.CancellationToken);

        var subscribe = async () => await billing.Subscriptions.SubscribeAsync(
            new SubscribeRequest { CustomerId = "c1", PlanKey = "basic", StartAt = billing.Clock.Now - Duration.FromDays(1) },
            TestContext.Current.CancellationToken);

        await subscribe.Should().ThrowAsync<MeteringException>().WithMessage("The start * is more than 12 hours before now (*); *MaxBackdatedStart*");
    }
}
