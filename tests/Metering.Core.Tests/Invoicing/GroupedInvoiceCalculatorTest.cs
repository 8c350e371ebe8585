namespace Metering.Tests.Invoicing;

using Metering;

/// <summary>A grouped charge is priced per group and billed one line per group.</summary>
public class GroupedInvoiceCalculatorTest
{
    private static readonly BillingPeriod April = new(3, Instant.FromUtc(2025, 4, 1, 0, 0), Instant.FromUtc(2025, 5, 1, 0, 0));
    private static readonly InvoiceCalculator Calculator = new();
    private static readonly Meter Calls = Meter.Count("api_calls").WithGroupBy("region", "model");

    private static Plan GroupedPlan(PricingModel pricing, params string[] groupBy) =>
        Plan.Create("api", Currency.USD, BillingInterval.Months(1))
            .WithCharge(Calls, pricing, o => { o.DisplayName = "API calls"; o.GroupedBy(groupBy); })
            .Build();

    private static InvoiceInput Input(Plan plan, params (string? Region, decimal Quantity)[] groups) =>
        new(plan, April, new Dictionary<string, decimal>())
        {
            UsageByGroup = new Dictionary<string, IReadOnlyList<ChargeGroupUsage>>
            {
                ["api_calls"] = [.. groups.Select(g => new ChargeGroupUsage([g.Region], g.Quantity))],
            },
        };

    private static void ShouldAddUp(CalculatedInvoice invoice) =>
        Money.Sum(invoice.Lines.Select(l => l.Amount), invoice.Currency).Should().Be(invoice.Total);

    [Fact]
    public void PerUnit_OneLinePerGroup_SortedByValue_NoValueLast()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(0.10m), "region");

        var invoice = Calculator.Calculate(Input(plan, ("us", 12m), (null, 3m), ("eu", 30m)));

        // eu 30 × 0.10 = 3.00, us 12 × 0.10 = 1.20, (no value) 3 × 0.10 = 0.30; total 4.50
        invoice.Lines.Should().HaveCount(3);
        invoice.Lines.Select(l => l.Group!["region"]).Should().Equal("eu", "us", null);
        invoice.Lines.Select(l => l.Amount.Amount).Should().Equal(3.00m, 1.20m, 0.30m);
        invoice.Lines.Select(l => l.Quantity).Should().Equal(30m, 12m, 3m);
        invoice.Lines.Should().AllSatisfy(l =>
        {
            l.Kind.Should().Be(InvoiceLineKind.Usage);
            l.ChargeKey.Should().Be("api_calls");
            l.UnitPrice.Should().Be(0.10m);
        });
        invoice.Lines.Select(l => l.Description).Should().Equal("API calls [region: eu]", "API calls [region: us]", "API calls [region: (no value)]");
        invoice.Total.Should().Be(new Money(4.50m, Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Graduated_TiersApplyPerGroup()
    {
        // First 10 units at 1.00, the rest at 0.50, in each group.
        var plan = GroupedPlan(PricingModel.Graduated([new(10m, 1.00m), new(null, 0.50m)]), "region");

        var invoice = Calculator.Calculate(Input(plan, ("eu", 30m), ("us", 12m), (null, 3m)));

        // eu: 10 × 1 + 20 × 0.5 = 20.00; us: 10 + 2 × 0.5 = 11.00; none: 3.00. Total 34.00
        // (tiers over the 45 units together would give 10 + 17.50 = 27.50).
        invoice.Lines.Select(l => l.Amount.Amount).Should().Equal(20.00m, 11.00m, 3.00m);
        invoice.Lines[0].Tiers.Select(t => t.Quantity).Should().Equal(10m, 20m);
        invoice.Total.Should().Be(new Money(34.00m, Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void IncludedUnits_ApplyPerGroup()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(0.10m, includedUnits: 10m), "region");

        var invoice = Calculator.Calculate(Input(plan, ("eu", 30m), ("us", 12m), (null, 3m)));

        // eu (30 - 10) × 0.10 = 2.00; us (12 - 10) × 0.10 = 0.20; none 3 ≤ 10 → 0.00. Total 2.20
        invoice.Lines.Select(l => l.Amount.Amount).Should().Equal(2.00m, 0.20m, 0.00m);
        invoice.Lines[0].Description.Should().Be("API calls [region: eu] (10 included)");
        invoice.Total.Should().Be(new Money(2.20m, Currency.USD));
    }

    [Fact]
    public void EachGroupLine_IsRoundedOnce_AndTheLinesSumToTheTotal()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(0.015m), "region");

        var invoice = Calculator.Calculate(Input(plan, ("a", 1m), ("b", 1m)));

        // 0.015 rounds half-up to 0.02 on each line; the total is the sum of the rounded lines (0.04, not 0.03).
        invoice.Lines.Select(l => l.ExactAmount).Should().Equal(0.015m, 0.015m);
        invoice.Lines.Select(l => l.Amount.Amount).Should().Equal(0.02m, 0.02m);
        invoice.Total.Should().Be(new Money(0.04m, Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void TwoProperties_SortedPropertyByProperty_GroupKeepsTheChargeOrder()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(1m), "region", "model");
        var input = new InvoiceInput(plan, April, new Dictionary<string, decimal>())
        {
            UsageByGroup = new Dictionary<string, IReadOnlyList<ChargeGroupUsage>>
            {
                ["api_calls"] =
                [
                    new(["us", "gpt"], 1m),
                    new(["eu", null], 2m),
                    new(["eu", "llama"], 3m),
                    new([null, "gpt"], 4m),
                    new(["eu", "gpt"], 5m),
                ],
            },
        };

        var invoice = Calculator.Calculate(input);

        invoice.Lines.Select(l => l.Quantity).Should().Equal(5m, 3m, 2m, 1m, 4m);
        invoice.Lines[0].Group!.Keys.Should().Equal("region", "model");
        invoice.Lines[2].Group.Should().BeEquivalentTo(new Dictionary<string, string?> { ["region"] = "eu", ["model"] = null });
        invoice.Lines[2].Description.Should().Be("API calls [region: eu, model: (no value)]");
        invoice.Total.Should().Be(new Money(15m, Currency.USD));
    }

    [Fact]
    public void NoGroups_OneLineWithoutGroup()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(0.10m), "region");

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, new Dictionary<string, decimal>()));

        invoice.Lines.Should().ContainSingle().Which.Group.Should().BeNull();
        invoice.Lines[0].Amount.Should().Be(Money.Zero(Currency.USD));
    }

    [Fact]
    public void UngroupedCharges_KeepTheirSingleLine_BesideAGroupedOne()
    {
        var plan = Plan.Create("api", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(5m)
            .WithCharge("storage_gb", PricingModel.PerUnit(1m))
            .WithCharge(Calls, PricingModel.PerUnit(0.10m), o => o.GroupedBy("region"))
            .Build();
        var input = Input(plan, ("eu", 30m), ("us", 12m)) with { UsageByCharge = new Dictionary<string, decimal> { ["storage_gb"] = 2m } };

        var invoice = Calculator.Calculate(input);

        invoice.Lines.Select(l => (l.ChargeKey, l.Amount.Amount)).Should().Equal((null, 5m), ("storage_gb", 2m), ("api_calls", 3.00m), ("api_calls", 1.20m));
        invoice.Lines[1].Group.Should().BeNull();
        invoice.Total.Should().Be(new Money(11.20m, Currency.USD));
    }

    [Fact]
    public void Prepaid_IsCappedAtTheSumOfTheChargesGroupLines()
    {
        var plan = Plan.Create("api", Currency.USD, BillingInterval.Months(1))
            .WithCharge(Calls, PricingModel.PerUnit(0.10m), o => { o.GroupedBy("region"); o.BurnsCreditsInRealTime = true; })
            .Build();

        var within = Calculator.Calculate(Input(plan, ("eu", 30m), ("us", 12m)) with { PrepaidByCharge = new Dictionary<string, decimal> { ["api_calls"] = 4.00m } });
        var over = Calculator.Calculate(Input(plan, ("eu", 30m), ("us", 12m)) with { PrepaidByCharge = new Dictionary<string, decimal> { ["api_calls"] = 9.00m } });

        // Lines 3.00 + 1.20 = 4.20: 4.00 prepaid leaves 0.20; 9.00 prepaid is capped at 4.20.
        within.Lines.Last().Amount.Should().Be(new Money(-4.00m, Currency.USD));
        within.Total.Should().Be(new Money(0.20m, Currency.USD));
        over.Lines.Last().Amount.Should().Be(new Money(-4.20m, Currency.USD));
        over.Total.Should().Be(Money.Zero(Currency.USD));
        ShouldAddUp(within);
        ShouldAddUp(over);
    }

    [Fact]
    public void SameGroupTwice_Throws()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(0.10m), "region");

        var act = () => Calculator.Calculate(Input(plan, ("eu", 1m), ("eu", 2m)));

        act.Should().Throw<ArgumentException>().WithMessage("*'api_calls' has the group (eu) twice*");
    }

    [Fact]
    public void WrongNumberOfValues_Throws()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(0.10m), "region", "model");

        var act = () => Calculator.Calculate(Input(plan, ("eu", 1m)));

        act.Should().Throw<ArgumentException>().WithMessage("*has 1 values but the charge groups by 2 properties*");
    }

    [Fact]
    public void UsageByGroup_ForAnUngroupedCharge_Throws()
    {
        var plan = Plan.Create("api", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1m)).Build();

        var act = () => Calculator.Calculate(Input(plan, ("eu", 1m)));

        act.Should().Throw<MeteringException>().WithMessage("*'api_calls', which is not a grouped charge*grouped charges: none*");
    }

    [Fact]
    public void Lines_WithDifferentGroups_AreNotEqual()
    {
        var plan = GroupedPlan(PricingModel.PerUnit(1m), "region");
        var eu = Calculator.Calculate(Input(plan, ("eu", 1m)));
        var us = Calculator.Calculate(Input(plan, ("us", 1m)));

        eu.Lines[0].Should().NotBe(us.Lines[0] with { Description = eu.Lines[0].Description });
        eu.Should().Be(Calculator.Calculate(Input(plan, ("eu", 1m))));
    }
}
