namespace Metering.Tests.Pricing;

using Metering;

public class PlanTest
{
    private static PlanBuilder Starter() =>
        Plan.Create("starter", Currency.USD, BillingInterval.Months(1))
            .WithDisplayName("Starter")
            .WithBaseFee(29m)
            .WithTrialDays(14)
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m, includedUnits: 1_000m))
            .WithCharge("storage_gb", PricingModel.Package(10m, 1m), o => o.DisplayName = "Storage")
            .WithFeature(Feature.On("sso"))
            .WithFeature(Feature.Limited("max_seats", 10m));

    [Fact]
    public void Build_ValidDefinition_KeepsEveryField()
    {
        var plan = Starter().Build();

        plan.Key.Should().Be("starter");
        plan.Version.Should().Be(1);
        plan.Currency.Should().Be(Currency.USD);
        plan.Interval.Should().Be(BillingInterval.Months(1));
        plan.BaseFee.Should().Be(29m);
        plan.BaseFeePerSeat.Should().BeFalse();
        plan.TrialDays.Should().Be(14);
        plan.DisplayName.Should().Be("Starter");
        plan.WhenCreditsRunOut.Should().Be(CreditOverflow.Overage);
        plan.Charges.Select(c => c.Key).Should().Equal("api_calls", "storage_gb");
        plan.Charges[0].MeterKey.Should().Be("api_calls");
        plan.Charges[0].Filter.Should().BeEmpty();
        plan.Charges[1].Label.Should().Be("Storage");
        plan.Features.Should().Equal(new Feature("sso", true), new Feature("max_seats", true, 10m));
        plan.FindFeature("max_seats")!.Limit.Should().Be(10m);
    }

    [Fact]
    public void ChargesForMeter_FilteredCharges_FoundAndMatchProperties()
    {
        var plan = Plan.Create("regional", Currency.EUR, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m), o => { o.Key = "api_calls_eu"; o.Where("region", "eu"); })
            .WithCharge("api_calls", PricingModel.PerUnit(0.003m), o => { o.Key = "api_calls_us"; o.Where("region", "us"); o.BurnsCreditsInRealTime = true; })
            .WhenCreditsRunOut(CreditOverflow.Block)
            .Build();

        var charges = plan.ChargesForMeter("api_calls");
        charges.Select(c => c.Key).Should().Equal("api_calls_eu", "api_calls_us");
        plan.ChargesForMeter("other").Should().BeEmpty();
        plan.FindCharge("api_calls_us")!.BurnsCreditsInRealTime.Should().BeTrue();
        plan.FindCharge("api_calls").Should().BeNull();
        plan.WhenCreditsRunOut.Should().Be(CreditOverflow.Block);

        var eu = new Dictionary<string, string> { ["region"] = "eu", ["tier"] = "x" };
        charges[0].Matches(eu).Should().BeTrue();
        charges[1].Matches(eu).Should().BeFalse();
        charges[0].Matches(null).Should().BeFalse();
    }

    [Fact]
    public void Charge_WithoutFilter_MatchesEveryRecord()
    {
        Starter().Build().Charges[0].Matches(null).Should().BeTrue();
    }

    [Fact]
    public void Build_FilterWithoutKey_NamesChargeAndFix()
    {
        var act = () => Plan.Create("regional", Currency.EUR, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m), o => o.Where("region", "eu"))
            .Build();

        act.Should().Throw<InvalidPlanException>()
            .WithMessage("Plan 'regional' is not valid: Charge 1 (meter 'api_calls') has a filter but no key; set options.Key*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("starter plan")]
    [InlineData("stärter")]
    [InlineData("a/b")]
    public void Build_BadPlanKey_NamesKeyAndPattern(string key)
    {
        var act = () => Plan.Create(key, Currency.USD, BillingInterval.Months(1)).Build();

        act.Should().Throw<InvalidPlanException>().WithMessage($"*The plan key '{key}' is not valid; use 1 to 64 letters, digits*");
    }

    [Fact]
    public void Build_KeyOf65Characters_Rejected()
    {
        var act = () => Plan.Create(new string('a', 65), Currency.USD, BillingInterval.Months(1)).Build();

        act.Should().Throw<InvalidPlanException>();
        Plan.Create(new string('a', 64), Currency.USD, BillingInterval.Months(1)).Build().Key.Should().HaveLength(64);
    }

    [Fact]
    public void Build_UpperCaseAndPunctuationInKey_Accepted()
    {
        Plan.Create("Pro-2025.v2_eu", Currency.EUR, BillingInterval.Years(1)).Build().Key.Should().Be("Pro-2025.v2_eu");
    }

    [Fact]
    public void Build_DuplicateChargeKeys_NamesKeyAndFix()
    {
        var act = () => Plan.Create("starter", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m))
            .WithCharge("api_calls", PricingModel.PerUnit(2m))
            .Build();

        act.Should().Throw<InvalidPlanException>()
            .WithMessage("Plan 'starter' is not valid: Charge 2 (meter 'api_calls'): charge key 'api_calls' is already used in this plan; give each charge*own options.Key*");
    }

    [Fact]
    public void Build_DuplicateFeatureKeys_NamesFeature()
    {
        var act = () => Plan.Create("starter", Currency.USD, BillingInterval.Months(1))
            .WithFeature(Feature.On("sso"))
            .WithFeature(Feature.Limited("SSO", 3m))
            .Build();

        act.Should().Throw<InvalidPlanException>().WithMessage("*Feature 'SSO' is listed twice*");
    }

    [Fact]
    public void Build_NegativeBaseFeeAndTrial_ReportsBothProblems()
    {
        var act = () => Plan.Create("starter", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(-1m)
            .WithTrialDays(-7)
            .Build();

        var error = act.Should().Throw<InvalidPlanException>().Which;
        error.PlanKey.Should().Be("starter");
        error.Problems.Should().HaveCount(2);
        error.Message.Should().Contain("Base fee -1 is negative; use 0 for no base fee").And.Contain("Trial of -7 days is negative; use 0 for no trial");
    }

    [Fact]
    public void Build_NegativeFeatureLimit_Rejected()
    {
        var act = () => Plan.Create("starter", Currency.USD, BillingInterval.Months(1)).WithFeature(Feature.Limited("max_seats", -1m)).Build();

        act.Should().Throw<InvalidPlanException>().WithMessage("*Feature 'max_seats' has limit -1*");
    }

    [Fact]
    public void Build_VersionBelowOne_Throws()
    {
        FluentActions.Invoking(() => Starter().Build(0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => Starter().Build().WithVersion(0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void DefinitionEquals_SameDefinitionOtherVersion_True()
    {
        var v1 = Starter().Build();
        var v2 = Starter().Build(2);

        v1.DefinitionEquals(v2).Should().BeTrue();
        v1.WithVersion(3).Version.Should().Be(3);
        v1.WithVersion(3).DefinitionEquals(v1).Should().BeTrue();
    }

    [Fact]
    public void DefinitionEquals_FeaturesInOtherOrder_True()
    {
        var a = Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithFeature(Feature.On("sso")).WithFeature(Feature.On("audit")).Build();
        var b = Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithFeature(Feature.On("audit")).WithFeature(Feature.On("sso")).Build();

        a.DefinitionEquals(b).Should().BeTrue();
    }

    [Fact]
    public void DefinitionEquals_ChangedPricingOrFee_False()
    {
        var original = Starter().Build();
        var repriced = Starter().WithCharge("seats", PricingModel.PerUnit(5m)).Build();
        var refeed = Starter().WithBaseFee(39m).Build();
        var otherTiers = Plan.Create("t", Currency.USD, BillingInterval.Months(1)).WithCharge("m", PricingModel.Graduated([new(10m, 1m), new(null, 0.5m)])).Build();
        var sameTiers = Plan.Create("t", Currency.USD, BillingInterval.Months(1)).WithCharge("m", PricingModel.Graduated([new(10m, 1m), new(null, 0.5m)])).Build();
        var volumeTiers = Plan.Create("t", Currency.USD, BillingInterval.Months(1)).WithCharge("m", PricingModel.Volume([new(10m, 1m), new(null, 0.5m)])).Build();

        original.DefinitionEquals(repriced).Should().BeFalse();
        original.DefinitionEquals(refeed).Should().BeFalse();
        otherTiers.DefinitionEquals(sameTiers).Should().BeTrue();
        otherTiers.DefinitionEquals(volumeTiers).Should().BeFalse();
    }

    [Fact]
    public void DefinitionEquals_DifferentFilterValue_False()
    {
        static Plan WithRegion(string region) => Plan.Create("p", Currency.EUR, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m), o => { o.Key = "calls"; o.Where("region", region); })
            .Build();

        WithRegion("eu").DefinitionEquals(WithRegion("eu")).Should().BeTrue();
        WithRegion("eu").DefinitionEquals(WithRegion("us")).Should().BeFalse();
    }

    [Fact]
    public void Build_BuilderChangedAfterwards_PublishedPlanUnchanged()
    {
        var builder = Starter();
        var plan = builder.Build();

        builder.WithCharge("extra", PricingModel.PerUnit(1m)).WithBaseFee(99m);

        plan.Charges.Should().HaveCount(2);
        plan.BaseFee.Should().Be(29m);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_000_000_000_000_001)]
    public void Build_LimitPerPeriodNotPositiveOrBeyondTheBound_NamesTheCharge(long limit)
    {
        var act = () => Plan.Create("p", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m), c => c.LimitPerPeriod = limit)
            .Build();

        act.Should().Throw<InvalidPlanException>().WithMessage("*LimitPerPeriod*above 0*");
    }

    [Fact]
    public void DefinitionEquals_DifferentLimitPerPeriod_IsAnotherDefinition()
    {
        Plan Capped(decimal? limit) => Plan.Create("p", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m), c => c.LimitPerPeriod = limit)
            .Build();

        Capped(100m).DefinitionEquals(Capped(100m)).Should().BeTrue();
        Capped(100m).DefinitionEquals(Capped(200m)).Should().BeFalse("a changed limit publishes a new plan version");
        Capped(100m).DefinitionEquals(Capped(null)).Should().BeFalse();
    }
}
