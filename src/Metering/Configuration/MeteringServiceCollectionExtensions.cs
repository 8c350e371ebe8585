using Metering;
using Metering.Diagnostics;
using Metering.Storage;
using Metering.Storage.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Metering in a service collection.</summary>
public static class MeteringServiceCollectionExtensions
{
    /// <summary>
    /// Adds Metering's services: <see cref="IUsageRecorder"/>, <see cref="ISubscriptionService"/>,
    /// <see cref="IUsageQuery"/>, <see cref="IInvoiceService"/>, <see cref="ICreditService"/>,
    /// <see cref="IEntitlements"/>, <see cref="IPeriodCloser"/>, <see cref="IUsageReconciler"/> and <see cref="ICatalogService"/>.
    /// Safe to call twice. The store defaults to in-memory; choose another on the returned builder.
    /// The clock defaults to <c>SystemClock.Instance</c> unless an <see cref="IClock"/> (e.g. a test clock) is registered first.
    /// </summary>
    public static MeteringBuilder AddMetering(this IServiceCollection services, Action<MeteringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddOptions<MeteringOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MeteringOptions>, MeteringOptionsValidator>());
#pragma warning disable RS0030 // The composition root: the one place the system clock is the default (hosts and tests register their own first).
        services.TryAddSingleton<IClock>(SystemClock.Instance);
#pragma warning restore RS0030
        services.TryAddSingleton<IMeteringStore, InMemoryMeteringStore>();
        services.TryAddSingleton<MeteringCatalog>();
        services.TryAddSingleton<SubscriptionCache>();
        services.TryAddSingleton<BillingEngine>();
        services.TryAddSingleton<MeteringTelemetry>();
        services.TryAddSingleton<UsageRecorder>();
        services.TryAddSingleton<IUsageRecorder>(sp => new InstrumentedUsageRecorder(sp.GetRequiredService<UsageRecorder>(), sp.GetRequiredService<MeteringTelemetry>()));
        services.TryAddSingleton<ISubscriptionService, SubscriptionService>();
        services.TryAddSingleton<ICatalogService, CatalogService>();
        services.TryAddSingleton<IUsageQuery, UsageQuery>();
        services.TryAddSingleton<IInvoiceService, InvoiceService>();
        services.TryAddSingleton<CreditService>();
        services.TryAddSingleton<ICreditService>(sp => sp.GetRequiredService<CreditService>());
        services.TryAddSingleton<IEntitlements, Entitlements>();
        services.TryAddSingleton<PeriodCloser>();
        services.TryAddSingleton<IPeriodCloser>(sp => sp.GetRequiredService<PeriodCloser>());
        services.TryAddSingleton<IUsageReconciler, UsageReconciler>();
        services.TryAddSingleton<IEventDeliveryService, EventDeliveryService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MeteringStartup>());
        return new MeteringBuilder(services);
    }

    /// <summary>
    /// Adds Metering like <see cref="AddMetering(IServiceCollection, Action{MeteringOptions}?)"/>, with
    /// <see cref="MeteringOptions"/> bound from <paramref name="configuration"/> (e.g. <c>configuration.GetSection("Metering")</c>),
    /// then adjusted by <paramref name="configure"/> (where meters and plans are declared). Durations are TimeSpan text
    /// (<c>"GracePeriod": "01:00:00"</c>), enums by name. A value that does not parse or an unknown key fails startup
    /// with the key's configuration path. A <c>Background</c> sub-section configures <c>RunInBackground()</c>.
    /// </summary>
    public static MeteringBuilder AddMetering(this IServiceCollection services, IConfiguration configuration, Action<MeteringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<MeteringOptions>(o => MeteringConfigurationBinder.Bind(configuration, o));
        var builder = services.AddMetering(configure);
        builder.Configuration = configuration;
        return builder;
    }
}
