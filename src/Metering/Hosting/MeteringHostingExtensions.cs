using Metering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs Metering unattended inside a .NET host.</summary>
public static class MeteringHostingExtensions
{
    /// <summary>
    /// Adds hosted workers that close due billing periods and expire due credits on an interval with jitter
    /// (<see cref="MeteringBackgroundOptions"/>), using the registered <see cref="IClock"/> for "now" and
    /// <see cref="TimeProvider"/> (default <see cref="TimeProvider.System"/>) for waiting. Safe on many instances:
    /// each period is still closed exactly once by the store. One failing subscription is reported, logged and
    /// retried later, never stopping the others. On shutdown the workers stop claiming, finish the work in flight,
    /// and the store flushes its writer when the service provider is disposed. Safe to call twice.
    /// Progress is visible through <see cref="MeteringBackgroundStatus"/>. After <c>AddMetering(IConfiguration)</c>, the
    /// <c>Background</c> sub-section is bound first (e.g. <c>"CloseInterval": "00:01:00"</c>), then <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="configure">Adjusts intervals, jitter and which workers run.</param>
    public static MeteringBuilder RunInBackground(this MeteringBuilder builder, Action<MeteringBackgroundOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<MeteringBackgroundOptions>().ValidateOnStart();
        if (builder.Configuration?.GetSection("Background") is { } section && section.Exists())
        {
            // TimeSpan text ("00:01:00"); a value that does not parse fails startup naming its configuration path.
            options.Configure(o => section.Bind(o, b => b.ErrorOnUnknownConfiguration = true));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MeteringBackgroundOptions>, MeteringBackgroundOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MeteringBackgroundStatus>();
        // Extension point: the event dispatcher worker (a separate issue) registers here the same way.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PeriodCloseWorker>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CreditExpiryWorker>());
        return builder;
    }
}
