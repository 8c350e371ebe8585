using System.Net;
using System.Text;

namespace Metering.AspNetCore.Tests;

public class ProblemDetailsTest
{
    [Fact]
    public async Task RejectedUsage_HasExactlyTheDocumentedMembers()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");
        var request = new HttpRequestMessage(HttpMethod.Post, "/metering/usage")
        {
            Content = new StringContent("""{"customerId":"acme","meterKey":"gpu","quantity":1,"timestamp":"2026-03-01T10:00:00Z"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", "req-7");

        var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await MeteringApp.JsonOf(response);
        problem.EnumerateObject().Select(p => p.Name).Should().Equal("type", "title", "status", "detail", "reason", "idempotencyKey", "traceId");
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/unknown-meter");
        problem.GetProperty("title").GetString().Should().Be("The usage record was rejected.");
        problem.GetProperty("status").GetInt32().Should().Be(422);
        problem.GetProperty("detail").GetString().Should().Be("Meter 'gpu' is not defined; define it at startup (e.g. Meter.Sum(\"gpu\")) or record against an existing meter key (keys are case-sensitive).");
        problem.GetProperty("reason").GetString().Should().Be("UnknownMeter");
        problem.GetProperty("idempotencyKey").GetString().Should().Be("req-7");
    }

    [Fact]
    public async Task MeteringExceptionFromAnyEndpoint_GoesThroughTheExceptionHandler()
    {
        await using var app = new MeteringApp();
        using var client = app.ClientFor("acme");

        var response = await client.PostAsync("/invoices/inv_missing/void", content: null);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await MeteringApp.JsonOf(response);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/not-found");
        problem.GetProperty("title").GetString().Should().Be("Not found.");
        problem.GetProperty("status").GetInt32().Should().Be(404);
        problem.GetProperty("detail").GetString().Should().Contain("inv_missing");
        problem.GetProperty("errorCode").GetString().Should().Be("NotFound");
        problem.GetProperty("retryable").GetBoolean().Should().BeFalse();
    }

    [Theory]
    [InlineData(UsageRejectionReason.UnknownMeter, 422, "unknown-meter")]
    [InlineData(UsageRejectionReason.NoActiveSubscription, 422, "no-active-subscription")]
    [InlineData(UsageRejectionReason.PeriodClosed, 422, "period-closed")]
    [InlineData(UsageRejectionReason.InsufficientCredits, 402, "insufficient-credits")]
    [InlineData(UsageRejectionReason.UsageLimitReached, 402, "usage-limit-reached")]
    [InlineData(UsageRejectionReason.IdempotencyKeyConflict, 409, "idempotency-key-conflict")]
    public void Rejections_MapToStatusAndStableType(UsageRejectionReason reason, int status, string slug)
    {
        var problem = MeteringProblemDetails.ForRejection(new UsageRejection(reason, "why"), "k");

        problem.Status.Should().Be(status);
        problem.Type.Should().Be("https://metering.dev/problems/" + slug);
        problem.Detail.Should().Be("why");
        problem.Extensions.Should().Contain("reason", reason.ToString()).And.Contain("idempotencyKey", "k");
    }

    [Theory]
    [InlineData(MeteringErrorCode.InvalidArgument, 400, "invalid-argument")]
    [InlineData(MeteringErrorCode.NotFound, 404, "not-found")]
    [InlineData(MeteringErrorCode.AlreadyExists, 409, "already-exists")]
    [InlineData(MeteringErrorCode.InvalidState, 409, "invalid-state")]
    [InlineData(MeteringErrorCode.ConcurrencyConflict, 409, "concurrency-conflict")]
    [InlineData(MeteringErrorCode.StoreUnavailable, 503, "store-unavailable")]
    [InlineData(MeteringErrorCode.Configuration, 500, "configuration")]
    public void Errors_MapToStatusAndStableType(MeteringErrorCode code, int status, string slug)
    {
        var problem = MeteringProblemDetails.ForException(new MeteringException(code, "what and how to fix it"));

        problem.Status.Should().Be(status);
        problem.Type.Should().Be("https://metering.dev/problems/" + slug);
        problem.Extensions.Should().Contain("errorCode", code.ToString());
    }
}
