using Metering;
using Metering.AspNetCore;
using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Metering on minimal API endpoints and route groups: <c>.MeterUsage("api_calls")</c>, <c>.RequireFeature("exports")</c>.</summary>
public static class MeteringEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Meters each request to the endpoint: records <paramref name="quantity"/> units of meter
    /// <paramref name="meterKey"/> for the customer <c>ResolveCustomer</c> names, <b>before</b> the endpoint runs, so a
    /// customer out of credits or over a hard limit is refused (402) without the work being done. A rejected record
    /// answers its problem details (422, 402; see <see cref="MeteringProblemDetails"/>) and the endpoint does not run.
    /// A request that then fails is still counted: metering bills the attempt. The idempotency key comes from the
    /// <c>Idempotency-Key</c> header (or <see cref="MeteringAspNetCoreOptions.DeriveIdempotencyKey"/>); none answers 422.
    /// The record's key is customer, meter, method, path and that key, so a client retry is counted once and runs the
    /// endpoint again. A <see cref="MeteringException"/> (e.g. the store unavailable) answers its problem (503).
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="meterKey">The meter to record against, e.g. <c>api_calls</c>.</param>
    /// <param name="quantity">Units per request (default 1); zero or positive.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder MeterUsage<TBuilder>(this TBuilder builder, string meterKey, decimal quantity = 1m)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(meterKey);
        return builder.MeterUsage(meterKey, _ => quantity);
    }

    /// <summary>
    /// Meters each request with a quantity computed from the request (e.g. the number of items in a query string),
    /// otherwise as <see cref="MeterUsage{TBuilder}(TBuilder, string, decimal)"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="meterKey">The meter to record against.</param>
    /// <param name="quantity">The units of one request; zero or positive.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder MeterUsage<TBuilder>(this TBuilder builder, string meterKey, Func<HttpContext, decimal> quantity)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(meterKey);
        ArgumentNullException.ThrowIfNull(quantity);
        return builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            try
            {
                var problem = await UsageMetering.From(http).MeterAsync(http, meterKey, quantity(http)).ConfigureAwait(false);
                if (problem is not null)
                {
                    return TypedResults.Problem(problem);
                }
            }
            catch (MeteringException e)
            {
                return TypedResults.Problem(MeteringProblemDetails.ForException(e));
            }

            return await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Lets a request through only when its customer (from <c>ResolveCustomer</c>) has an active plan that grants
    /// feature <paramref name="featureKey"/>. Otherwise answers 403 with a
    /// <see cref="MeteringProblemDetails.FeatureNotEntitledType"/> problem (402 is kept for credits and limits, which
    /// money fixes now; a missing feature needs another plan), or 401 when the customer is not resolved.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="featureKey">The feature, e.g. <c>exports</c>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder RequireFeature<TBuilder>(this TBuilder builder, string featureKey)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(featureKey);
        return builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            try
            {
                var problem = await UsageMetering.From(http).CheckFeatureAsync(http, featureKey).ConfigureAwait(false);
                if (problem is not null)
                {
                    return TypedResults.Problem(problem);
                }
            }
            catch (MeteringException e)
            {
                return TypedResults.Problem(MeteringProblemDetails.ForException(e));
            }

            return await next(context).ConfigureAwait(false);
        });
    }
}
