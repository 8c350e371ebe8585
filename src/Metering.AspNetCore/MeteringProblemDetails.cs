using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Metering.AspNetCore;

/// <summary>
/// The one mapping from Metering's rejections and errors to RFC 9457 problem details: an HTTP status, a stable
/// <c>type</c> URI under <see cref="TypeBase"/>, a title, the message as <c>detail</c>, and extension members
/// (<c>reason</c> or <c>errorCode</c>, <c>idempotencyKey</c>, <c>retryable</c>). The <c>type</c>s are a public contract:
/// clients switch on them, never on the <c>title</c> or <c>detail</c> text.
/// </summary>
/// <remarks>
/// Statuses: a usage record the library refuses is 422 (Unprocessable Content), except
/// <see cref="UsageRejectionReason.InsufficientCredits"/> and <see cref="UsageRejectionReason.UsageLimitReached"/>,
/// which are 402 (Payment Required: more credits or a bigger plan fix them), and an idempotency key reused with other
/// content, which is 409. Errors: <see cref="MeteringErrorCode.InvalidArgument"/> 400, <see cref="MeteringErrorCode.NotFound"/>
/// 404, <see cref="MeteringErrorCode.AlreadyExists"/>, <see cref="MeteringErrorCode.InvalidState"/> and
/// <see cref="MeteringErrorCode.ConcurrencyConflict"/> 409, <see cref="MeteringErrorCode.StoreUnavailable"/> 503,
/// <see cref="MeteringErrorCode.Configuration"/> 500.
/// </remarks>
public static class MeteringProblemDetails
{
    /// <summary>The base of every <c>type</c> URI: <c>https://metering.dev/problems/</c>.</summary>
    public const string TypeBase = "https://metering.dev/problems/";

    /// <summary>The <c>type</c> of a request whose customer the host's resolver could not name (status 401).</summary>
    public const string CustomerUnresolvedType = TypeBase + "customer-unresolved";

    /// <summary>The <c>type</c> of a request gated by <c>RequireFeature</c> whose customer's plans do not grant the feature (status 403).</summary>
    public const string FeatureNotEntitledType = TypeBase + "feature-not-entitled";

    /// <summary>The <c>type</c> of a usage record sent for another customer than the request's (status 403).</summary>
    public const string CustomerMismatchType = TypeBase + "customer-mismatch";

    /// <summary>The HTTP status for a rejected usage record with reason <paramref name="reason"/>.</summary>
    public static int StatusFor(UsageRejectionReason reason) => reason switch
    {
        UsageRejectionReason.InsufficientCredits or UsageRejectionReason.UsageLimitReached => StatusCodes.Status402PaymentRequired,
        UsageRejectionReason.IdempotencyKeyConflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    /// <summary>The HTTP status for a <see cref="MeteringException"/> of kind <paramref name="code"/> (unknown kinds: 400).</summary>
    public static int StatusFor(MeteringErrorCode code) => code switch
    {
        MeteringErrorCode.NotFound => StatusCodes.Status404NotFound,
        MeteringErrorCode.AlreadyExists or MeteringErrorCode.InvalidState or MeteringErrorCode.ConcurrencyConflict => StatusCodes.Status409Conflict,
        MeteringErrorCode.StoreUnavailable => StatusCodes.Status503ServiceUnavailable,
        MeteringErrorCode.Configuration => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The stable <c>type</c> URI for reason <paramref name="reason"/>, e.g. <c>https://metering.dev/problems/insufficient-credits</c>.</summary>
    public static string TypeFor(UsageRejectionReason reason) => TypeBase + Slug(reason.ToString());

    /// <summary>The stable <c>type</c> URI for error kind <paramref name="code"/>, e.g. <c>https://metering.dev/problems/store-unavailable</c>.</summary>
    public static string TypeFor(MeteringErrorCode code) => TypeBase + Slug(code.ToString());

    /// <summary>
    /// The problem for a usage record that was not counted (<see cref="UsageOutcomeKind.Rejected"/> or
    /// <see cref="UsageOutcomeKind.Conflict"/>): extension members <c>reason</c> (the <see cref="UsageRejectionReason"/>
    /// name) and, when given, <c>idempotencyKey</c>.
    /// </summary>
    /// <param name="rejection">Why the record was not counted.</param>
    /// <param name="idempotencyKey">The record's idempotency key, or null.</param>
    /// <returns>A new problem details object.</returns>
    public static ProblemDetails ForRejection(UsageRejection rejection, string? idempotencyKey = null)
    {
        var problem = new ProblemDetails
        {
            Type = TypeFor(rejection.Reason),
            Title = rejection.Reason switch
            {
                UsageRejectionReason.InsufficientCredits => "Not enough credits for this usage.",
                UsageRejectionReason.UsageLimitReached => "The plan's usage limit is reached.",
                UsageRejectionReason.IdempotencyKeyConflict => "The idempotency key was already used for other usage.",
                _ => "The usage record was rejected.",
            },
            Status = StatusFor(rejection.Reason),
            Detail = rejection.Message,
        };
        problem.Extensions["reason"] = rejection.Reason.ToString();
        if (idempotencyKey is not null)
        {
            problem.Extensions["idempotencyKey"] = idempotencyKey;
        }

        return problem;
    }

    /// <summary>
    /// The problem for a <see cref="MeteringException"/>: extension members <c>errorCode</c> (the
    /// <see cref="MeteringErrorCode"/> name) and <c>retryable</c> (<see cref="MeteringException.IsRetryable"/>).
    /// The message becomes <c>detail</c>, except for <see cref="MeteringErrorCode.StoreUnavailable"/> and
    /// <see cref="MeteringErrorCode.Configuration"/>, whose messages describe the server's setup and stay in its logs.
    /// </summary>
    /// <param name="exception">The error.</param>
    /// <returns>A new problem details object.</returns>
    public static ProblemDetails ForException(MeteringException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var code = exception.ErrorCode;
        var problem = new ProblemDetails
        {
            Type = TypeFor(code),
            Title = code switch
            {
                MeteringErrorCode.NotFound => "Not found.",
                MeteringErrorCode.AlreadyExists => "It already exists with other content.",
                MeteringErrorCode.InvalidState => "The operation is not allowed in the current state.",
                MeteringErrorCode.ConcurrencyConflict => "A concurrent change won; retry the request.",
                MeteringErrorCode.StoreUnavailable => "The billing store is unavailable; retry later.",
                MeteringErrorCode.Configuration => "Billing is not set up correctly.",
                _ => "The request is invalid.",
            },
            Status = StatusFor(code),
            Detail = code is MeteringErrorCode.StoreUnavailable or MeteringErrorCode.Configuration ? null : exception.Message,
        };
        problem.Extensions["errorCode"] = code.ToString();
        problem.Extensions["retryable"] = exception.IsRetryable;
        return problem;
    }

    internal static ProblemDetails Create(int status, string type, string title, string detail) =>
        new() { Type = type, Title = title, Status = status, Detail = detail };

    // "InsufficientCredits" -> "insufficient-credits".
    private static string Slug(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('-');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
