using System.Collections.Concurrent;
using System.Diagnostics;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Benchmarks.Load;

/// <summary>
/// The event phase of a load run: a no-op handler registered with <c>AddEventHandler</c> drains the events the month
/// left in the log (activations, invoices, renewals) — dispatcher throughput — then, with the dispatcher running,
/// credit grants are made one at a time and the time from each grant's return (committed) to its event reaching the
/// handler is the delivery lag, at the default poll interval.
/// </summary>
public sealed class EventDeliveryPhase
{
    private const string HandlerName = "load-noop";
    private readonly ConcurrentDictionary<string, long> _received = new(StringComparer.Ordinal);
    private long _count;

    /// <summary>Registers the no-op handler (the dispatcher starts with the hosted services, in <see cref="RunAsync"/>).</summary>
    public void Register(MeteringBuilder builder) =>
        builder.AddEventHandler(HandlerName, (delivery, _, _) =>
        {
            if (delivery.Event.Type == BillingEventType.CreditsGranted)
            {
                _received.TryAdd(delivery.Event.SubjectId, Stopwatch.GetTimestamp());
            }

            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }, o => o.BatchSize = 1_000);

    /// <summary>Drains the log, then measures lag over <paramref name="grants"/> grants to one customer.</summary>
    public async Task<EventDeliveryResult> RunAsync(TestMetering metering, string customerId, int grants, CancellationToken cancellationToken)
    {
        long backlog = 0;
        string? position = null;
        while (true)
        {
            var page = await metering.Store.ReadEventsAsync(position, 10_000, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            backlog += page.Count;
            position = page[^1].Position;
        }

        long started = Stopwatch.GetTimestamp();
        await metering.StartHostedServicesAsync(cancellationToken).ConfigureAwait(false);
        await WaitAsync(() => Interlocked.Read(ref _count) >= backlog, () => $"the handler received {Interlocked.Read(ref _count):N0} of the {backlog:N0} events in the log", cancellationToken).ConfigureAwait(false);
        var drain = Stopwatch.GetElapsedTime(started);

        var committed = new long[grants];
        for (var i = 0; i < grants; i++)
        {
            await metering.Credits.GrantAsync(
                new CreditGrantRequest { CustomerId = customerId, Amount = new Money(1m, Currency.USD), GrantId = $"lag-{i}" },
                cancellationToken).ConfigureAwait(false);
            committed[i] = Stopwatch.GetTimestamp();
        }

        await WaitAsync(() => _received.Count >= grants, () => $"the handler received {_received.Count:N0} of the {grants:N0} grants' events", cancellationToken).ConfigureAwait(false);
        var lags = new long[grants];
        for (var i = 0; i < grants; i++)
        {
            lags[i] = Math.Max(0, _received[$"lag-{i}"] - committed[i]);
        }

        return new EventDeliveryResult(backlog, drain, LatencySummary.FromTicks(lags));
    }

    private static async Task WaitAsync(Func<bool> done, Func<string> progress, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        while (!done())
        {
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"Event delivery stalled: after 2 minutes {progress()}.");
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Dispatcher figures: the backlog drained and its time, and the commit-to-handler lag of single events.</summary>
/// <param name="Backlog">Events in the log when the dispatcher started.</param>
/// <param name="DrainElapsed">Time for the no-op handler to receive all of them.</param>
/// <param name="Lag">Commit-to-handler lag of events made one at a time with the dispatcher running.</param>
public sealed record EventDeliveryResult(long Backlog, TimeSpan DrainElapsed, LatencySummary Lag)
{
    /// <summary>Backlog events delivered per second.</summary>
    public double EventsPerSecond => Backlog / DrainElapsed.TotalSeconds;
}
