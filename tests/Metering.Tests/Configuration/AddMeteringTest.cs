namespace Metering.Tests.Configuration;

using Metering;
using Metering.Storage;
using Metering.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

public class AddMeteringTest
{
    private static Plan Basic(decimal fee) => Plan.Create("basic", Currency.USD, BillingInterval.Months(1))
        .WithBaseFee(fee)
        .WithCharge("calls", PricingModel.PerUnit(0.01m))
        .Build();

    [Fact]
    public void BadOptions_FailAtStartup_NamingEverySetting()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(new TestClock(Instant.FromUtc(2026, 1, 1, 0, 0)));
        services.AddMetering(o =>
        {
            o.GracePeriod = Duration.FromHours(100);
            o.DefaultTimeZone = "Mars/Olympus";
            o.AddPlan(Basic(10m));
        });
        using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptions<MeteringOptions>>().Value;

        act.Should().Throw<OptionsValidationException>()
            .Which.Failures.Should().HaveCount(3)
            .And.Contain(f => f.Contains("GracePeriod") && f.Contains("72 hours"))
            .And.Contain(f => f.Contains("DefaultTimeZone") && f.Contains("Mars/Olympus"))
            .And.Contain(f => f.Contains("'calls'") && f.Contains("AddMeter"));
    }

    [Fact]
    public void BadDurations_ArePrintedAsPeopleWriteThem()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(new TestClock(Instant.FromUtc(2026, 1, 1, 0, 0)));
        services.AddMetering(o =>
        {
            o.GracePeriod = Duration.FromHours(73);
            o.FutureTolerance = Duration.FromMinutes(90);
            o.MaxBackdatedStart = -Duration.FromDays(366);
            o.CloseRetryDelay = Duration.FromMilliseconds(500);
            o.EntitlementGracePeriod = -Duration.FromHours(1);
        });
        using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptions<MeteringOptions>>().Value;

        act.Should().Throw<OptionsValidationException>()
            .Which.Failures.Should().BeEquivalentTo(
            [
                "MeteringOptions.GracePeriod must be between 0 and 72 hours, but was 3 days 1 hour.",
                "MeteringOptions.FutureTolerance must be between 0 and 1 hour, but was 1 hour 30 minutes.",
                "MeteringOptions.MaxBackdatedStart must be between 0 and 3653 days (10 years), but was -366 days.",
                "MeteringOptions.CloseRetryDelay must be between 1 second and 1 day, but was 500 milliseconds.",
                "MeteringOptions.EntitlementGracePeriod must be between 0 and 90 days, but was -1 hour.",
            ]);
    }

    [Theory]
    [InlineData(false, "0.01")]
    [InlineData(true, "0.00")]
    public async Task Rounding_IsTheCalculatorsRoundingPolicy_AppliedToEachInvoiceLine(bool halfEven, string expected)
    {
        // One call at 0.005 USD: half-up bills a cent, banker's rounding bills nothing.
        await using var billing = TestMetering.Create(o =>
        {
            o.AddMeter(Meter.Sum("calls")).AddPlan(Plan.Create("metered", Currency.USD, BillingInterval.Months(1))
                .WithCharge("calls", PricingModel.PerUnit(0.005m))
                .Build());
            if (halfEven)
            {
                o.Rounding = RoundingPolicy.HalfEven;
            }
        });
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", TestContext.Current.CancellationToken);
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "metered", SubscriptionId = "s1" }, TestContext.Current.CancellationToken);
        await billing.Recorder.RecordAsync(new UsageRecord("c1", "calls", 1m, billing.Clock.Now, "k1"), TestContext.Current.CancellationToken);

        var report = await billing.AdvanceToPeriodEndAsync("s1", TestContext.Current.CancellationToken);

        report.Invoices.Single().Total.Amount.Should().Be(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AddMetering_Twice_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection();
        services.AddMetering();
        services.AddMetering().UseInMemoryStore();

        services.Count(d => d.ServiceType == typeof(IUsageRecorder)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IMeteringStore)).Should().Be(1);
        services.Single(d => d.ServiceType == typeof(IMeteringStore)).ImplementationType.Should().Be<InMemoryMeteringStore>();
    }

    [Fact]
    public async Task RestartWithSameDefinitions_IsNoOp_ChangedPlanBecomesNewVersion()
    {
        var store = new InMemoryMeteringStore();
        var start = Instant.FromUtc(2026, 1, 1, 0, 0);
        void Declare(MeteringOptions o, decimal fee) => o.AddMeter(Meter.Sum("calls")).AddPlan(Basic(fee));

        await using (var first = TestMetering.Create(o => Declare(o, 10m), start, b => b.UseStore(_ => store)))
        {
            await first.Subscriptions.CreateCustomerAsync("c1");
            (await first.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "basic", SubscriptionId = "s1" })).PlanVersion.Should().Be(1);
        }

        await using (var same = TestMetering.Create(o => Declare(o, 10m), start, b => b.UseStore(_ => store)))
        {
            await same.Subscriptions.ListAsync("c1");
            (await store.FindPlanAsync("basic", null, CancellationToken.None))!.Version.Should().Be(1);
        }

        await using var changed = TestMetering.Create(o => Declare(o, 12m), start, b => b.UseStore(_ => store));
        await changed.Subscriptions.ListAsync("c1");

        var latest = await store.FindPlanAsync("basic", null, CancellationToken.None);
        latest!.Version.Should().Be(2);
        latest.BaseFee.Should().Be(12m);
        (await changed.Subscriptions.GetAsync("s1"))!.PlanVersion.Should().Be(1, "existing subscriptions keep their version until migrated");
        (await changed.Invoices.PreviewAsync("s1")).Total.Should().Be(new Money(10m, Currency.USD));
    }
}
