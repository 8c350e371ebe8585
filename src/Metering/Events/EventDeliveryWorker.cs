using Metering.Diagnostics;
using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>
/// The hosted dispatcher added by <c>AddEventHandler</c>: one independent delivery loop per registered handler
/// (<see cref="HandlerPump"/>), so a slow or failing handler never delays the others. Starts once the catalog is
/// initialized; on shutdown each loop stops, in-flight attempts are cancelled (and redelivered later), and leases are
/// released so another instance takes over at once.
/// </summary>
internal sealed class EventDeliveryWorker(
    IEnumerable<EventHandlerRegistration> registrations,
    IMeteringStore store,
    MeteringCatalog catalog,
    IServiceScopeFactory scopes,
    IClock clock,
    TimeProvider time,
    IOptions<EventDeliveryOptions> options,
    MeteringTelemetry telemetry,
    ILoggerFactory? loggers = null) : BackgroundService
{
    private readonly EventHandlerRegistration[] _registrations = [.. registrations];

    /// <summary>This instance's owner id in handler leases.</summary>
    public string InstanceId { get; } = options.Value.InstanceId
        ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled || _registrations.Length == 0)
        {
            return;
        }

        var logger = loggers?.CreateLogger("Metering.Events") ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await catalog.EnsureInitializedAsync(stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                EventDeliveryLog.PumpFailed(logger, exception, "(all)", settings.LeaseDuration);
                await Task.Delay(settings.LeaseDuration, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        var pumps = _registrations.Select(r =>
            new HandlerPump(r, store, scopes, clock, time, settings, InstanceId, telemetry, logger).RunAsync(stoppingToken));
        await Task.WhenAll(pumps).ConfigureAwait(false);
    }
}
