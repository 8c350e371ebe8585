using System.Net;

namespace Metering.AspNetCore.Tests;

public class MeterUsageTest
{
    private static HttpRequestMessage Request(HttpMethod method, string path, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    [Fact]
    public async Task MeteredEndpoint_CountsEachRequestOnce_EvenWhenRetriedLater()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");

        var first = await client.SendAsync(Request(HttpMethod.Get, "/search", "s-1"));
        app.Clock.Advance(Duration.FromMinutes(3));
        var retry = await client.SendAsync(Request(HttpMethod.Get, "/search", "s-1"));
        var other = await client.SendAsync(Request(HttpMethod.Get, "/search", "s-2"));

        // The endpoint runs every time; the retry is not billed again: s-1 once + s-2 once = 2.
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        retry.StatusCode.Should().Be(HttpStatusCode.OK);
        other.StatusCode.Should().Be(HttpStatusCode.OK);
        (await MeteringApp.JsonOf(retry)).GetProperty("hits").GetInt32().Should().Be(3);
        (await app.Usage.GetCurrentAsync(subscriptionId))["api_calls"].Quantity.Should().Be(2m);
    }

    [Fact]
    public async Task SameClientKey_ForTwoCustomers_CountsForEach()
    {
        await using var app = new MeteringApp();
        var acme = await app.SubscribeAsync("acme", "pro");
        var globex = await app.SubscribeAsync("globex", "pro");

        using (var client = app.ClientFor("acme"))
        {
            (await client.SendAsync(Request(HttpMethod.Get, "/search", "k"))).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using (var client = app.ClientFor("globex"))
        {
            (await client.SendAsync(Request(HttpMethod.Get, "/search", "k"))).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await app.Usage.GetCurrentAsync(acme))["api_calls"].Quantity.Should().Be(1m);
        (await app.Usage.GetCurrentAsync(globex))["api_calls"].Quantity.Should().Be(1m);
    }

    [Fact]
    public async Task NoIdempotencyKey_Is422_AndTheEndpointDoesNotRun()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");

        var response = await client.SendAsync(Request(HttpMethod.Get, "/search", null));

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await MeteringApp.JsonOf(response);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/missing-idempotency-key");
        problem.TryGetProperty("hits", out _).Should().BeFalse();
        (await app.Usage.GetCurrentAsync(subscriptionId))["api_calls"].Quantity.Should().Be(0m);
    }

    [Fact]
    public async Task UnresolvedCustomer_Is401()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor(null);

        var response = await client.SendAsync(Request(HttpMethod.Get, "/search", "s-1"));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await MeteringApp.JsonOf(response)).GetProperty("type").GetString().Should().Be("https://metering.dev/problems/customer-unresolved");
    }

    [Fact]
    public async Task InsufficientCredits_Is402_AndTheEndpointDoesNotRun()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        await app.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "acme", Amount = new Money(1.20m, Currency.USD), Category = CreditCategory.Paid });
        using var client = app.ClientFor("acme");

        // 2 generations × 0.50 = 1.00 of 1.20; a third (0.50) is more than the 0.20 left.
        var allowed = await client.SendAsync(Request(HttpMethod.Post, "/generate?n=2", "g-1"));
        var blocked = await client.SendAsync(Request(HttpMethod.Post, "/generate?n=1", "g-2"));

        allowed.StatusCode.Should().Be(HttpStatusCode.OK);
        blocked.StatusCode.Should().Be(HttpStatusCode.PaymentRequired);
        var problem = await MeteringApp.JsonOf(blocked);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/insufficient-credits");
        problem.GetProperty("status").GetInt32().Should().Be(402);
        problem.GetProperty("reason").GetString().Should().Be("InsufficientCredits");
        problem.GetProperty("idempotencyKey").GetString().Should().Be("g-2");
        problem.TryGetProperty("hits", out _).Should().BeFalse();
        (await app.Usage.GetCurrentAsync(subscriptionId))["generations"].Quantity.Should().Be(2m);
        (await app.Credits.GetBalancesAsync("acme")).Single().Remaining.Should().Be(0.20m);
    }

    [Fact]
    public async Task StoreUnavailable_Is503_Retryable_WithoutTheStoresMessage()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");
        app.Store.Unavailable = true;

        var response = await client.SendAsync(Request(HttpMethod.Get, "/search", "s-1"));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var problem = await MeteringApp.JsonOf(response);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/store-unavailable");
        problem.GetProperty("errorCode").GetString().Should().Be("StoreUnavailable");
        problem.GetProperty("retryable").GetBoolean().Should().BeTrue();
        problem.TryGetProperty("detail", out _).Should().BeFalse("the store's message describes the server, not the request");
    }

    [Fact]
    public async Task MvcAttribute_MetersTheAction()
    {
        await using var app = new MeteringApp();
        var subscriptionId = await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");

        var first = await client.SendAsync(Request(HttpMethod.Get, "/mvc/search", "m-1"));
        var missingKey = await client.SendAsync(Request(HttpMethod.Get, "/mvc/search", null));

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        (await MeteringApp.JsonOf(first)).GetProperty("hits").GetInt32().Should().Be(5);
        missingKey.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        missingKey.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await MeteringApp.JsonOf(missingKey)).GetProperty("type").GetString().Should().Be("https://metering.dev/problems/missing-idempotency-key");

        // Quantity = 2 per call, one call counted.
        (await app.Usage.GetCurrentAsync(subscriptionId))["api_calls"].Quantity.Should().Be(2m);
    }
}
