using System.Collections.Concurrent;
using Metering.Storage;
using Metering.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Tests.Events;

/// <summary>
/// The dispatcher across instances and restarts, on one shared in-memory store (the PostgreSQL project repeats the
/// multi-instance proof on a real database): handlers keep their own checkpoints, a stopped instance's handler is
/// taken over, and a handler added later neither replays to the others nor misses history unless asked to.
/// </summary>
public sealed class EventDispatcherTest
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    private static TestMetering Instance(InMemoryMeteringStore store, Action<MeteringBuilder> handlers, string instanceId) =>
        TestMetering.Create(configureBuilder: b =>
        {
            b.UseStore(_ => store);
            b.ConfigureEventDelivery(o =>
            {
                o.PollInterval = TimeSpan.FromMilliseconds(10);
                o.LeaseDuration = TimeSpan.FromSeconds(1);
                o.InstanceId = instanceId;
            });
            handlers(b);
        });

    private static async Task GrantAsync(TestMetering billing, int from, int to)
    {
        if (await billing.Store.FindCustomerAsync("c1", CancellationToken.None) is null)
        {
            await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        }

        for (var i = from; i < to; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(1m, Currency.USD), GrantId = $"g{i}" });
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            await Task.Delay(10, guard.Token);
        }
    }

    [Fact]
    public async Task TwoInstances_OneHandler_DeliverEachEventByOneInstanceAtATime_AndTheSurvivorTakesOver()
    {
        var store = new InMemoryMeteringStore();
        var delivered = new ConcurrentBag<(string Instance, string EventId)>();
        var inFlight = 0;
        var overlapped = false;
        MeteringBuilder Handler(MeteringBuilder b, string instance) => b.AddEventHandler("mailer", async (d, _, ct) =>
        {
            overlapped |= Interlocked.Increment(ref inFlight) > 1;
            await Task.Yield();
            delivered.Add((instance, d.Event.EventId));
            Interlocked.Decrement(ref inFlight);
        }, o => o.BatchSize = 10);

        var a = Instance(store, b => Handler(b, "a"), "a");
        await using var b = Instance(store, b => Handler(b, "b"), "b");
        await GrantAsync(a, 0, 200);
        await a.StartHostedServicesAsync();
        await b.StartHostedServicesAsync();
        await WaitUntilAsync(() => delivered.Count >= 50);

        await a.DisposeAsync(); // stops a's dispatcher, which releases its lease: b takes over at once
        await GrantAsync(b, 200, 400);
        var ids = (await store.ReadEventsAsync(null, 10_000, CancellationToken.None)).Select(e => e.Event.EventId).ToHashSet();
        await WaitUntilAsync(() => ids.IsSubsetOf(delivered.Select(d => d.EventId)));

        delivered.Select(d => d.EventId).Should().BeSubsetOf(ids);
        overlapped.Should().BeFalse("one instance at a time holds the handler's lease");
        delivered.Select(d => d.Instance).Distinct().Should().Contain("b");
        var duplicates = delivered.GroupBy(d => d.EventId).Count(g => g.Count() > 1);
        duplicates.Should().BeLessThanOrEqualTo(10, "at most the batch in flight when a stopped is delivered twice");
    }

    [Fact]
    public async Task HandlerAddedLater_DoesNotReplayToTheOthers_AndStartsWhereItsOptionSays()
    {
        var store = new InMemoryMeteringStore();
        var received = new ConcurrentQueue<(string Handler, string Subject)>();
        ValueTask Record(BillingEventDelivery d)
        {
            received.Enqueue((d.Handler, d.Event.SubjectId));
            return ValueTask.CompletedTask;
        }

        var first = Instance(store, b => b.AddEventHandler("mailer", (d, _, _) => Record(d)), "first");
        await GrantAsync(first, 0, 3);
        await first.StartHostedServicesAsync();
        await WaitUntilAsync(() => received.Count == 3);
        await first.DisposeAsync();

        await using var second = Instance(store, b => b
            .AddEventHandler("mailer", (d, _, _) => Record(d))
            .AddEventHandler("ledger-export", (d, _, _) => Record(d))
            .AddEventHandler("new-only", (d, _, _) => Record(d), o => o.Start = EventHandlerStart.Latest), "second");
        await second.StartHostedServicesAsync();
        await WaitUntilAsync(() => received.Count(r => r.Handler == "ledger-export") == 3);
        await GrantAsync(second, 3, 4);
        await WaitUntilAsync(() => received.Count(r => r.Subject == "g3") == 3);

        received.Where(r => r.Handler == "mailer").Select(r => r.Subject).Should().Equal("g0", "g1", "g2", "g3");
        received.Where(r => r.Handler == "ledger-export").Select(r => r.Subject).Should().Equal("g0", "g1", "g2", "g3");
        received.Where(r => r.Handler == "new-only").Select(r => r.Subject).Should().Equal("g3");
    }

    [Fact]
    public void AddEventHandler_TwoHandlersWithOneName_IsRefusedNamingTheFix()
    {
        var services = new ServiceCollection();
        var builder = services.AddMetering().AddEventHandler("mailer", (_, _, _) => ValueTask.CompletedTask);

        var again = () => builder.AddEventHandler("mailer", (_, _, _) => ValueTask.CompletedTask);

        again.Should().Throw<MeteringException>().Which.Message.Should().Contain("'mailer' is already registered").And.Contain("EventHandlerOptions.Name");
    }

    [Theory]
    [InlineData(0, 1000, 10, "MaxAttempts must be between 1 and 100, but was 0")]
    [InlineData(3, 0, 10, "BatchSize must be between 1 and 10,000, but was 0")]
    [InlineData(3, 1000, -1, "InitialBackoff")]
    public void AddEventHandler_InvalidOptions_AreRefusedWithTheSettingNamed(int maxAttempts, int batchSize, int backoffMs, string expected)
    {
        var builder = new ServiceCollection().AddMetering();

        var add = () => builder.AddEventHandler("mailer", (_, _, _) => ValueTask.CompletedTask, o =>
        {
            o.MaxAttempts = maxAttempts;
            o.BatchSize = batchSize;
            o.InitialBackoff = TimeSpan.FromMilliseconds(backoffMs);
        });

        add.Should().Throw<MeteringException>().Which.Message.Should().Contain("Event handler 'mailer' is misconfigured").And.Contain(expected);
    }

    [Fact]
    public async Task EventDeliveryOptions_OutOfRange_FailStartWithTheSettingNamed()
    {
        var start = async () =>
        {
            await using var billing = TestMetering.Create(configureBuilder: b => b
                .AddEventHandler("mailer", (_, _, _) => ValueTask.CompletedTask)
                .ConfigureEventDelivery(o => o.PollInterval = TimeSpan.FromMinutes(5)));
            await billing.StartHostedServicesAsync();
        };

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>())
            .Which.Message.Should().Contain("EventDeliveryOptions.PollInterval must be between 10 ms and 1 minute, but was 5 min");
    }

    [Fact]
    public async Task EventCommittedInThisProcess_WakesTheIdleDispatcher_WithoutWaitingForThePoll()
    {
        // Waits run on a fake time provider that never advances: only the store's commit signal can wake the dispatcher.
        var received = new ConcurrentQueue<string>();
        await using var billing = TestMetering.Create(configureBuilder: b =>
        {
            b.Services.AddSingleton<TimeProvider>(new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
            b.ConfigureEventDelivery(o => o.PollInterval = TimeSpan.FromMinutes(1))
             .AddEventHandler("mailer", (d, _, _) =>
             {
                 received.Enqueue(d.Event.SubjectId);
                 return ValueTask.CompletedTask;
             });
        });
        billing.Store.Should().BeAssignableTo<IEventLogSignal>();
        await GrantAsync(billing, 0, 1);
        await billing.StartHostedServicesAsync();
        await WaitUntilAsync(() => received.Count == 1);

        await GrantAsync(billing, 1, 3);

        await WaitUntilAsync(() => received.Count == 3);
        received.Should().Equal("g0", "g1", "g2");
    }
}
