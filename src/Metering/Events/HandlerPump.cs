using System.Diagnostics;
using Metering.Diagnostics;
using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering;

/// <summary>
/// Delivers the event log to one handler: holds its lease, reads after its checkpoint in batches, calls the handler
/// for each event (retrying with capped exponential backoff, then parking), and moves the checkpoint only after the
/// handler returned. Every checkpoint write is fenced by the lease, so an instance that lost it changes nothing.
/// </summary>
internal sealed class HandlerPump(
    EventHandlerRegistration registration,
    IMeteringStore store,
    IServiceScopeFactory scopes,
    IClock clock,
    TimeProvider time,
    EventDeliveryOptions delivery,
    string owner,
    MeteringTelemetry telemetry,
    ILogger logger)
{
    private const int MaxErrorLength = 2_000;
    private readonly EventHandlerOptions _options = registration.Options;
    private readonly Duration _leaseDuration = Duration.FromTimeSpan(delivery.LeaseDuration);
    private string? _position;
    private Instant? _renewAt;

    private string Name => registration.Name;

    public async Task RunAsync(CancellationToken stopping)
    {
        EventDeliveryLog.HandlerStarted(logger, Name, owner);
        var standingBy = false;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                TimeSpan wait;
                Task? committed = null;
                try
                {
                    if (!await HoldLeaseAsync(stopping).ConfigureAwait(false))
                    {
                        if (!standingBy)
                        {
                            EventDeliveryLog.LeaseHeldElsewhere(logger, Name);
                            standingBy = true;
                        }

                        wait = delivery.PollInterval * 4;
                    }
                    else
                    {
                        standingBy = false;

                        // Taken before reading, so events committed in this process after the read wake the wait below.
                        committed = (store as IEventLogSignal)?.NextEventsCommitted;
                        wait = await PumpOnceAsync(stopping).ConfigureAwait(false) ? TimeSpan.Zero : delivery.PollInterval;
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                catch (LeaseLostException)
                {
                    _renewAt = null;
                    wait = delivery.PollInterval;
                }
                catch (Exception exception)
                {
                    wait = delivery.PollInterval * 4;
                    EventDeliveryLog.PumpFailed(logger, exception, Name, wait);
                    _renewAt = null;
                }

                if (wait > TimeSpan.Zero)
                {
                    await WaitAsync(wait, committed, stopping).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (_renewAt is not null)
            {
                // Hand the lease over at once rather than after it expires; best effort, the host is stopping.
                using var release = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await store.ReleaseEventLeaseAsync(Name, owner, release.Token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    EventDeliveryLog.PumpFailed(logger, exception, Name, TimeSpan.Zero);
                }
            }
        }
    }

    /// <summary>Waits <paramref name="wait"/>, or less when <paramref name="committed"/> (events committed in this process) completes first.</summary>
    private async Task WaitAsync(TimeSpan wait, Task? committed, CancellationToken stopping)
    {
        if (committed is null)
        {
            await Task.Delay(wait, time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var delay = Task.Delay(wait, time, timer.Token);
        await Task.WhenAny(committed, delay).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        await delay.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Takes the lease, or renews it once a third of it has passed; false when another instance holds it.</summary>
    private async ValueTask<bool> HoldLeaseAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        if (_renewAt is { } renewAt && now < renewAt)
        {
            return true;
        }

        var checkpoint = await store.TryAcquireEventLeaseAsync(Name, owner, now, _leaseDuration, _options.Start, cancellationToken).ConfigureAwait(false);
        if (checkpoint is null)
        {
            _renewAt = null;
            return false;
        }

        if (_renewAt is null)
        {
            // Newly taken (or retaken): resume from the stored checkpoint, not from what this instance last saw.
            _position = checkpoint.Position;
        }

        _renewAt = now + (_leaseDuration / 3);
        return true;
    }

    /// <summary>Redeliveries first, then one batch after the checkpoint; true when a full batch was read (more may wait).</summary>
    private async ValueTask<bool> PumpOnceAsync(CancellationToken stopping)
    {
        foreach (var parked in await store.ReadRedeliveriesAsync(Name, _options.BatchSize, stopping).ConfigureAwait(false))
        {
            var result = await DeliverAsync(parked.Stored, isRedelivery: true, stopping).ConfigureAwait(false);
            var kept = result.Failure is null
                ? await store.CompleteRedeliveryAsync(Name, owner, parked.Stored.Sequence, stopping).ConfigureAwait(false)
                : await store.ParkEventAsync(Name, owner, parked.Stored, parked.Attempts + result.Attempts, Describe(result.Failure), clock.GetCurrentInstant(), stopping).ConfigureAwait(false);
            if (!kept)
            {
                return LeaseLost();
            }

            if (result.Failure is null)
            {
                EventDeliveryLog.Redelivered(logger, Name, parked.Stored.Event.EventId);
            }
        }

        var batch = await store.ReadEventsAsync(_position, _options.BatchSize, stopping).ConfigureAwait(false);
        string? handled = null;
        foreach (var stored in batch)
        {
            var result = await DeliverAsync(stored, isRedelivery: false, stopping).ConfigureAwait(false);
            if (result.Failure is null)
            {
                handled = stored.Position;
                continue;
            }

            // Parking moves the checkpoint past this event and so past the ones handled before it in this batch.
            if (!await store.ParkEventAsync(Name, owner, stored, result.Attempts, Describe(result.Failure), clock.GetCurrentInstant(), stopping).ConfigureAwait(false))
            {
                return LeaseLost();
            }

            EventDeliveryLog.Parked(logger, result.Failure, Name, stored.Event.EventId, stored.Event.Type, result.Attempts);
            telemetry.EventsParked.Add(1, Tags(stored.Event.Type));
            handled = null;
            _position = stored.Position;
        }

        if (handled is not null)
        {
            if (!await store.AdvanceEventCheckpointAsync(Name, owner, handled, stopping).ConfigureAwait(false))
            {
                return LeaseLost();
            }

            _position = handled;
        }

        return batch.Count == _options.BatchSize;
    }

    private bool LeaseLost()
    {
        _renewAt = null;
        return false;
    }

    /// <summary>Attempts one event up to MaxAttempts times; the failure of the last attempt, or null once the handler returned.</summary>
    private async ValueTask<(int Attempts, Exception? Failure)> DeliverAsync(StoredBillingEvent stored, bool isRedelivery, CancellationToken stopping)
    {
        Exception? failure = null;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_options.Timeout);
            try
            {
                var scope = scopes.CreateAsyncScope();
                await using (scope.ConfigureAwait(false))
                {
                    var delivery = new BillingEventDelivery(Name, stored.Sequence, stored.Event, attempt, isRedelivery);
                    await registration.Invoke(scope.ServiceProvider, delivery, timeout.Token).ConfigureAwait(false);
                }

                telemetry.EventsDelivered.Add(1, Tags(stored.Event.Type));
                return (attempt, null);
            }
            catch (Exception exception) when (!stopping.IsCancellationRequested && exception is not OutOfMemoryException)
            {
                failure = exception is OperationCanceledException && timeout.IsCancellationRequested
                    ? new TimeoutException($"The handler did not return within {DurationText.Format(_options.Timeout)} (EventHandlerOptions.Timeout).", exception)
                    : exception;
                telemetry.EventAttemptsFailed.Add(1, Tags(stored.Event.Type));
                if (attempt < _options.MaxAttempts)
                {
                    var backoff = Backoff(attempt);
                    EventDeliveryLog.AttemptFailed(logger, failure, Name, stored.Event.EventId, stored.Event.Type, attempt, _options.MaxAttempts, backoff);
                    await Task.Delay(backoff, time, stopping).ConfigureAwait(false);
                    if (!await HoldLeaseAsync(stopping).ConfigureAwait(false))
                    {
                        // Another instance took the handler over while this one waited: it delivers the event now.
                        throw new LeaseLostException();
                    }
                }
            }
        }

        return (_options.MaxAttempts, failure);
    }

    /// <summary>InitialBackoff × 2^(attempt − 1), capped at MaxBackoff, plus up to 10% jitter so instances do not retry in step.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var exponential = _options.InitialBackoff * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = exponential > _options.MaxBackoff ? _options.MaxBackoff : exponential;
        return capped + (capped * (0.1 * Random.Shared.NextDouble()));
    }

    private TagList Tags(BillingEventType type) => new()
    {
        { "metering.handler", Name },
        { "metering.event_type", type.ToString() },
    };

    private static string Describe(Exception failure)
    {
        var text = $"{failure.GetType().FullName}: {failure.Message}";
        if (!TextRules.IsValid(text))
        {
            text = $"{failure.GetType().FullName}: (the message is not valid text)";
        }

        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }

    /// <summary>Another instance took the handler's lease over while this one waited to retry: it delivers the event now.</summary>
    private sealed class LeaseLostException : Exception;
}
