using Metering;
using Metering.Diagnostics;
using Metering.Storage;
using Metering.Storage.InMemory;
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
    /// <see cref="IEntitlements"/>, <see cref="IPeriodCloser"/> and <see cref="IUsageReconciler"/>.
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
        services.TryAddSingleton<IUsageQuery, UsageQuery>();
        services.TryAddSingleton<IInvoiceService, InvoiceService>();
        services.TryAddSingleton<CreditService>();
        services.TryAddSingleton<ICreditService>(sp => sp.GetRequiredService<CreditService>());
        services.TryAddSingleton<IEntitlements, Entitlements>();
        services.TryAddSingleton<PeriodCloser>();
        services.TryAddSingleton<IPeriodCloser>(sp => sp.GetRequiredService<PeriodCloser>());
        services.TryAddSingleton<IUsageReconciler, UsageReconciler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MeteringStartup>());
        return new MeteringBuilder(services);
    }
}
