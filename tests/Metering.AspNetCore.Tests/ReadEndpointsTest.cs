using System.Net;
using System.Text;
using System.Text.Json;

namespace Metering.AspNetCore.Tests;

public class ReadEndpointsTest
{
    private const string Batch = """
        [{"customerId":"initech","meterKey":"api_calls","quantity":50,"timestamp":"2026-03-01T10:00:00Z","idempotencyKey":"r-1"},
         {"customerId":"initech","meterKey":"api_calls","quantity":50,"timestamp":"2026-03-01T11:00:00Z","idempotencyKey":"r-2"},
         {"customerId":"initech","meterKey":"api_calls","quantity":50,"timestamp":"2026-03-01T12:00:00Z","idempotencyKey":"r-3"}]
        """;

    private static async Task<string> SetUpUsageAsync(MeteringApp app, HttpClient client)
    {
        var subscriptionId = await app.SubscribeAsync("initech", "basic");
        var response = await client.PostAsync("/metering/usage/batch", new StringContent(Batch, Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return subscriptionId;
    }

    [Fact]
    public async Task CurrentUsage_IsTheDocumentedCurrentUsageShape_WithItsEstimate()
    {
        await using var app = new MeteringApp();
        using var client = app.ClientFor("initech");
        var subscriptionId = await SetUpUsageAsync(app, client);

        var response = await client.GetAsync("/metering/usage");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var usage = (await MeteringApp.JsonOf(response)).EnumerateArray().Single();
        usage.EnumerateObject().Select(p => p.Name).Should().Equal("subscriptionId", "period", "usage", "estimate", "groups");
        usage.GetProperty("subscriptionId").GetString().Should().Be(subscriptionId);
        usage.GetProperty("period").GetRawText().Should().Be("""{"index":0,"start":"2026-03-01T00:00:00Z","end":"2026-04-01T00:00:00Z"}""");
        var calls = usage.GetProperty("usage").EnumerateArray().Single();
        calls.GetProperty("meterKey").GetString().Should().Be("api_calls");
        calls.GetProperty("quantity").GetDecimal().Should().Be(150m);
        calls.GetProperty("status").GetString().Should().Be("Current");

        // 150 calls × 0.02 = 3.00 USD.
        usage.GetProperty("estimate").GetProperty("total").GetRawText().Should().Be("""{"amount":"3.00","currency":"USD"}""");
        var typed = usage.Deserialize<CurrentUsage>(MeteringApp.Json)!;
        typed.Estimate.Total.Should().Be(new Money(3.00m, Currency.USD));
    }

    [Fact]
    public async Task Invoices_ArePagedInvoices_OneById_AndOthersAre404()
    {
        await using var app = new MeteringApp();
        using var client = app.ClientFor("initech");
        await SetUpUsageAsync(app, client);
        await app.SubscribeAsync("acme", "pro");
        app.Clock.AdvanceTo(Instant.FromUtc(2026, 4, 1, 2, 0));
        await app.PeriodCloser.CloseDueAsync();

        var page = await MeteringApp.JsonOf(await client.GetAsync("/metering/invoices?limit=5"));
        page.GetProperty("nextCursor").ValueKind.Should().Be(JsonValueKind.Null);
        var invoice = page.GetProperty("items").EnumerateArray().Single();
        invoice.GetProperty("customerId").GetString().Should().Be("initech");
        invoice.GetProperty("content").GetProperty("total").GetRawText().Should().Be("""{"amount":"3.00","currency":"USD"}""");
        var invoiceId = invoice.GetProperty("invoiceId").GetString()!;
        page.Deserialize<Page<Invoice>>(MeteringApp.Json)!.Items.Single().Content.Total.Should().Be(new Money(3.00m, Currency.USD));

        var byId = await client.GetAsync($"/metering/invoices/{invoiceId}");
        byId.StatusCode.Should().Be(HttpStatusCode.OK);
        (await MeteringApp.JsonOf(byId)).GetProperty("invoiceId").GetString().Should().Be(invoiceId);

        // Another customer's invoice is not found, like an unknown one.
        using var other = app.ClientFor("acme");
        var foreign = await other.GetAsync($"/metering/invoices/{invoiceId}");
        foreign.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var unknown = await client.GetAsync("/metering/invoices/inv_nope");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var problem = await MeteringApp.JsonOf(unknown);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/not-found");
        problem.GetProperty("errorCode").GetString().Should().Be("NotFound");
        problem.GetProperty("retryable").GetBoolean().Should().BeFalse();

        var badLimit = await client.GetAsync("/metering/invoices?limit=many");
        badLimit.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await MeteringApp.JsonOf(badLimit)).GetProperty("type").GetString().Should().Be("https://metering.dev/problems/invalid-argument");
    }

    [Fact]
    public async Task Credits_BalancesAndLedger_AreTheDocumentedShapes()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        await app.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "acme", Amount = new Money(5.00m, Currency.USD), Category = CreditCategory.Paid, GrantId = "grant-1" });
        using var client = app.ClientFor("acme");
        var generate = new HttpRequestMessage(HttpMethod.Post, "/generate?n=3");
        generate.Headers.Add("Idempotency-Key", "g-1");
        (await client.SendAsync(generate)).StatusCode.Should().Be(HttpStatusCode.OK);

        var balances = await MeteringApp.JsonOf(await client.GetAsync("/metering/credits/balances"));
        var ledger = await MeteringApp.JsonOf(await client.GetAsync("/metering/credits/transactions?limit=1"));
        var rest = await MeteringApp.JsonOf(await client.GetAsync($"/metering/credits/transactions?cursor={Uri.EscapeDataString(ledger.GetProperty("nextCursor").GetString()!)}"));

        // 5.00 granted, 3 × 0.50 = 1.50 burned, 3.50 left.
        var usd = balances.EnumerateArray().Single();
        usd.GetProperty("unit").GetString().Should().Be("USD");
        usd.GetProperty("granted").GetDecimal().Should().Be(5.00m);
        usd.GetProperty("consumed").GetDecimal().Should().Be(1.50m);
        usd.GetProperty("remaining").GetDecimal().Should().Be(3.50m);
        ledger.GetProperty("items").EnumerateArray().Single().GetProperty("type").GetString().Should().Be("Grant");
        var consumption = rest.GetProperty("items").EnumerateArray().Single();
        consumption.GetProperty("type").GetString().Should().Be("Consumption");
        rest.GetProperty("nextCursor").ValueKind.Should().Be(JsonValueKind.Null);
        rest.Deserialize<Page<CreditTransaction>>(MeteringApp.Json)!.Items.Single().Type.Should().Be(CreditTransactionType.Consumption);
    }

    [Fact]
    public async Task StoreUnavailable_Is503_OnReads()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");
        app.Store.Unavailable = true;

        var response = await client.GetAsync("/metering/credits/balances");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await MeteringApp.JsonOf(response)).GetProperty("type").GetString().Should().Be("https://metering.dev/problems/store-unavailable");
    }

    [Fact]
    public async Task UnresolvedCustomer_Is401_OnReads()
    {
        await using var app = new MeteringApp();
        using var client = app.ClientFor(null);

        var response = await client.GetAsync("/metering/invoices");

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
