using Microsoft.AspNetCore.Http;

namespace Metering.AspNetCore;

/// <summary>Options of Metering's ASP.NET Core glue; set them with <c>AddMetering(...).AddAspNetCore(o =&gt; ...)</c>.</summary>
public sealed class MeteringAspNetCoreOptions
{
    /// <summary>The request header a client sends its idempotency key in: <c>Idempotency-Key</c>.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>
    /// Names the customer a request acts for (e.g. <c>ctx =&gt; ctx.User.FindFirst("tenant")?.Value</c>), or returns null
    /// when it cannot, which answers 401 with a <see cref="MeteringProblemDetails.CustomerUnresolvedType"/> problem.
    /// Used by <c>MeterUsage</c>, <c>RequireFeature</c> and every endpoint of <c>MapMeteringEndpoints</c>.
    /// Required: a request reaching one of them without it set fails with a <see cref="MeteringErrorCode.Configuration"/> error.
    /// </summary>
    public Func<HttpContext, string?>? ResolveCustomer { get; set; }

    /// <summary>
    /// For metered endpoints whose request has no <c>Idempotency-Key</c> header: returns a value that is the same on every
    /// retry of one client request (e.g. a request id header the client's SDK sets), or null. Null (the default, or the
    /// delegate returning null) answers 422 with a <c>missing-idempotency-key</c> problem: a key is never made up, since a
    /// random one would count every retry again.
    /// </summary>
    public Func<HttpContext, string?>? DeriveIdempotencyKey { get; set; }

    /// <summary>
    /// The currency table the JSON options read currency codes with (<c>ConfigureForMetering(currencies)</c>); null for
    /// <see cref="CurrencyTable.Iso4217"/>. Register custom credit units here, e.g.
    /// <c>CurrencyTable.Iso4217.With(Currency.Custom("credits", 0))</c>.
    /// </summary>
    public CurrencyTable? Currencies { get; set; }
}
