using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Metering.AspNetCore;

/// <summary>
/// Writes a <see cref="MeteringException"/> thrown by any endpoint as its problem details
/// (<see cref="MeteringProblemDetails.ForException(MeteringException)"/>): e.g. 404 for an unknown invoice, 503 when
/// the store is unavailable. Other exceptions are left to the next handler. Registered by <c>AddAspNetCore()</c>;
/// active once the app calls <c>app.UseExceptionHandler()</c>.
/// </summary>
public sealed class MeteringExceptionHandler : IExceptionHandler
{
    private readonly IProblemDetailsService _problems;

    /// <summary>Creates the handler.</summary>
    /// <param name="problems">Writes the problem details (ASP.NET Core's, from <c>AddProblemDetails</c>).</param>
    public MeteringExceptionHandler(IProblemDetailsService problems) => _problems = problems;

    /// <inheritdoc/>
    public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not MeteringException metering)
        {
            return ValueTask.FromResult(false);
        }

        var problem = MeteringProblemDetails.ForException(metering);
        httpContext.Response.StatusCode = problem.Status!.Value;
        return _problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}
