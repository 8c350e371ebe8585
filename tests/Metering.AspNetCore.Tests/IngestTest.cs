using System.Net;
using System.Text.Json;
using System.Text;

namespace Metering.AspNetCore.Tests;

public class IngestTest
{
    private static HttpRequestMessage Post(string path, string json, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    private const string FiveCalls = """{"customerId":"acme","meterKey":"api_calls","quantity":5,"timestamp":"2026-03-01T10:00:00Z"}""";

    [Fact]
    public async Task SameIdempotencyKeyTwice_IsCountedOnce_200BothTimes_SecondDuplicate()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");

        var first = await client.SendAsync(Post("/metering/usage", FiveCalls, "req-1"));
        var retry = await client.SendAsync(Post("/metering/usage", FiveCalls, "req-1"));

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        retry.StatusCode.Should().Be(HttpStatusCode.OK);
        (await MeteringApp.JsonOf(first)).GetProperty("kind").GetString().Should().Be("Accepted");
        var duplicate = await MeteringApp.JsonOf(retry);
        duplicate.GetProperty("kind").GetString().Should().Be("Duplicate");
        duplicate.GetProperty("subscriptionId").GetString().Should().Be(subscriptionId);
        duplicate.GetProperty("periodStart").GetString().Should().Be("2026-03-01T00:00:00Z");

        // 5 calls, once.
        (await app.Usage.GetCurrentAsync(subscriptionId))["api_calls"].Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task SameIdempotencyKey_DifferentBody_Is409Problem_AndCountsNothingMore()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");
        (await client.SendAsync(Post("/metering/usage", FiveCalls, "req-1"))).StatusCode.Should().Be(HttpStatusCode.OK);

        var response = await client.SendAsync(Post("/metering/usage", FiveCalls.Replace("\"quantity\":5", "\"quantity\":6", StringComparison.Ordinal), "req-1"));

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await MeteringApp.JsonOf(response);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/idempotency-key-conflict");
        problem.GetProperty("status").GetInt32().Should().Be(409);
        problem.GetProperty("reason").GetString().Should().Be("IdempotencyKeyConflict");
        problem.GetProperty("idempotencyKey").GetString().Should().Be("req-1");
        problem.GetProperty("detail").GetString().Should().StartWith("Idempotency key 'req-1' was already used for a record with different content");
        (await app.Usage.GetCurrentAsync(subscriptionId))["api_calls"].Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task KeyInBodyOrHeader_BothWork_ButTwoDifferentKeys_Are422()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");
        var withKey = FiveCalls.Replace("}", ",\"idempotencyKey\":\"body-1\"}", StringComparison.Ordinal);

        (await client.SendAsync(Post("/metering/usage", withKey))).StatusCode.Should().Be(HttpStatusCode.OK);
        var sameKeyInHeader = await client.SendAsync(Post("/metering/usage", withKey, "body-1"));
        (await MeteringApp.JsonOf(sameKeyInHeader)).GetProperty("kind").GetString().Should().Be("Duplicate");

        var differing = await client.SendAsync(Post("/metering/usage", withKey, "header-1"));
        differing.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await MeteringApp.JsonOf(differing)).GetProperty("type").GetString().Should().Be("https://metering.dev/problems/invalid-record");
        (await app.Usage.GetCurrentAsync(subscriptionId))["api_calls"].Quantity.Should().Be(5m);
    }

    [Fact]
    public async Task UnknownMeter_Is422_WithTheRejectionsMessage()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");

        var response = await client.SendAsync(Post("/metering/usage", FiveCalls.Replace("api_calls", "gpu_seconds", StringComparison.Ordinal), "req-9"));

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await MeteringApp.JsonOf(response);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/unknown-meter");
        problem.GetProperty("reason").GetString().Should().Be("UnknownMeter");
        problem.GetProperty("detail").GetString().Should().Be(UsageRejection.UnknownMeter("gpu_seconds").Message);
    }

    [Fact]
    public async Task MalformedBody_Is400Problem()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");

        var response = await client.SendAsync(Post("/metering/usage", """{"customerId":"acme","meterKey":"api_calls","quantity":5}""", "req-1"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await MeteringApp.JsonOf(response);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/invalid-argument");
        problem.GetProperty("detail").GetString().Should().Contain("timestamp");
    }

    [Fact]
    public async Task RecordForAnotherCustomer_Is403()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        await app.SubscribeAsync("globex", "pro");
        using var client = app.ClientFor("globex");

        var response = await client.SendAsync(Post("/metering/usage", FiveCalls, "req-1"));

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await MeteringApp.JsonOf(response)).GetProperty("type").GetString().Should().Be("https://metering.dev/problems/customer-mismatch");
    }

    [Fact]
    public async Task Batch_GivesEachItemItsOutcome_InOrder_AndStoresTheValidOnes()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");
        const string batch = """
            [{"customerId":"acme","meterKey":"api_calls","quantity":50,"timestamp":"2026-03-01T10:00:00Z","idempotencyKey":"b-1"},
             {"customerId":"acme","meterKey":"gpu_seconds","quantity":1,"timestamp":"2026-03-01T10:00:00Z","idempotencyKey":"b-2"},
             {"customerId":"acme","meterKey":"api_calls","quantity":70,"timestamp":"2026-03-01T10:00:01Z","idempotencyKey":"b-3"}]
            """;

        var first = await client.SendAsync(Post("/metering/usage/batch", batch));
        var retry = await client.SendAsync(Post("/metering/usage/batch", batch));

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var firstJson = await MeteringApp.JsonOf(first);
        var outcomes = firstJson.EnumerateArray().Select(o => o.GetProperty("kind").GetString()).ToList();
        outcomes.Should().Equal("Accepted", "Rejected", "Accepted");
        var retried = (await MeteringApp.JsonOf(retry)).EnumerateArray().Select(o => o.GetProperty("kind").GetString()).ToList();
        retried.Should().Equal("Duplicate", "Rejected", "Duplicate");
        var typed = firstJson.Deserialize<UsageOutcome[]>(MeteringApp.Json)!;
        typed[1].Reason.Should().Be(UsageRejectionReason.UnknownMeter);
        typed[0].SubscriptionId.Should().Be(subscriptionId);

        // 50 + 70 = 120, once.
        (await app.Usage.GetCurrentAsync(subscriptionId))["api_calls"].Quantity.Should().Be(120m);
    }
}
