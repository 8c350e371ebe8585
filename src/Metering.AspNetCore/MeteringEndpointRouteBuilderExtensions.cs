using System.Globalization;
using Metering;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Metering's optional read and ingest endpoints.</summary>
public static class MeteringEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps, under <paramref name="prefix"/>, endpoints that act for the request's customer (from <c>ResolveCustomer</c>;
    /// 401 when none), answering in the JSON shapes of <c>docs/json.md</c>:
    /// <list type="bullet">
    /// <item><description><c>GET usage</c>: the current usage (<c>CurrentUsage</c>) of each of the customer's active subscriptions, as an array;</description></item>
    /// <item><description><c>GET invoices?cursor=&amp;limit=</c>: a page of invoices, newest first; <c>GET invoices/{invoiceId}</c>: one invoice (404 when not the customer's);</description></item>
    /// <item><description><c>GET credits/balances</c>: balances per unit; <c>GET credits/transactions?cursor=&amp;limit=</c>: a page of the ledger, oldest first;</description></item>
    /// <item><description><c>POST usage</c>: records one <c>UsageRecord</c> (its <c>idempotencyKey</c> may come from the
    /// <c>Idempotency-Key</c> header instead); 200 with the <c>UsageOutcome</c> when counted (<c>Accepted</c>, or
    /// <c>Duplicate</c> on a retry), else its problem details (422, 402, 409);</description></item>
    /// <item><description><c>POST usage/batch</c>: records an array of <c>UsageRecord</c>s; 200 with one <c>UsageOutcome</c> per item, in order.</description></item>
    /// </list>
    /// Records must name the request's customer (403 otherwise). Errors are problem details
    /// (<see cref="MeteringProblemDetails"/>). Authorization is the host's: e.g.
    /// <c>app.MapMeteringEndpoints().RequireAuthorization()</c> on the returned group.
    /// </summary>
    /// <param name="endpoints">The app or a route group.</param>
    /// <param name="prefix">The route prefix (default <c>/metering</c>).</param>
    /// <returns>The group holding the endpoints, for conventions such as <c>RequireAuthorization()</c>.</returns>
    public static RouteGroupBuilder MapMeteringEndpoints(this IEndpointRouteBuilder endpoints, string prefix = "/metering")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var group = endpoints.MapGroup(prefix);
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (MeteringException e)
            {
                return TypedResults.Problem(MeteringProblemDetails.ForException(e));
            }
        });

        group.MapGet("/usage", Handler(CurrentUsageAsync));
        group.MapGet("/invoices", Handler(InvoicesAsync));
        group.MapGet("/invoices/{invoiceId}", InvoiceAsync);
        group.MapGet("/credits/balances", Handler(BalancesAsync));
        group.MapGet("/credits/transactions", Handler(TransactionsAsync));
        group.MapPost("/usage", Handler(RecordAsync));
        group.MapPost("/usage/batch", Handler(RecordBatchAsync));
        return group;
    }

    // A handler taking only the HttpContext would bind as a RequestDelegate and drop its IResult; as a Delegate it is written.
    private static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    private static async Task<IResult> CurrentUsageAsync(HttpContext http)
    {
        if (Customer(http, out var customerId) is { } problem)
        {
            return problem;
        }

        var services = http.RequestServices;
        var subscriptions = await services.GetRequiredService<ISubscriptionService>().ListAsync(customerId, http.RequestAborted).ConfigureAwait(false);
        var query = services.GetRequiredService<IUsageQuery>();
        var usage = new List<CurrentUsage>();
        foreach (var subscription in subscriptions)
        {
            if (subscription.EndedAt is null)
            {
                usage.Add(await query.GetCurrentAsync(subscription.SubscriptionId, http.RequestAborted).ConfigureAwait(false));
            }
        }

        return TypedResults.Ok<IReadOnlyList<CurrentUsage>>(usage);
    }

    private static async Task<IResult> InvoicesAsync(HttpContext http)
    {
        if (Customer(http, out var customerId) is { } problem)
        {
            return problem;
        }

        if (Paging(http, 20, out var cursor, out var limit) is { } badPaging)
        {
            return badPaging;
        }

        var page = await http.RequestServices.GetRequiredService<IInvoiceService>().ListAsync(customerId, cursor, limit, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(page);
    }

    private static async Task<IResult> InvoiceAsync(HttpContext http, string invoiceId)
    {
        if (Customer(http, out var customerId) is { } problem)
        {
            return problem;
        }

        var invoice = await http.RequestServices.GetRequiredService<IInvoiceService>().GetAsync(invoiceId, http.RequestAborted).ConfigureAwait(false);

        // Another customer's invoice is reported exactly like a missing one: its existence is not the caller's business.
        return invoice is not null && string.Equals(invoice.CustomerId, customerId, StringComparison.Ordinal)
            ? TypedResults.Ok(invoice)
            : TypedResults.Problem(MeteringProblemDetails.ForException(new MeteringException(
                MeteringErrorCode.NotFound,
                $"Invoice '{invoiceId}' does not exist for this customer; list the customer's invoices to find their ids.")));
    }

    private static async Task<IResult> BalancesAsync(HttpContext http)
    {
        if (Customer(http, out var customerId) is { } problem)
        {
            return problem;
        }

        var balances = await http.RequestServices.GetRequiredService<ICreditService>().GetBalancesAsync(customerId, null, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(balances);
    }

    private static async Task<IResult> TransactionsAsync(HttpContext http)
    {
        if (Customer(http, out var customerId) is { } problem)
        {
            return problem;
        }

        if (Paging(http, 50, out var cursor, out var limit) is { } badPaging)
        {
            return badPaging;
        }

        var page = await http.RequestServices.GetRequiredService<ICreditService>().ListTransactionsAsync(customerId, cursor, limit, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(page);
    }

    private static async Task<IResult> RecordAsync(HttpContext http)
    {
        if (Customer(http, out var customerId) is { } problem)
        {
            return problem;
        }

        var json = JsonOptions(http);
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return InvalidJson(e.Message);
        }

        if (body is not JsonObject item)
        {
            return InvalidJson("The body must be a usage record: a JSON object such as {\"customerId\":\"cus_1\",\"meterKey\":\"api_calls\",\"quantity\":1,\"timestamp\":\"2026-01-01T00:00:00Z\",\"idempotencyKey\":\"req-1\"}.");
        }

        var header = http.Request.Headers[MeteringAspNetCoreOptions.IdempotencyKeyHeader].ToString();
        if (!string.IsNullOrEmpty(header))
        {
            var keyName = json.PropertyNamingPolicy?.ConvertName("IdempotencyKey") ?? "IdempotencyKey";
            if (item[keyName] is null)
            {
                item[keyName] = header;
            }
            else if (!string.Equals(item[keyName]!.GetValueKind() == JsonValueKind.String ? item[keyName]!.GetValue<string>() : null, header, StringComparison.Ordinal))
            {
                return TypedResults.Problem(MeteringProblemDetails.ForRejection(
                    new UsageRejection(UsageRejectionReason.InvalidRecord, $"The '{MeteringAspNetCoreOptions.IdempotencyKeyHeader}' header and the record's '{keyName}' differ; send the key once, or the same key in both."),
                    header));
            }
        }

        UsageRecord? record;
        try
        {
            record = item.Deserialize<UsageRecord>(json);
        }
        catch (JsonException e)
        {
            return InvalidJson(e.Message);
        }

        if (record is null)
        {
            return InvalidJson("The body is null; send a usage record.");
        }

        if (Mismatch(record, customerId) is { } mismatch)
        {
            return mismatch;
        }

        var outcome = await http.RequestServices.GetRequiredService<IUsageRecorder>().RecordAsync(record, http.RequestAborted).ConfigureAwait(false);
        return outcome.IsCounted
            ? TypedResults.Ok(outcome)
            : TypedResults.Problem(MeteringProblemDetails.ForRejection(outcome.Rejection!.Value, record.IdempotencyKey));
    }

    private static async Task<IResult> RecordBatchAsync(HttpContext http)
    {
        if (Customer(http, out var customerId) is { } problem)
        {
            return problem;
        }

        UsageRecord[]? records;
        try
        {
            records = await JsonSerializer.DeserializeAsync<UsageRecord[]>(http.Request.Body, JsonOptions(http), http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return InvalidJson(e.Message);
        }

        if (records is null)
        {
            return InvalidJson("The body must be an array of usage records.");
        }

        foreach (var record in records)
        {
            if (record is null)
            {
                return InvalidJson("The batch has a null item; every item must be a usage record.");
            }

            if (Mismatch(record, customerId) is { } mismatch)
            {
                return mismatch;
            }
        }

        var outcomes = await http.RequestServices.GetRequiredService<IUsageRecorder>().RecordBatchAsync(records, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(outcomes);
    }

    private static IResult? Customer(HttpContext http, out string customerId)
    {
        var (resolved, problem) = UsageMetering.From(http).ResolveCustomer(http);
        customerId = resolved ?? string.Empty;
        return problem is null ? null : TypedResults.Problem(problem);
    }

    private static IResult? Mismatch(UsageRecord record, string customerId)
    {
        if (string.Equals(record.CustomerId, customerId, StringComparison.Ordinal))
        {
            return null;
        }

        var problem = MeteringProblemDetails.Create(
            StatusCodes.Status403Forbidden,
            MeteringProblemDetails.CustomerMismatchType,
            "The usage record names another customer.",
            $"The record with idempotency key '{record.IdempotencyKey}' is for customer '{record.CustomerId}', but this request acts for customer '{customerId}'; record usage only for the request's own customer.");
        return TypedResults.Problem(problem);
    }

    private static IResult? Paging(HttpContext http, int defaultLimit, out string? cursor, out int limit)
    {
        var query = http.Request.Query;
        cursor = query["cursor"].ToString() is { Length: > 0 } c ? c : null;
        limit = defaultLimit;
        var text = query["limit"].ToString();
        if (text.Length == 0 || int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit))
        {
            return null;
        }

        return TypedResults.Problem(MeteringProblemDetails.ForException(new MeteringException(
            MeteringErrorCode.InvalidArgument, $"The 'limit' query parameter is '{text}'; send a whole number of items per page, e.g. limit=20.")));
    }

    private static IResult InvalidJson(string detail) => TypedResults.Problem(MeteringProblemDetails.ForException(new MeteringException(
        MeteringErrorCode.InvalidArgument, detail)));

    private static JsonSerializerOptions JsonOptions(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
}
