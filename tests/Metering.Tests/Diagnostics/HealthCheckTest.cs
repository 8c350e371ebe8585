using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metering.Tests.Diagnostics;

/// <summary><c>AddHealthChecks().AddMetering()</c>: store reachable, close backlog (README lists the names).</summary>
public sealed class HealthCheckTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Instant February = Instant.FromUtc(2026, 2, 1, 0, 0);

    private static TestMetering Create(Action<MeteringBuilder> health) => TestMetering.Create(
        o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).Build()),
        Start,
        b =>
        {
            b.Services.AddLogging(); // the health-check service logs; every host has logging
            health(b);
        });

    [Fact]
    public async Task CloseBacklog_IsDegradedOnlyWhileAPeriodIsOverdueBeyondTheThreshold()
    {
        await using var billing = Create(b => b.AddHealthChecks(o => o.CloseBacklogThreshold = TimeSpan.FromHours(2)));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", SubscriptionId = "sub-1" });
        var health = billing.Services.GetRequiredService<HealthCheckService>();

        var fresh = await health.CheckHealthAsync();
        // Due (past end + 1 h grace) but not yet overdue beyond the 2 h threshold.
        billing.Clock.AdvanceTo(February + Duration.FromHours(3));
        var atThreshold = await health.CheckHealthAsync();
        billing.Clock.Advance(Duration.FromMinutes(1));
        var overdue = await health.CheckHealthAsync();
        await billing.PeriodCloser.CloseDueAsync();
        var closed = await health.CheckHealthAsync();

        fresh.Status.Should().Be(HealthStatus.Healthy);
        fresh.Entries.Keys.Should().BeEquivalentTo(["metering.store", "metering.close_backlog"]);
        atThreshold.Status.Should().Be(HealthStatus.Healthy);
        overdue.Status.Should().Be(HealthStatus.Degraded);
        overdue.Entries["metering.close_backlog"].Description.Should().Contain("sub-1").And.Contain("RunInBackground");
        overdue.Entries["metering.store"].Status.Should().Be(HealthStatus.Healthy);
        closed.Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task HealthChecksBuilderExtension_RegistersTheSameChecksOnce_WithTags()
    {
        await using var billing = Create(b => b.Services.AddHealthChecks().AddMetering(tags: ["ready"]).AddMetering());
        var health = billing.Services.GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync(r => r.Tags.Contains("ready"));

        report.Status.Should().Be(HealthStatus.Healthy);
        report.Entries.Should().HaveCount(2).And.OnlyContain(e => e.Value.Tags.Contains("metering") && e.Value.Tags.Contains("ready"));
    }
}
