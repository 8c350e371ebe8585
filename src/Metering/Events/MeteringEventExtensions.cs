using Metering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Delivers Metering's billing events to host handlers.</summary>
public static class MeteringEventExtensions
{
    /// <summary>
    /// Registers <typeparamref name="THandler"/> (scoped, resolved per delivery) to receive every billing event at least
    /// once, in store order, from a hosted dispatcher with its own durable checkpoint (see <see cref="IBillingEventHandler"/>).
    /// Handlers are independent: a failing one is retried and parks its event without delaying the others.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="configure">Name, start, retries and batch size of this handler.</param>
    /// <exception cref="MeteringException">The options are invalid or another handler has the same name.</exception>
    public static MeteringBuilder AddEventHandler<THandler>(this MeteringBuilder builder, Action<EventHandlerOptions>? configure = null)
        where THandler : class, IBillingEventHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new EventHandlerOptions();
        configure?.Invoke(options);
        builder.Services.TryAddScoped<THandler>();
        return Register(builder, EventHandlerRegistration.For<THandler>(options));
    }

    /// <summary>
    /// Registers a delegate as a handler named <paramref name="name"/>, with the same delivery guarantees as
    /// <see cref="AddEventHandler{THandler}"/>. The delegate gets the delivery's scoped service provider.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="name">The handler's durable name.</param>
    /// <param name="handle">Handles one delivery; throw to have it retried.</param>
    /// <param name="configure">Start, retries and batch size of this handler.</param>
    public static MeteringBuilder AddEventHandler(this MeteringBuilder builder, string name, Func<BillingEventDelivery, IServiceProvider, CancellationToken, ValueTask> handle, Action<EventHandlerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(handle);
        var options = new EventHandlerOptions { Name = name };
        configure?.Invoke(options);
        return Register(builder, new EventHandlerRegistration(options.Name ?? name, options, (services, delivery, ct) => handle(delivery, services, ct)));
    }

    /// <summary>
    /// Adjusts delivery settings shared by every handler (<see cref="EventDeliveryOptions"/>). After
    /// <c>AddMetering(IConfiguration)</c>, the <c>Events</c> sub-section is bound first (e.g. <c>"PollInterval": "00:00:00.500"</c>).
    /// </summary>
    public static MeteringBuilder ConfigureEventDelivery(this MeteringBuilder builder, Action<EventDeliveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddDispatcher(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    private static MeteringBuilder Register(MeteringBuilder builder, EventHandlerRegistration registration)
    {
        registration.Options.Validate(registration.Name);
        var taken = builder.Services
            .Where(d => d.ServiceType == typeof(EventHandlerRegistration) && d.ImplementationInstance is EventHandlerRegistration r && r.Name == registration.Name)
            .Any();
        if (taken)
        {
            throw new MeteringException(MeteringErrorCode.AlreadyExists, $"An event handler named '{registration.Name}' is already registered; give each handler its own EventHandlerOptions.Name (its checkpoint is kept under it).");
        }

        builder.Services.AddSingleton(registration);
        AddDispatcher(builder);
        return builder;
    }

    private static void AddDispatcher(MeteringBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(EventDeliveryWorker)))
        {
            return;
        }

        var options = services.AddOptions<EventDeliveryOptions>().ValidateOnStart();
        if (builder.Configuration?.GetSection("Events") is { } section && section.Exists())
        {
            options.Configure(o => section.Bind(o, b => b.ErrorOnUnknownConfiguration = true));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventDeliveryOptions>, EventDeliveryOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EventDeliveryWorker>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<EventDeliveryWorker>());
    }
}
