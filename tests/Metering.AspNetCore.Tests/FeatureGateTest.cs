using System.Net;

namespace Metering.AspNetCore.Tests;

public class FeatureGateTest
{
    [Theory]
    [InlineData("/exports")]
    [InlineData("/mvc/exports")]
    public async Task EntitledCustomer_GetsThrough_OthersGet403(string path)
    {
        await using var app = new MeteringApp();
        await app.SubscribeAsync("pro-customer", "pro");
        await app.SubscribeAsync("basic-customer", "basic");
        using var pro = app.ClientFor("pro-customer");
        using var basic = app.ClientFor("basic-customer");

        var allowed = await pro.GetAsync(path);
        var denied = await basic.GetAsync(path);

        allowed.StatusCode.Should().Be(HttpStatusCode.OK);
        denied.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        denied.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await MeteringApp.JsonOf(denied);
        problem.GetProperty("type").GetString().Should().Be("https://metering.dev/problems/feature-not-entitled");
        problem.GetProperty("featureKey").GetString().Should().Be("exports");
        problem.GetProperty("detail").GetString().Should().Be("Customer 'basic-customer' has no active plan that grants feature 'exports'; move to a plan that includes it.");
    }
}
