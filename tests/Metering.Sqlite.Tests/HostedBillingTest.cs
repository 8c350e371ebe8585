using Metering.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Metering.Sqlite.Tests;

/// <summary>
/// The "done" scenario: a minimal <see cref="IHost"/> with AddMetering + RunInBackground + SQLite bills a month
/// unattended (the test only moves a test clock and a fake time provider), a poisoned subscription cannot stop the
/// others, and disposing the host loses no acknowledged record.
/// </summary>
public sealed class HostedBillingTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Instant February = Instant.FromUtc(2026, 2, 1, 0, 0);
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2); // not a speed assertion: a stuck worker would hang the test

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BackgroundHost_MonthOnSqliteWithAPoisonedSubscription_BillsTheOthersUnattended()
    {
        using var db = new TempDatabase();
        var clock = new TestClock(Start);
        var time = new FakeTimeProvider();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IClock>(clock);
        builder.Services.AddSingleton<TimeProvider>(time);
        var metering = builder.Services
            .AddMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
                .WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(2.00m)).Build()))
            .UseSqlite(db.Path)
            .RunInBackground(o => o.Jitter = 0);
        FaultInjectingStore.Install(metering, s => s.CloseFault = id => id == "sub-poisoned" ? new InvalidOperationException("corrupt row") : null);

        using (var host = builder.Build())
        {
            await host.StartAsync(Ct);
            var status = host.Services.GetRequiredService<MeteringBackgroundStatus>();
            await status.WaitForCloseRunAsync(0, Ct).WaitAsync(HangGuard, Ct);
            var subscriptions = host.Services.GetRequiredService<ISubscriptionService>();
            var recorder = host.Services.GetRequiredService<IUsageRecorder>();
            foreach (var customer in new[] { "good-1", "good-2", "poisoned" })
            {
                await subscriptions.CreateCustomerAsync(customer, customer, "UTC", Ct);
                await subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customer, PlanKey = "standard", SubscriptionId = "sub-" + customer }, Ct);
            }

            // Every day of January: one call per customer; the worker runs daily meanwhile and finds nothing due.
            for (int day = 0; day < 31; day++)
            {
                clock.AdvanceTo(Start + Duration.FromDays(day) + Duration.FromHours(12));
                foreach (var customer in new[] { "good-1", "good-2", "poisoned" })
                {
                    (await recorder.RecordAsync(new UsageRecord(customer, "api_calls", 1m, clock.Now, $"{customer}-{day}"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);
                }

                long runs = status.CloseRuns;
                time.Advance(TimeSpan.FromMinutes(1));
                await status.WaitForCloseRunAsync(runs, Ct).WaitAsync(HangGuard, Ct);
                status.LastCloseReport!.Invoices.Should().BeEmpty();
            }

            clock.AdvanceTo(February + Duration.FromHours(1));
            long before = status.CloseRuns;
            time.Advance(TimeSpan.FromMinutes(1));
            await status.WaitForCloseRunAsync(before, Ct).WaitAsync(HangGuard, Ct);

            var report = status.LastCloseReport!;
            report.Invoices.Select(i => i.CustomerId).Should().BeEquivalentTo(["good-1", "good-2"]);
            report.Invoices.Should().OnlyContain(i => i.Total == new Money(72.00m, Currency.USD)); // 10.00 + 31 × 2.00
            report.Failed.Should().ContainSingle().Which.SubscriptionId.Should().Be("sub-poisoned");

            // Acknowledged after the close: must survive the host's shutdown and disposal.
            (await recorder.RecordAsync(new UsageRecord("good-1", "api_calls", 5m, clock.Now, "good-1-feb"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);
            await host.StopAsync(Ct);
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        (await reopened.ListInvoicesAsync("good-1", null, 10, Ct)).Items.Should().ContainSingle();
        (await reopened.ListInvoicesAsync("poisoned", null, 10, Ct)).Items.Should().BeEmpty();
        (await reopened.GetAggregatesAsync("sub-good-1", February, Ct)).Single().Aggregate.Quantity.Should().Be(5m);
    }
}
