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
