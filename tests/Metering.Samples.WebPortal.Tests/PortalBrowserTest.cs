using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Metering.Samples.WebPortal.Tests;

/// <summary>
/// The portal in a real browser (Debian's chromium driven by Playwright) against the app on Kestrel: the numbers a
/// merchant and the operator see, after usage arrives and after they click, checked against totals computed by hand.
/// </summary>
public sealed class PortalBrowserTest : IAsyncLifetime
{
    private readonly KestrelPortalFactory _factory = new();
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _baseUrl = null!;

    /// <summary>Where the screenshot of the last page is saved (a test artifact).</summary>
    public static string ScreenshotPath => Path.Combine(AppContext.BaseDirectory, "artifacts", "portal.png");

    public async ValueTask InitializeAsync()
    {
        _factory.StartServer();
        using var client = _factory.CreateClient();
        _baseUrl = client.BaseAddress!.ToString().TrimEnd('/');
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _factory.DisposeAsync();
    }

    // Browsers cannot be downloaded here: Debian's chromium package (CI installs it), or METERING_CHROMIUM.
    private static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("METERING_CHROMIUM") is { Length: > 0 } set ? set : "/usr/bin/chromium";
        File.Exists(path).Should().BeTrue($"the browser tests drive chromium at {path}; install Debian's chromium package (apt-get install chromium) or set METERING_CHROMIUM");
        return path;
    }

    // Through the portal's JSON API (Metering.AspNetCore), as the shipping backend would; the last package is sent
    // twice, like a client retrying after a timeout, and counted once.
    private async Task RecordPackagesAsync(int count, string keyPrefix)
    {
        using var client = _factory.CreateClient();
        for (int i = 0; i <= count; i++)
        {
            var key = $"{keyPrefix}-{Math.Min(i, count - 1)}";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metering/usage")
            {
                Content = new StringContent($$"""{"customerId":"kingston-parcels","meterKey":"packages","quantity":1,"timestamp":"2026-03-16T17:00:00Z"}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", key);
            request.Headers.Add(Portal.CustomerHeader, "kingston-parcels");
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, body);
            body.Should().Contain(i < count ? "\"kind\":\"Accepted\"" : "\"kind\":\"Duplicate\"");
        }
    }

    [Fact]
    public async Task Merchant_SeesUsageArrive_ChangesPlan_AndTheOperatorApprovesADraft()
    {
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 1600 } });
        await page.GotoAsync(_baseUrl + "/");
        await page.GetByTestId("customer-kingston-parcels").ClickAsync();

        // 1 to 16 March: 2,999.00 + 80 packages × 50.00 + 4 returns × 100.00.
        await Assertions.Expect(page.GetByTestId("running-bill-total")).ToHaveTextAsync("7,399.00 JMD");
        await Assertions.Expect(page.GetByTestId("chart-packages")).ToHaveAttributeAsync("data-total", "80");

        // Three packages ship now (noon on 16 March): 83 packages, 7,549.00; today's bar grows from 5 to 8.
        await RecordPackagesAsync(3, "browser-pkg");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("running-bill-total")).ToHaveTextAsync("7,549.00 JMD");
        await Assertions.Expect(page.GetByTestId("usage-packages")).ToHaveTextAsync("83");
        await Assertions.Expect(page.Locator("rect[data-date='2026-03-16']").First).ToHaveAttributeAsync("data-quantity", "8");

        // Moving to Starter invoices 1-16 March on Pro: half the period (372 of 744 hours) of the base fee, 1,499.50,
        // + 83 × 50.00 + 4 × 100.00 = 6,049.50; Starter then runs the other half: 999.00 × 0.5 = 499.50 so far.
        await page.GetByTestId("plan-select").SelectOptionAsync("shipping-starter");
        await page.GetByTestId("change-plan").ClickAsync();
        await Assertions.Expect(page.GetByTestId("notice")).ToContainTextAsync("6,049.50 JMD");
        await Assertions.Expect(page.GetByTestId("plan")).ToHaveTextAsync("Shipping Starter");
        await Assertions.Expect(page.GetByTestId("running-bill-total")).ToHaveTextAsync("499.50 JMD");

        // The operator sees both drafts (invoices are held for review) and approves Montego's February: 799.00.
        await page.GotoAsync(_baseUrl + "/operator");
        var montego = page.Locator("tr", new PageLocatorOptions { HasText = "Montego Freight" });
        var kingston = page.Locator("tr", new PageLocatorOptions { HasText = "Kingston Parcels Ltd" });
        await Assertions.Expect(montego).ToContainTextAsync("799.00 JMD");
        await Assertions.Expect(kingston).ToContainTextAsync("6,049.50 JMD");
        await montego.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("notice")).ToContainTextAsync("approved: 799.00 JMD");
        await Assertions.Expect(page.Locator("tr", new PageLocatorOptions { HasText = "Montego Freight" })).ToHaveCountAsync(0);

        await page.GotoAsync(_baseUrl + "/customers/montego-freight");
        await Assertions.Expect(page.Locator("tr", new PageLocatorOptions { HasText = "799.00 JMD" }).First).ToContainTextAsync("Finalized");

        // The finalized invoice reaches the outbox through the event handler (delivered in the background).
        using (var delivered = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            delivered.CancelAfter(TimeSpan.FromSeconds(30));
            await _factory.Services.GetRequiredService<EmailOutbox>().WhenSentAsync(e => e.To == "Montego Freight" && e.Subject.Contains("is ready", StringComparison.Ordinal), delivered.Token);
        }

        await page.GotoAsync(_baseUrl + "/outbox");
        var ready = page.Locator("tr", new PageLocatorOptions { HasText = "Montego Freight" }).Filter(new LocatorFilterOptions { HasText = "is ready" });
        await Assertions.Expect(ready).ToHaveCountAsync(1);

        await page.GotoAsync(_baseUrl + "/customers/kingston-parcels");
        Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath, FullPage = true });
        new FileInfo(ScreenshotPath).Length.Should().BeGreaterThan(10_000, "the screenshot of the portal page was saved");
    }
}

/// <summary>The seeded portal on Kestrel, on a free loopback port, for the browser.</summary>
public sealed class KestrelPortalFactory : PortalFactoryBase
{
    /// <summary>Serves on a port the OS picks.</summary>
    public KestrelPortalFactory() => UseKestrel(0);
}
