using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Metering.AspNetCore;

/// <summary>
/// MVC twin of <c>.MeterUsage(meterKey)</c>: meters each call of the action (or of every action of the controller)
/// before it runs, with the same idempotency key and problem details.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class MeterUsageAttribute : Attribute, IAsyncActionFilter
{
    /// <summary>Meters <paramref name="meterKey"/>, <see cref="Quantity"/> units per call.</summary>
    /// <param name="meterKey">The meter to record against, e.g. <c>api_calls</c>.</param>
    public MeterUsageAttribute(string meterKey) => MeterKey = meterKey;

    /// <summary>The meter recorded against.</summary>
    public string MeterKey { get; }

    /// <summary>Units per call (default 1); attribute arguments cannot be <c>decimal</c>, so it is converted.</summary>
    public double Quantity { get; set; } = 1;

    /// <inheritdoc/>
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        ProblemDetails? problem;
        try
        {
            problem = await UsageMetering.From(http).MeterAsync(http, MeterKey, (decimal)Quantity).ConfigureAwait(false);
        }
        catch (MeteringException e)
        {
            problem = MeteringProblemDetails.ForException(e);
        }

        if (problem is not null)
        {
            context.Result = MvcProblem.Result(problem);
            return;
        }

        await next().ConfigureAwait(false);
    }
}

/// <summary>MVC twin of <c>.RequireFeature(featureKey)</c>: 403 problem details unless the customer's plan grants the feature.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequireFeatureAttribute : Attribute, IAsyncActionFilter
{
    /// <summary>Requires feature <paramref name="featureKey"/>.</summary>
    /// <param name="featureKey">The feature, e.g. <c>exports</c>.</param>
    public RequireFeatureAttribute(string featureKey) => FeatureKey = featureKey;

    /// <summary>The feature required.</summary>
    public string FeatureKey { get; }

    /// <inheritdoc/>
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        ProblemDetails? problem;
        try
        {
            problem = await UsageMetering.From(http).CheckFeatureAsync(http, FeatureKey).ConfigureAwait(false);
        }
        catch (MeteringException e)
        {
            problem = MeteringProblemDetails.ForException(e);
        }

        if (problem is not null)
        {
            context.Result = MvcProblem.Result(problem);
            return;
        }

        await next().ConfigureAwait(false);
    }
}

internal static class MvcProblem
{
    public static IActionResult Result(ProblemDetails problem) => new ObjectResult(problem)
    {
        StatusCode = problem.Status,
        ContentTypes = { "application/problem+json" },
    };
}
