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
        fresh.Entries.Keys.Should().BeEquivalentTo(["metering.store", "metering.close_backlog", "metering.event_delivery"]);
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
        report.Entries.Should().HaveCount(3).And.OnlyContain(e => e.Value.Tags.Contains("metering") && e.Value.Tags.Contains("ready"));
    }

    [Fact]
    public async Task EventDelivery_IsDegradedWhileAnEventWaitsBeyondTheThreshold_OrIsParked()
    {
        var failing = 1;
        await using var billing = Create(b => b
            .AddHealthChecks(o => o.EventDeliveryLagThreshold = TimeSpan.FromMinutes(10))
            .ConfigureEventDelivery(o => o.PollInterval = TimeSpan.FromMilliseconds(10))
            .AddEventHandler("mailer", (d, _, _) => Volatile.Read(ref failing) == 1 ? throw new InvalidOperationException("smtp down") : ValueTask.CompletedTask, o => o.MaxAttempts = 1));
        var health = billing.Services.GetRequiredService<HealthCheckService>();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", SubscriptionId = "sub-1" });

        var waiting = await health.CheckHealthAsync();
        billing.Clock.Advance(Duration.FromMinutes(11));
        var stuck = await health.CheckHealthAsync();
        await billing.StartHostedServicesAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((await billing.Events.ListParkedAsync(cancellationToken: guard.Token)).Items.Count == 0)
        {
            await Task.Delay(10, guard.Token);
        }

        var parked = await health.CheckHealthAsync();
        Volatile.Write(ref failing, 0);
        await billing.Events.RedeliverAllAsync("mailer");
        while ((await billing.Events.ListParkedAsync(cancellationToken: guard.Token)).Items.Count > 0)
        {
            await Task.Delay(10, guard.Token);
        }

        var recovered = await health.CheckHealthAsync();

        waiting.Entries["metering.event_delivery"].Status.Should().Be(HealthStatus.Healthy, "the activation event is pending, but not for 10 minutes yet");
        stuck.Entries["metering.event_delivery"].Status.Should().Be(HealthStatus.Degraded);
        stuck.Entries["metering.event_delivery"].Description.Should().Contain("handler 'mailer' has not handled event SubscriptionActivated:sub-1");
        parked.Entries["metering.event_delivery"].Status.Should().Be(HealthStatus.Degraded);
        parked.Entries["metering.event_delivery"].Description.Should().Contain("1 events are parked for handler 'mailer'").And.Contain("IEventDeliveryService");
        recovered.Entries["metering.event_delivery"].Status.Should().Be(HealthStatus.Healthy);
    }
}
