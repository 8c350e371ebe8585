using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Metering.AspNetCore;

/// <summary>
/// What the endpoint filters and MVC attributes share: resolve the customer, meter a request, check a feature. Each
/// returns null to let the request through, or the problem to answer instead.
/// </summary>
internal sealed class UsageMetering
{
    private readonly IUsageRecorder _recorder;
    private readonly IEntitlements _entitlements;
    private readonly IClock _clock;
    private readonly MeteringAspNetCoreOptions _options;

    public UsageMetering(IUsageRecorder recorder, IEntitlements entitlements, IClock clock, IOptions<MeteringAspNetCoreOptions> options)
    {
        _recorder = recorder;
        _entitlements = entitlements;
        _clock = clock;
        _options = options.Value;
    }

    public static UsageMetering From(HttpContext context) =>
        context.RequestServices.GetService(typeof(UsageMetering)) as UsageMetering
        ?? throw new MeteringException(MeteringErrorCode.Configuration,
            "Metering's ASP.NET Core services are not registered; call services.AddMetering(...).AddAspNetCore(o => o.ResolveCustomer = ...) at startup.");

    /// <summary>The customer of the request, or the 401 problem to answer.</summary>
    public (string? CustomerId, ProblemDetails? Problem) ResolveCustomer(HttpContext context)
    {
        var resolve = _options.ResolveCustomer
            ?? throw new MeteringException(MeteringErrorCode.Configuration,
                "MeteringAspNetCoreOptions.ResolveCustomer is not set; set it in AddAspNetCore(o => o.ResolveCustomer = ctx => ...) to name the customer a request acts for.");
        var customerId = resolve(context);
        return string.IsNullOrEmpty(customerId)
            ? (null, MeteringProblemDetails.Create(
                StatusCodes.Status401Unauthorized,
                MeteringProblemDetails.CustomerUnresolvedType,
                "The request's customer is not known.",
                "The request does not name a customer this app bills; sign in, or send the credentials the app resolves its customer from."))
            : (customerId, null);
    }

    /// <summary>Records <paramref name="quantity"/> of <paramref name="meterKey"/> for the request; null when counted.</summary>
    public async ValueTask<ProblemDetails?> MeterAsync(HttpContext context, string meterKey, decimal quantity)
    {
        var (customerId, problem) = ResolveCustomer(context);
        if (problem is not null)
        {
            return problem;
        }

        var clientKey = ClientIdempotencyKey(context);
        if (clientKey is null)
        {
            return MeteringProblemDetails.ForRejection(new UsageRejection(
                UsageRejectionReason.MissingIdempotencyKey,
                $"This endpoint is metered and the request has no '{MeteringAspNetCoreOptions.IdempotencyKeyHeader}' header; send one that is unique to the request and the same on its retries (e.g. a UUID), so a retry is billed once."));
        }

        var key = RecordKey(customerId!, meterKey, context.Request, clientKey);
        var outcome = await _recorder.RecordAsync(
            UsageRecord.Increment(customerId!, meterKey, quantity, _clock.GetCurrentInstant(), key),
            context.RequestAborted).ConfigureAwait(false);

        // The key names customer, meter, route and the client's key: the same key with other content is this request
        // retried later (its timestamp differs), so it was counted by the first attempt (first write wins).
        return outcome.Kind is UsageOutcomeKind.Rejected
            ? MeteringProblemDetails.ForRejection(outcome.Rejection!.Value, clientKey)
            : null;
    }

    /// <summary>Null when the request's customer is entitled to <paramref name="featureKey"/>; otherwise the problem.</summary>
    public async ValueTask<ProblemDetails?> CheckFeatureAsync(HttpContext context, string featureKey)
    {
        var (customerId, problem) = ResolveCustomer(context);
        if (problem is not null)
        {
            return problem;
        }

        var access = await _entitlements.CheckAsync(customerId!, featureKey, context.RequestAborted).ConfigureAwait(false);
        if (access.Enabled)
        {
            return null;
        }

        var denied = MeteringProblemDetails.Create(
            StatusCodes.Status403Forbidden,
            MeteringProblemDetails.FeatureNotEntitledType,
            "The plan does not include this feature.",
            $"Customer '{customerId}' has no active plan that grants feature '{featureKey}'; move to a plan that includes it.");
        denied.Extensions["featureKey"] = featureKey;
        return denied;
    }

    private string? ClientIdempotencyKey(HttpContext context)
    {
        var header = context.Request.Headers[MeteringAspNetCoreOptions.IdempotencyKeyHeader].ToString();
        if (!string.IsNullOrWhiteSpace(header))
        {
            return header;
        }

        var derived = _options.DeriveIdempotencyKey?.Invoke(context);
        return string.IsNullOrWhiteSpace(derived) ? null : derived;
    }

    // Stable across retries: customer, meter, method, path and the client's key; hashed when over the key length limit.
    internal static string RecordKey(string customerId, string meterKey, HttpRequest request, string clientKey)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{customerId}|{meterKey}|{request.Method} {request.PathBase}{request.Path}|{clientKey}");
        return key.Length <= UsageRecordRules.MaxIdempotencyKeyLength
            ? key
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
