using System.Net;
using System.Text.RegularExpressions;

namespace Metering.Samples.WebPortal.Tests;

/// <summary>
/// The seeded portal's pages, read over HTTP, against figures computed by hand from the seed: Kingston Parcels on
/// Shipping Pro (2,999.00 + 50.00 per package + 100.00 per return) ships 5 packages a day and has a return every 4th
/// day; Montego Freight on Shipping Starter (999.00 + 75.00 + 150.00) ships 2 a day, a return every 7th day, and has
/// 5,000.00 of welcome credits. Both started on 1 February (Kingston time); now is 16 March, noon.
/// </summary>
public sealed class PortalPagesTest : IAsyncLifetime
{
    private readonly PortalFactory _factory = new();
    private HttpClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _client = _factory.CreateClient(new() { AllowAutoRedirect = false });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    private static string TestId(string html, string testId)
    {
        var match = Regex.Match(html, $"data-testid=\"{Regex.Escape(testId)}\"[^>]*>([^<]*)<");
        match.Success.Should().BeTrue($"the page has an element {testId}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [Fact]
    public async Task KingstonParcels_ShowsFebruarysInvoice_TheRunningBill_AndTheDailyChart()
    {
        var html = await _client.GetStringAsync(new Uri("/customers/kingston-parcels", UriKind.Relative), TestContext.Current.CancellationToken);

        // February: 28 days × 5 = 140 packages (7,000.00), returns on days 0, 4, ..., 24 = 7 (700.00), base 2,999.00.
        html.Should().Contain("2026-02-01 – 2026-03-01").And.Contain(">10,699.00 JMD<").And.Contain(">Finalized<");
        // March 1 to 16: 16 × 5 = 80 packages (4,000.00); returns on days 28, 32, 36, 40 = 4 (400.00); base 2,999.00.
        TestId(html, "running-bill-total").Should().Be("7,399.00 JMD");
        TestId(html, "usage-packages").Should().Be("80");
        TestId(html, "usage-returns").Should().Be("4");
        TestId(html, "plan").Should().Be("Shipping Pro");
        TestId(html, "period").Should().Be("2026-03-01 – 2026-04-01");
        html.Should().Contain("data-testid=\"chart-packages\" data-total=\"80\"");
        Regex.Matches(html, "<rect class=\"bar\" data-date=\"2026-03-").Count.Should().Be(32, "16 days for each of the two meters");
        html.Should().Contain("data-date=\"2026-03-16\" data-quantity=\"5\"").And.Contain("data-date=\"2026-03-05\" data-quantity=\"1\"");
        html.Should().Contain("No credits.");
    }

    [Fact]
    public async Task MontegoFreight_HasADraftPaidByItsWelcomeCredits_AndTheOperatorSeesIt()
    {
        var html = await _client.GetStringAsync(new Uri("/customers/montego-freight", UriKind.Relative), TestContext.Current.CancellationToken);
        var drafts = await _client.GetStringAsync(new Uri("/operator", UriKind.Relative), TestContext.Current.CancellationToken);

        // February: 999.00 + 56 × 75.00 + 4 × 150.00 (days 0, 7, 14, 21) = 5,799.00, less 5,000.00 of credits = 799.00.
        html.Should().Contain(">799.00 JMD<").And.Contain(">Draft<").And.Contain(">5,000.00 JMD<");
        // March 1 to 16: 999.00 + 32 × 75.00 + 3 × 150.00 (days 28, 35, 42: 1, 8 and 15 March) = 3,849.00.
        TestId(html, "running-bill-total").Should().Be("3,849.00 JMD");
        drafts.Should().Contain("Montego Freight").And.Contain(">799.00 JMD<").And.NotContain("Kingston Parcels Ltd");
    }

    [Fact]
    public async Task Forms_RefuseAPostWithoutItsAntiforgeryToken_AndUnknownCustomersAre404()
    {
        using var form = new FormUrlEncodedContent([new("planKey", "shipping-starter")]);
        var post = await _client.PostAsync(new Uri("/customers/kingston-parcels/plan", UriKind.Relative), form, TestContext.Current.CancellationToken);
        var missing = await _client.GetAsync(new Uri("/customers/nobody", UriKind.Relative), TestContext.Current.CancellationToken);

        post.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var page = await _client.GetStringAsync(new Uri("/customers/kingston-parcels", UriKind.Relative), TestContext.Current.CancellationToken);
        TestId(page, "plan").Should().Be("Shipping Pro", "the refused post changed nothing");
    }

    [Fact]
    public async Task JsonApi_AnswersForTheHeadersCustomer_WithProblemDetailsForRejections()
    {
        async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string? customer, string? json = null, string? key = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
            {
                request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            }

            if (customer is not null)
            {
                request.Headers.Add(Portal.CustomerHeader, customer);
            }

            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }

            using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var usage = await SendAsync(HttpMethod.Get, "/api/metering/usage", "kingston-parcels");
        var anonymous = await SendAsync(HttpMethod.Get, "/api/metering/usage", null);
        var unknownMeter = await SendAsync(HttpMethod.Post, "/api/metering/usage", "kingston-parcels", """{"customerId":"kingston-parcels","meterKey":"pallets","quantity":1,"timestamp":"2026-03-16T17:00:00Z"}""", "k-1");

        usage.Status.Should().Be(HttpStatusCode.OK);
        usage.Body.Should().Contain("\"subscriptionId\":\"sub-kingston-parcels\"").And.Contain("\"total\":{\"amount\":\"7399.00\",\"currency\":\"JMD\"}", "the running bill of 7,399.00 JMD");
        anonymous.Status.Should().Be(HttpStatusCode.Unauthorized);
        anonymous.Body.Should().Contain("https://metering.dev/problems/customer-unresolved");
        unknownMeter.Status.Should().Be((HttpStatusCode)422);
        unknownMeter.Body.Should().Contain("\"type\":\"https://metering.dev/problems/unknown-meter\"").And.Contain("\"idempotencyKey\":\"k-1\"");
    }
}
