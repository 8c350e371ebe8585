using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Metering.AspNetCore.Tests;

/// <summary>The problem details examples in docs/aspnetcore.md are what the app answers, member for member.</summary>
public class DocumentedProblemsTest
{
    [Fact]
    public async Task DocumentedRejectedUsage_IsWhatTheIngestEndpointAnswers()
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
        await ShouldMatchDocumentAsync(response, "A rejected usage record:");
    }

    [Fact]
    public async Task DocumentedStoreOutage_IsWhatAMeteredEndpointAnswers()
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("acme", "pro");
        using var client = app.ClientFor("acme");
        app.Store.Unavailable = true;
        var request = new HttpRequestMessage(HttpMethod.Get, "/search");
        request.Headers.Add("Idempotency-Key", "s-1");

        var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        await ShouldMatchDocumentAsync(response, "A store outage:");
    }

    private static async Task ShouldMatchDocumentAsync(HttpResponseMessage response, string anchor)
    {
        var actual = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        actual.Remove("traceId").Should().BeTrue("ASP.NET Core adds the trace id");
        var documented = JsonNode.Parse(Block(anchor))!;
        JsonNode.DeepEquals(actual, documented).Should().BeTrue($"the answer {actual.ToJsonString()} is documented as {documented.ToJsonString()}");
        actual.Select(p => p.Key).Should().Equal(documented.AsObject().Select(p => p.Key), "members are written in the documented order");
    }

    private static string Block(string anchor)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "aspnetcore.md"));
        var at = text.IndexOf(anchor, StringComparison.Ordinal);
        at.Should().BeGreaterThan(0, $"docs/aspnetcore.md has '{anchor}'");
        var start = text.IndexOf("```json", at, StringComparison.Ordinal) + "```json".Length;
        var end = text.IndexOf("```", start, StringComparison.Ordinal);
        return text[start..end];
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Metering.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Metering.sln above {AppContext.BaseDirectory}.");
    }
}
