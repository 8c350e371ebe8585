using Metering.Storage.Conformance;
using Metering.Tests.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Metering.Tests.Hosting;

/// <summary>
/// <c>RunInBackground()</c> in a real <see cref="IHost"/>: "now" comes from a test clock, waits from a fake time provider,
/// so nothing here depends on wall-clock speed. Each test waits for a worker run through <see cref="MeteringBackgroundStatus"/>.
/// </summary>
public sealed class BackgroundWorkerTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Instant February = Instant.FromUtc(2026, 2, 1, 0, 0);

    // A hang guard, not a speed assertion: a worker that never runs would leave the test waiting forever.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record TestHost(IHost Host, TestClock Clock, FakeTimeProvider Time, CapturingLoggerProvider Logs) : IAsyncDisposable
    {
        public MeteringBackgroundStatus Status => Host.Services.GetRequiredService<MeteringBackgroundStatus>();

        public T Get<T>()
            where T : notnull => Host.Services.GetRequiredService<T>();

        public async Task NextCloseRunAsync(Action? before = null)
        {
            long runs = Status.CloseRuns;
            before?.Invoke();
            await Status.WaitForCloseRunAsync(runs, Ct).WaitAsync(HangGuard, Ct);
        }

        public async ValueTask DisposeAsync()
        {
            await Host.StopAsync(Ct);
            Host.Dispose();
        }
    }

    private static async Task<TestHost> StartHostAsync(Action<MeteringBuilder>? store = null, Action<MeteringBackgroundOptions>? background = null)
    {
        var clock = new TestClock(Start);
        var time = new FakeTimeProvider();
        var logs = new CapturingLoggerProvider();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<IClock>(clock);
        builder.Services.AddSingleton<TimeProvider>(time);
        var metering = builder.Services
            .AddMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
                .WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(2.00m)).Build()))
            .RunInBackground(o =>
            {
                o.Jitter = 0;
                background?.Invoke(o);
            });
        store?.Invoke(metering);
        var host = builder.Build();
        var started = new TestHost(host, clock, time, logs);
        await host.StartAsync(Ct);
        await started.Status.WaitForCloseRunAsync(0, Ct).WaitAsync(HangGuard, Ct); // the run at startup
        return started;
    }

    [Fact]
    public async Task MovingTheClockPastPeriodEndAndGrace_TheWorkerInvoices_WithoutTheHostCallingTheCloser()
    {
        await using var host = await StartHostAsync();
        var subscriptions = host.Get<ISubscriptionService>();
        await subscriptions.CreateCustomerAsync("c1", "c1", "UTC", Ct);
        var sub = await subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" }, Ct);
        (await host.Get<IUsageRecorder>().RecordAsync(new UsageRecord("c1", "api_calls", 3m, Start, "k1"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // Past the period end but inside the grace window: a run closes nothing yet.
        host.Clock.AdvanceTo(February + Duration.FromMinutes(30));
        await host.NextCloseRunAsync(() => host.Time.Advance(TimeSpan.FromMinutes(1)));
        host.Status.LastCloseReport!.Invoices.Should().BeEmpty();

        host.Clock.AdvanceTo(February + Duration.FromHours(1));
        await host.NextCloseRunAsync(() => host.Time.Advance(TimeSpan.FromMinutes(1)));

        var invoice = host.Status.LastCloseReport!.Invoices.Should().ContainSingle().Subject;
        invoice.SubscriptionId.Should().Be(sub.SubscriptionId);
        invoice.Total.Should().Be(new Money(16.00m, Currency.USD)); // 10.00 + 3 × 2.00
        (await host.Get<IInvoiceService>().ListAsync("c1", cancellationToken: Ct)).Items.Should().ContainSingle();
        host.Status.LastCloseRunAt.Should().Be(February + Duration.FromHours(1));
        host.Logs.Entries.Should().Contain(e => e.EventId == 1101 && e.Message.Contains("period-close"));
        host.Logs.Entries.Should().Contain(e => e.EventId == 2001 && e.Message.Contains("1 invoices"));
    }

    [Fact]
    public async Task WorkerWaitsForItsInterval_NotRunningBeforeIt()
    {
        await using var host = await StartHostAsync(background: o => o.CloseInterval = TimeSpan.FromMinutes(10));
        long runs = host.Status.CloseRuns;

        host.Time.Advance(TimeSpan.FromMinutes(9));
        var early = host.Status.CloseRuns;
        await host.NextCloseRunAsync(() => host.Time.Advance(TimeSpan.FromMinutes(1)));

        early.Should().Be(runs, "the fake time has not reached the interval yet");
        host.Status.CloseRuns.Should().Be(runs + 1);
    }

    [Fact]
    public async Task ARunFailingAsAWhole_IsLoggedAndReported_AndTheNextRunGoesOn()
    {
        FaultInjectingStore? faults = null;
        bool storeDown = false;
        await using var host = await StartHostAsync(b =>
        {
            b.UseInMemoryStore();
            FaultInjectingStore.Install(b, s => faults = s);
        });
        var subscriptions = host.Get<ISubscriptionService>();
        await subscriptions.CreateCustomerAsync("c1", "c1", "UTC", Ct);
        await subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" }, Ct);
        faults!.CloseFault = _ => storeDown ? new InvalidOperationException("store down") : null;
        storeDown = true;
        host.Clock.AdvanceTo(February + Duration.FromHours(1));

        await host.NextCloseRunAsync(() => host.Time.Advance(TimeSpan.FromMinutes(1)));
        host.Status.LastCloseReport!.Failed.Should().ContainSingle().Which.Reason.Should().Be("store down");
        host.Logs.Entries.Should().ContainSingle(e => e.EventId == 2002 && e.Level == LogLevel.Error && e.Message.Contains("retry after"));

        storeDown = false;
        host.Clock.Advance(Duration.FromMinutes(1));
        await host.NextCloseRunAsync(() => host.Time.Advance(TimeSpan.FromMinutes(1)));

        host.Status.LastCloseReport!.Invoices.Should().ContainSingle();
        host.Logs.Entries.Should().ContainSingle(e => e.EventId == 2004);
    }

    [Fact]
    public async Task InvalidBackgroundOptions_FailAtStartup_NamingTheSetting()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMetering().RunInBackground(o =>
        {
            o.CloseInterval = TimeSpan.Zero;
            o.Jitter = 2;
        });
        using var host = builder.Build();

        var start = async () => await host.StartAsync(Ct);

        var error = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        error.Message.Should().Contain("MeteringBackgroundOptions.CloseInterval must be between 1 second and 1 day, but was 0 seconds.")
            .And.Contain("MeteringBackgroundOptions.Jitter");
    }

    [Fact]
    public void WithoutARegisteredClock_TheSystemClockIsTheDefault_AndARegisteredOneWins()
    {
        using var defaults = new ServiceCollection().AddMetering().Services.BuildServiceProvider();
        var testClock = new TestClock(Start);
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(testClock);
        services.AddMetering();
        using var custom = services.BuildServiceProvider();

        defaults.GetRequiredService<IClock>().Should().BeSameAs(SystemClock.Instance);
        custom.GetRequiredService<IClock>().Should().BeSameAs(testClock);
    }
}
