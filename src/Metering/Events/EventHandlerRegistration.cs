using Microsoft.Extensions.DependencyInjection;

namespace Metering;

/// <summary>One registered handler: its name, options and how to invoke it within a delivery's DI scope.</summary>
internal sealed record EventHandlerRegistration(string Name, EventHandlerOptions Options, Func<IServiceProvider, BillingEventDelivery, CancellationToken, ValueTask> Invoke)
{
    public static EventHandlerRegistration For<THandler>(EventHandlerOptions options)
        where THandler : class, IBillingEventHandler =>
        new(
            options.Name ?? typeof(THandler).FullName ?? typeof(THandler).Name,
            options,
            (services, delivery, ct) => services.GetRequiredService<THandler>().HandleAsync(delivery, ct));
}
