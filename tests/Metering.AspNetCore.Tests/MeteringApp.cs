using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Metering.Storage;
using Metering.Storage.InMemory;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.AspNetCore.Tests;

/// <summary>The test host on the in-memory store, a test clock, and a store that can be switched off (503).</summary>
public sealed class MeteringApp : WebApplicationFactory<Program>
{
    public static readonly Instant Start = Instant.FromUtc(2026, 3, 1, 0, 0);

    public TestClock Clock { get; } = new(Start);

    public UnavailableSwitch Store { get; } = new();

    public static JsonSerializerOptions Json { get; } = new JsonSerializerOptions(JsonSerializerDefaults.Web).ConfigureForMetering();

    public ISubscriptionService Subscriptions => Services.GetRequiredService<ISubscriptionService>();

    public ICreditService Credits => Services.GetRequiredService<ICreditService>();

    public IUsageQuery Usage => Services.GetRequiredService<IUsageQuery>();

    public IPeriodCloser PeriodCloser => Services.GetRequiredService<IPeriodCloser>();

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IClock>(Clock);
            var store = new InMemoryMeteringStore();
            services.AddSingleton<IMeteringStore>(_ => UnavailableSwitch.Wrap(store, Store));
        });

    /// <summary>Creates the customer and subscribes it to <paramref name="planKey"/>; returns the subscription id.</summary>
    public async Task<string> SubscribeAsync(string customerId, string planKey)
    {
        _ = Server; // starts the host: plans are declared at startup
        await Subscriptions.CreateCustomerAsync(customerId);
        var subscription = await Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customerId, PlanKey = planKey });
        if (Clock.Now == Start)
        {
            // A day into the period: records stamped on March 1st are in the past, and in the open period.
            Clock.AdvanceTo(Start + Duration.FromDays(1));
        }

        return subscription.SubscriptionId;
    }

    public HttpClient ClientFor(string? customerId)
    {
        var client = CreateClient();
        if (customerId is not null)
        {
            client.DefaultRequestHeaders.Add("X-Customer", customerId);
        }

        return client;
    }

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
}

/// <summary>Turns the store off: every call then throws the store-unavailable error stores throw.</summary>
public sealed class UnavailableSwitch
{
    public bool Unavailable { get; set; }

    public static IMeteringStore Wrap(IMeteringStore inner, UnavailableSwitch toggle)
    {
        var proxy = DispatchProxy.Create<IMeteringStore, SwitchableStore>();
        ((SwitchableStore)(object)proxy).Set(inner, toggle);
        return proxy;
    }
}

public class SwitchableStore : DispatchProxy
{
    private IMeteringStore _inner = null!;
    private UnavailableSwitch _toggle = null!;

    internal void Set(IMeteringStore inner, UnavailableSwitch toggle)
    {
        _inner = inner;
        _toggle = toggle;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (_toggle.Unavailable)
        {
            throw new MeteringException(MeteringErrorCode.StoreUnavailable, "The database at /var/lib/billing.db cannot be opened (disk I/O error); retry later.");
        }

        try
        {
            return targetMethod!.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
