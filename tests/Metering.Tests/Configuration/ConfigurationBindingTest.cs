using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metering.Tests.Configuration;

/// <summary><c>AddMetering(configuration.GetSection("Metering"))</c>: TimeSpan text for durations, errors name the key.</summary>
public sealed class ConfigurationBindingTest
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Metering:" + v.Key, v.Value)))
            .Build()
            .GetSection("Metering");

    [Fact]
    public void Settings_BindFromConfiguration_DurationsAsTimeSpanText()
    {
        var services = new ServiceCollection();
        services.AddMetering(
            Section(("GracePeriod", "02:00:00"), ("FutureTolerance", "00:10:00"), ("CloseRetryDelay", "00:00:30"), ("InvoiceApproval", "Manual"),
                ("Rounding", "ToEven"), ("CloseBatchSize", "50"), ("SubscriptionCacheCapacity", "2500"), ("DefaultTimeZone", "Europe/Paris"), ("LowCreditBalanceThresholds:credits", "100.5"),
                ("Background:CloseInterval", "00:05:00"), ("Background:Jitter", "0.25")),
            o => o.AddMeter(Meter.Sum("api_calls"))).RunInBackground();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<MeteringOptions>>().Value;
        var background = provider.GetRequiredService<IOptions<MeteringBackgroundOptions>>().Value;

        options.GracePeriod.Should().Be(Duration.FromHours(2));
        options.FutureTolerance.Should().Be(Duration.FromMinutes(10));
        options.CloseRetryDelay.Should().Be(Duration.FromSeconds(30));
        options.InvoiceApproval.Should().Be(InvoiceApproval.Manual);
        options.Rounding.Should().Be(RoundingPolicy.HalfEven);
        options.CloseBatchSize.Should().Be(50);
        options.SubscriptionCacheCapacity.Should().Be(2_500);
        options.DefaultTimeZone.Should().Be("Europe/Paris");
        options.LowCreditBalanceThresholds["credits"].Should().Be(100.5m);
        options.Meters.Should().ContainSingle("code declarations still apply");
        background.CloseInterval.Should().Be(TimeSpan.FromMinutes(5));
        background.Jitter.Should().Be(0.25);
    }

    [Fact]
    public void DefaultCreditRateCard_BindsFromConfiguration_AndABlankOrNonRateCardKeyFailsNamingIt()
    {
        var services = new ServiceCollection();
        services.AddMetering(Section(("DefaultCreditRateCard", "api_credits")));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IOptions<MeteringOptions>>().Value.DefaultCreditRateCard.Should().Be("api_credits");

        var plan = Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1m)).Build();
        var wrong = new ServiceCollection();
        wrong.AddMetering(o =>
        {
            o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan);
            o.DefaultCreditRateCard = "standard";
        });
        using var wrongProvider = wrong.BuildServiceProvider();
        var resolve = () => wrongProvider.GetRequiredService<IOptions<MeteringOptions>>().Value;
        resolve.Should().Throw<OptionsValidationException>().Which.Failures
            .Should().Contain(f => f.Contains("MeteringOptions.DefaultCreditRateCard names plan 'standard', which is not a credit rate card") && f.Contains("AsCreditRateCard"));

        var blank = new ServiceCollection();
        blank.AddMetering(o => o.DefaultCreditRateCard = " ");
        using var blankProvider = blank.BuildServiceProvider();
        var resolveBlank = () => blankProvider.GetRequiredService<IOptions<MeteringOptions>>().Value;
        resolveBlank.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.Contains("MeteringOptions.DefaultCreditRateCard is blank"));
    }

    [Fact]
    public void InvalidConfiguration_FailsAtStartup_NamingEachKey()
    {
        var services = new ServiceCollection();
        services.AddMetering(Section(("GracePeriod", "two hours"), ("InvoiceApproval", "Sometimes"), ("GracePeriodd", "01:00:00"), ("CloseConcurrency", "0"), ("SubscriptionCacheCapacity", "-1")));
        using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<MeteringOptions>>().Value;

        var error = resolve.Should().Throw<OptionsValidationException>().Which;
        error.Failures.Should().Contain(f => f.Contains("'Metering:GracePeriod' = 'two hours'") && f.Contains("01:00:00"));
        error.Failures.Should().Contain(f => f.Contains("'Metering:InvoiceApproval'") && f.Contains("Automatic, Manual"));
        error.Failures.Should().Contain(f => f.Contains("'Metering:GracePeriodd' is not a Metering setting"));
        error.Failures.Should().Contain(f => f.Contains("MeteringOptions.CloseConcurrency"));
        error.Failures.Should().Contain(f => f.Contains("MeteringOptions.SubscriptionCacheCapacity") && f.Contains("but was -1"));
    }

    [Fact]
    public void InvalidBackgroundConfiguration_NamesTheKey()
    {
        var services = new ServiceCollection();
        services.AddMetering(Section(("Background:CloseInterval", "soon"))).RunInBackground();
        using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<MeteringBackgroundOptions>>().Value;

        resolve.Should().Throw<InvalidOperationException>().WithMessage("*Metering:Background:CloseInterval*");
    }
}
