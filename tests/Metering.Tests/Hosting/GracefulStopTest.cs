using Metering.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Tests.Hosting;

/// <summary>
/// Shutdown semantics of a close run (what the background worker passes on host stop): once stop is requested no new
/// subscription is claimed, and the close already in flight finishes and is stored.
/// </summary>
public sealed class GracefulStopTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task StopRequestedDuringAClose_TheCloseInFlightFinishes_AndNoOtherIsClaimed()
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        await using var billing = TestMetering.Create(
            o =>
            {
                o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).Build());
                o.CloseConcurrency = 1;
            },
            Start,
            b =>
            {
                b.UseInMemoryStore();
                FaultInjectingStore.Install(b, s => s.CloseFault = id =>
                {
                    if (id == "sub-0")
                    {
                        entered.Release();
                        release.Wait(TestContext.Current.CancellationToken);
                    }

                    return null;
                });
            });
        for (int i = 0; i < 3; i++)
        {
            await billing.Subscriptions.CreateCustomerAsync($"c{i}", null, "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{i}", PlanKey = "standard", SubscriptionId = $"sub-{i}" });
        }

        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 2, 1, 1, 0));
        var closer = billing.Services.GetRequiredService<PeriodCloser>();

        var run = Task.Run(async () => await closer.CloseDueAsync(stop.Token, CancellationToken.None), TestContext.Current.CancellationToken);
        await entered.WaitAsync(TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        release.Set();
        var stopped = await run;
        var next = await closer.CloseDueAsync(CancellationToken.None, CancellationToken.None);

        stopped.Invoices.Should().ContainSingle().Which.SubscriptionId.Should().Be("sub-0");
        stopped.Failed.Should().BeEmpty();
        next.Invoices.Select(i => i.SubscriptionId).Should().BeEquivalentTo(["sub-1", "sub-2"]);
    }
}
