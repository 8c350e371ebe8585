namespace Metering.Tests.Subscriptions;

/// <summary>The seat history of a period is bounded (<see cref="ISubscriptionService.MaxSeatChangesPerPeriod"/>) and starts over when the period closes.</summary>
public sealed class SeatChangeLimitTest
{
    [Fact]
    public async Task MoreSeatChangesThanThePeriodTakes_AreRefused_UntilThePeriodCloses()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var billing = TestMetering.Create(o => o.AddPlan(Plan.Create("team", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m, perSeat: true).Build()));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", ct);
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", Seats = 1 }, ct);
        for (int i = 0; i < ISubscriptionService.MaxSeatChangesPerPeriod; i++)
        {
            await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, i % 2 == 0 ? 2 : 1, ct);
        }

        var tooMany = async () => await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, 3, ct);

        (await tooMany.Should().ThrowAsync<MeteringException>().WithMessage("*changed 1000 times in its current period*"))
            .Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId, ct))!.SeatChanges.Should().HaveCount(1_000);

        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId, ct);
        (await billing.Subscriptions.SetSeatsAsync(sub.SubscriptionId, 3, ct)).SeatChanges.Should().ContainSingle();
    }
}
