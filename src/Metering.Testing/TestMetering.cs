using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Metering.Testing;

/// <summary>
/// Metering wired in memory with a <see cref="TestClock"/>, in one line:
/// <c>await using var billing = TestMetering.Create(o =&gt; o.AddMeter(...).AddPlan(...));</c>
/// then record usage, advance to a period's end and read the invoice.
/// </summary>
public sealed class TestMetering : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly List<IHostedService> _started = [];

    private TestMetering(ServiceProvider provider, TestClock clock)
    {
        _provider = provider;
        Clock = clock;
    }

    /// <summary>The clock every service reads.</summary>
    public TestClock Clock { get; }

    /// <summary>The service provider (for anything not exposed below).</summary>
    public IServiceProvider Services => _provider;

    /// <summary>Records usage.</summary>
    public IUsageRecorder Recorder => _provider.GetRequiredService<IUsageRecorder>();

    /// <summary>Customers and subscriptions.</summary>
    public ISubscriptionService Subscriptions => _provider.GetRequiredService<ISubscriptionService>();

    /// <summary>The catalog: plans, versions, archiving, meters and billable items.</summary>
    public ICatalogService Catalog => _provider.GetRequiredService<ICatalogService>();

    /// <summary>Usage reads.</summary>
    public IUsageQuery Usage => _provider.GetRequiredService<IUsageQuery>();

    /// <summary>Invoices.</summary>
    public IInvoiceService Invoices => _provider.GetRequiredService<IInvoiceService>();

    /// <summary>Credits.</summary>
    public ICreditService Credits => _provider.GetRequiredService<ICreditService>();

    /// <summary>Feature checks.</summary>
    public IEntitlements Entitlements => _provider.GetRequiredService<IEntitlements>();

    /// <summary>The period closer.</summary>
    public IPeriodCloser PeriodCloser => _provider.GetRequiredService<IPeriodCloser>();

    /// <summary>Reconciliation.</summary>
    public IUsageReconciler Reconciler => _provider.GetRequiredService<IUsageReconciler>();

    /// <summary>Event delivery: handlers, parked events, re-drive.</summary>
    public IEventDeliveryService Events => _provider.GetRequiredService<IEventDeliveryService>();

    /// <summary>The store.</summary>
    public IMeteringStore Store => _provider.GetRequiredService<IMeteringStore>();

    /// <summary>
    /// Builds Metering on the in-memory store (or on the store <paramref name="configureBuilder"/> picks),
    /// with a test clock starting at <paramref name="start"/> (default 2026-01-01T00:00Z).
    /// Options are validated immediately, as a host would at startup.
    /// </summary>
    public static TestMetering Create(Action<MeteringOptions>? configure = null, Instant? start = null, Action<MeteringBuilder>? configureBuilder = null)
    {
        var clock = new TestClock(start ?? Instant.FromUtc(2026, 1, 1, 0, 0));
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(clock);
        var builder = services.AddMetering(configure).UseInMemoryStore();
        configureBuilder?.Invoke(builder);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _ = provider.GetRequiredService<IOptions<MeteringOptions>>().Value;
        return new TestMetering(provider, clock);
    }

    /// <summary>
    /// Moves the clock past the end of the subscription's current period plus the grace window and
    /// closes everything due; returns what the closer did.
    /// </summary>
    public async ValueTask<PeriodCloseReport> AdvanceToPeriodEndAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        var subscription = await Subscriptions.GetAsync(subscriptionId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' does not exist; check the id returned by SubscribeAsync.");
        var grace = _provider.GetRequiredService<IOptions<MeteringOptions>>().Value.GracePeriod;
        var target = subscription.CurrentPeriod.End + grace;
        if (target > Clock.Now)
        {
            Clock.AdvanceTo(target);
        }

        return await PeriodCloser.CloseDueAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the hosted services a host would start (startup, background workers, the event dispatcher of
    /// <c>AddEventHandler</c>); <see cref="DisposeAsync"/> stops them, last started first.
    /// </summary>
    public async Task StartHostedServicesAsync(CancellationToken cancellationToken = default)
    {
        foreach (var service in _provider.GetServices<IHostedService>())
        {
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
            _started.Add(service);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _started.Clear();
        await _provider.DisposeAsync().ConfigureAwait(false);
    }
}
