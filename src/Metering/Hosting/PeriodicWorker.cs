using Metering.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering;

/// <summary>
/// Base of Metering's background workers: runs <see cref="RunOnceAsync"/> at startup and then every interval plus
/// jitter, waiting on the injected <see cref="TimeProvider"/> (so tests advance a fake one instead of sleeping).
/// A run that fails as a whole is logged and retried after the interval; nothing stops the loop but shutdown.
/// On shutdown the worker stops claiming new work at once, lets the work in flight finish, and aborts it only when
/// the host's shutdown timeout expires. New workers (e.g. an event dispatcher) derive from it and register as
/// <see cref="IHostedService"/> in <c>RunInBackground</c>.
/// </summary>
internal abstract class PeriodicWorker(TimeProvider time, ILogger logger) : BackgroundService
{
    private readonly CancellationTokenSource _abort = new();

    /// <summary>The worker's name in logs.</summary>
    protected abstract string Name { get; }

    /// <summary>Whether the host asked for this worker; a disabled worker ends at once.</summary>
    protected abstract bool Enabled { get; }

    /// <summary>The wait between runs, before jitter.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>The jitter fraction (0 to 1) added to <see cref="Interval"/>.</summary>
    protected abstract double Jitter { get; }

    /// <summary>
    /// One run. <paramref name="stopClaiming"/> fires when the host begins to stop: claim no new work after it.
    /// <paramref name="abort"/> fires when the host's shutdown timeout has expired: give up the work in flight.
    /// </summary>
    protected abstract Task RunOnceAsync(CancellationToken stopClaiming, CancellationToken abort);

    /// <summary>
    /// Publishes the outcome of the run that just ended (<paramref name="failure"/> is null when it completed). Called
    /// after the next run's timer is set, so whoever waits for a run and then advances time never races the timer.
    /// </summary>
    protected abstract void Publish(Exception? failure);

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(_abort.Cancel).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        HostingLog.WorkerStarted(logger, Name, Interval, Jitter);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Exception? failure = null;
                try
                {
                    await RunOnceAsync(stoppingToken, _abort.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_abort.IsCancellationRequested || stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception exception)
                {
                    HostingLog.WorkerRunFailed(logger, exception, Name);
                    failure = exception;
                }

                var next = Task.Delay(NextDelay(), time, stoppingToken);
                Publish(failure);
                await next.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            HostingLog.WorkerStopped(logger, Name);
        }
    }

    private TimeSpan NextDelay() => Interval + (Interval * (Jitter * Random.Shared.NextDouble()));
}
