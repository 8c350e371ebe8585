using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// The hosted dispatcher of <c>AddEventHandler</c> over every store (issue #14): every event reaches every handler in
/// store order; a failing handler is retried, then parks its event, without holding the others back; a parked event
/// is re-driven with its original id. Waits are bounded by a hang guard, never asserted as speeds.
/// </summary>
public abstract class EventDispatchConformance : StoreTestBase
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    /// <summary>What handlers received, in arrival order, per handler name.</summary>
    protected sealed class Received
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<BillingEventDelivery>> _byHandler = new();

        public void Add(BillingEventDelivery delivery) => _byHandler.GetOrAdd(delivery.Handler, _ => new()).Enqueue(delivery);

        public IReadOnlyList<BillingEventDelivery> Of(string handler) => _byHandler.TryGetValue(handler, out var q) ? [.. q] : [];

        public async Task WaitUntilAsync(Func<Received, bool> condition)
        {
            using var guard = new CancellationTokenSource(HangGuard);
            while (!condition(this))
            {
                await Task.Delay(10, guard.Token);
            }
        }
    }

    private TestMetering CreateWithHandlers(Received received, Func<BillingEventDelivery, bool>? flakyFails = null, int maxAttempts = 3) =>
        CreateMeteringWith(b => b
            .ConfigureEventDelivery(o => o.PollInterval = TimeSpan.FromMilliseconds(20))
            .AddEventHandler("steady", (d, _, _) =>
            {
                received.Add(d);
                return ValueTask.CompletedTask;
            }, o => o.BatchSize = 7)
            .AddEventHandler("flaky", (d, _, _) =>
            {
                received.Add(d);
                return flakyFails?.Invoke(d) == true ? throw new InvalidOperationException($"cannot handle {d.Event.SubjectId}") : ValueTask.CompletedTask;
            }, o =>
            {
                o.MaxAttempts = maxAttempts;
                o.InitialBackoff = TimeSpan.FromMilliseconds(5);
                o.MaxBackoff = TimeSpan.FromMilliseconds(20);
            }));

    /// <summary>Grants g{from} .. g{to - 1} to c1 (created when missing), one CreditsGranted event each.</summary>
    private static async Task GrantAsync(TestMetering billing, int from, int to)
    {
        if (await billing.Store.FindCustomerAsync("c1", CancellationToken.None) is null)
        {
            await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        }

        for (var i = from; i < to; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(1.00m), GrantId = $"g{i}" });
        }
    }

    private static async Task<IReadOnlyList<StoredBillingEvent>> LogAsync(TestMetering billing) =>
        await billing.Store.ReadAllEventsAsync();

    [Fact]
    public async Task Dispatch_EveryEvent_ReachesEveryHandlerOnceInStoreOrder()
    {
        var received = new Received();
        await using var billing = CreateWithHandlers(received);
        await GrantAsync(billing, 0, 20);
        await billing.StartHostedServicesAsync();
        await GrantAsync(billing, 20, 30);

        var log = await LogAsync(billing);
        log.Should().HaveCount(30);
        await received.WaitUntilAsync(r => r.Of("steady").Count >= 30 && r.Of("flaky").Count >= 30);

        foreach (var handler in new[] { "steady", "flaky" })
        {
            var deliveries = received.Of(handler);
            deliveries.Select(d => d.Event.EventId).Should().Equal(log.Select(e => e.Event.EventId), "one instance, no failure: each event exactly once, in store order");
            deliveries.Select(d => d.Sequence).Should().Equal(log.Select(e => e.Sequence));
            deliveries.Should().OnlyContain(d => d.Attempt == 1 && !d.IsRedelivery);
        }

        await WaitForCheckpointsAsync(billing, log[^1].Position, "steady", "flaky");
        (await billing.Events.ListParkedAsync()).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task FailingHandler_IsRetriedThenParks_AndDeliveryGoesOnForItAndTheOthers()
    {
        var received = new Received();
        await using var billing = CreateWithHandlers(received, d => d.Event.SubjectId == "g3", maxAttempts: 3);
        await GrantAsync(billing, 0, 8);
        await billing.StartHostedServicesAsync();

        var log = await LogAsync(billing);
        await WaitForCheckpointsAsync(billing, log[^1].Position, "steady", "flaky");

        received.Of("steady").Select(d => d.Event.SubjectId).Should().Equal("g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7");
        var flaky = received.Of("flaky");
        flaky.Where(d => d.Event.SubjectId == "g3").Select(d => d.Attempt).Should().Equal(1, 2, 3);
        flaky.Select(d => d.Event.SubjectId).Distinct().Should().Equal("g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7");

        var parked = (await billing.Events.ListParkedAsync()).Items.Should().ContainSingle().Subject;
        parked.Handler.Should().Be("flaky");
        parked.Stored.Event.EventId.Should().Be(log[3].Event.EventId);
        parked.Attempts.Should().Be(3);
        parked.LastError.Should().Be("System.InvalidOperationException: cannot handle g3");
        parked.RedeliveryRequested.Should().BeFalse();
        (await billing.Events.ListHandlersAsync()).Single(h => h.Handler == "flaky").ParkedCount.Should().Be(1);
    }

    [Fact]
    public async Task TransientFailure_IsRetriedUntilItSucceeds_AndNothingIsParked()
    {
        var received = new Received();
        var failuresLeft = 2;
        await using var billing = CreateWithHandlers(received, d => d.Event.SubjectId == "g1" && Interlocked.Decrement(ref failuresLeft) >= 0, maxAttempts: 5);
        await GrantAsync(billing, 0, 3);
        await billing.StartHostedServicesAsync();

        var log = await LogAsync(billing);
        await WaitForCheckpointsAsync(billing, log[^1].Position, "flaky");

        received.Of("flaky").Select(d => (d.Event.SubjectId, d.Attempt)).Should().Equal(("g0", 1), ("g1", 1), ("g1", 2), ("g1", 3), ("g2", 1));
        (await billing.Events.ListParkedAsync()).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task ParkedEvent_Redriven_IsDeliveredAgainWithItsOriginalId()
    {
        var received = new Received();
        var broken = 1;
        await using var billing = CreateWithHandlers(received, d => d.Event.SubjectId == "g1" && Volatile.Read(ref broken) == 1, maxAttempts: 2);
        await GrantAsync(billing, 0, 3);
        await billing.StartHostedServicesAsync();
        var log = await LogAsync(billing);
        await WaitForCheckpointsAsync(billing, log[^1].Position, "flaky");
        (await billing.Events.RedeliverAsync("flaky", 999_999)).Should().BeFalse("no such event is parked");

        Volatile.Write(ref broken, 0);
        (await billing.Events.RedeliverAsync("flaky", log[1].Sequence)).Should().BeTrue();
        await received.WaitUntilAsync(r => r.Of("flaky").Any(d => d.IsRedelivery));
        await WaitUntilAsync(async () => (await billing.Events.ListParkedAsync()).Items.Count == 0);

        var redelivery = received.Of("flaky").Single(d => d.IsRedelivery);
        redelivery.Event.EventId.Should().Be(log[1].Event.EventId);
        redelivery.Sequence.Should().Be(log[1].Sequence);
        received.Of("steady").Should().HaveCount(3, "re-driving one handler's event does not redeliver it to the others");
    }

    private static Task WaitForCheckpointsAsync(TestMetering billing, string position, params string[] handlers) =>
        WaitUntilAsync(async () =>
        {
            var states = await billing.Events.ListHandlersAsync();
            return handlers.All(h => states.Any(s => s.Handler == h && s.Position == position));
        });

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!await condition())
        {
            await Task.Delay(10, guard.Token);
        }
    }
}
