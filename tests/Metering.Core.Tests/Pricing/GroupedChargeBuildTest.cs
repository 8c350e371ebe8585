namespace Metering.Tests.Pricing;

using Metering;

/// <summary>Building a plan with a grouped charge: the grouping is checked against the meter.</summary>
public class GroupedChargeBuildTest
{
    private static readonly Meter Calls = Meter.Sum("api_calls").WithGroupBy("region", "model");

    private static PlanBuilder Starter() => Plan.Create("starter", Currency.USD, BillingInterval.Months(1));

    [Fact]
    public void GroupedBy_DeclaredProperties_IsKeptInOrder()
    {
        var plan = Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m), o => o.GroupedBy("model", "region")).Build();

        plan.Charges[0].GroupBy.Should().Equal("model", "region");
        plan.HasGroupedCharges.Should().BeTrue();
    }

    [Fact]
    public void NoGrouping_IsEmpty()
    {
        var plan = Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m)).Build();

        plan.Charges[0].GroupBy.Should().BeEmpty();
        plan.HasGroupedCharges.Should().BeFalse();
    }

    [Fact]
    public void GroupedBy_PropertyTheMeterDoesNotDeclare_FailsNamingIt()
    {
        var act = () => Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m), o => o.GroupedBy("project")).Build();

        act.Should().Throw<InvalidPlanException>()
            .Which.Problems.Should().ContainSingle()
            .Which.Should().Contain("groups by 'project', which meter 'api_calls' does not declare")
            .And.Contain("'region', 'model'")
            .And.Contain("Meter.WithGroupBy(\"project\")");
    }

    [Fact]
    public void GroupedBy_MeterWithoutGroupBy_FailsSayingItDeclaresNone()
    {
        var act = () => Starter().WithCharge(Meter.Sum("api_calls"), PricingModel.PerUnit(0.10m), o => o.GroupedBy("region")).Build();

        act.Should().Throw<InvalidPlanException>().WithMessage("*'region'*does not declare (its group-by properties: none)*");
    }

    [Fact]
    public void GroupedBy_Twice_TooMany_OrBlank_AreProblems()
    {
        var meter = Meter.Sum("m").WithGroupBy("a", "b", "c", "d", "e");

        Action twice = () => Starter().WithCharge(meter, PricingModel.PerUnit(1m), o => { o.GroupBy.Add("a"); o.GroupBy.Add("a"); }).Build();
        Action tooMany = () => Starter().WithCharge(meter, PricingModel.PerUnit(1m), o => o.GroupedBy("a", "b", "c", "d", "e")).Build();
        Action blank = () => Starter().WithCharge(meter, PricingModel.PerUnit(1m), o => o.GroupBy.Add(" ")).Build();

        twice.Should().Throw<InvalidPlanException>().WithMessage("*groups by 'a' twice*");
        tooMany.Should().Throw<InvalidPlanException>().WithMessage("*groups by 5 properties; the limit is 4*");
        blank.Should().Throw<InvalidPlanException>().WithMessage("*group-by property 1 is blank*");
    }

    [Fact]
    public void WithCharge_ByMeterKey_CannotCheckTheMeter_ButCheckGroupByAgainstDoes()
    {
        var plan = Starter().WithCharge("api_calls", PricingModel.PerUnit(0.10m), o => o.GroupedBy("project")).Build();

        var act = () => plan.CheckGroupByAgainst([Calls]);

        act.Should().Throw<InvalidPlanException>().WithMessage("*'api_calls'*groups by 'project', which meter 'api_calls' does not declare*");
        plan.CheckGroupByAgainst([]); // meter unknown here: not checked
        Starter().WithCharge("api_calls", PricingModel.PerUnit(0.10m), o => o.GroupedBy("region")).Build().CheckGroupByAgainst([Calls]);
    }

    [Fact]
    public void Grouping_IsPartOfTheDefinition()
    {
        var plain = Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m)).Build();
        var byRegion = Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m), o => o.GroupedBy("region")).Build();
        var byModel = Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m), o => o.GroupedBy("model")).Build();

        plain.DefinitionEquals(byRegion).Should().BeFalse();
        byRegion.DefinitionEquals(byModel).Should().BeFalse();
        byRegion.DefinitionEquals(Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m), o => o.GroupedBy("region")).Build()).Should().BeTrue();
    }

    [Fact]
    public void CheckGroupValues_ValueOverTheLimit_IsRejectedNamingTheProperty()
    {
        var plan = Starter().WithCharge(Calls, PricingModel.PerUnit(0.10m), o => o.GroupedBy("region")).Build();
        UsageRecord Record(string region) => new("cus_1", "api_calls", 1m, Instant.FromUtc(2026, 1, 1, 0, 0), "k1", Properties: new Dictionary<string, string> { ["region"] = region });

        UsageRecordRules.CheckGroupValues(Record(new string('x', MeteringLimits.MaxGroupValueLength)), plan).Should().BeNull();
        var rejection = UsageRecordRules.CheckGroupValues(Record(new string('x', MeteringLimits.MaxGroupValueLength + 1)), plan);

        rejection.Should().NotBeNull();
        rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidRecord);
        rejection.Value.Message.Should().Contain("'region' is 129 characters long").And.Contain("at most 128");
        UsageRecordRules.CheckGroupValues(new UsageRecord("cus_1", "api_calls", 1m, Instant.FromUtc(2026, 1, 1, 0, 0), "k2"), plan).Should().BeNull();
    }
}
