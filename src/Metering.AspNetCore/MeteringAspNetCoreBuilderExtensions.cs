using Metering;
using Metering.AspNetCore;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Metering's ASP.NET Core glue.</summary>
public static class MeteringAspNetCoreBuilderExtensions
{
    /// <summary>
    /// Adds what <c>MeterUsage</c>, <c>RequireFeature</c> and <c>MapMeteringEndpoints</c> need: the options, Metering's
    /// JSON setup on ASP.NET Core's JSON options (<c>ConfigureForMetering</c>, which touches only Metering's types),
    /// problem details (<c>AddProblemDetails</c>) and <see cref="MeteringExceptionHandler"/>, which turns a
    /// <see cref="MeteringException"/> thrown by any endpoint into its problem details once the app calls
    /// <c>app.UseExceptionHandler()</c>. Safe to call twice.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering(...)</c>.</param>
    /// <param name="configure">Sets the options, at least <see cref="MeteringAspNetCoreOptions.ResolveCustomer"/>.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MeteringBuilder AddAspNetCore(this MeteringBuilder builder, Action<MeteringAspNetCoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<MeteringAspNetCoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(MeteringAspNetCoreMarker)))
        {
            return builder;
        }

        services.AddSingleton<MeteringAspNetCoreMarker>();
        services.AddOptions<JsonOptions>().Configure<IOptions<MeteringAspNetCoreOptions>>(
            (json, o) => json.SerializerOptions.ConfigureForMetering(o.Value.Currencies));
        services.AddOptions<Microsoft.AspNetCore.Mvc.JsonOptions>().Configure<IOptions<MeteringAspNetCoreOptions>>(
            (json, o) => json.JsonSerializerOptions.ConfigureForMetering(o.Value.Currencies));
        services.AddProblemDetails();
        services.AddExceptionHandler<MeteringExceptionHandler>();
        services.TryAddSingleton<UsageMetering>();
        return builder;
    }

    private sealed class MeteringAspNetCoreMarker;
}
