namespace Metering.Tests.Boundary;

using Metering;

public class MeteringLimitsTest
{
    private static readonly Instant Now = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public void Bounds_KeepTheLargestInvoiceInsideDecimalRange()
    {
        // Every charge at its largest: quantity × price plus every tier's flat fee, for the most charges a plan may have.
        var line = (MeteringLimits.MaxQuantity * MeteringLimits.MaxPrice) + (MeteringLimits.MaxTiersPerCharge * MeteringLimits.MaxPrice);
        var total = (line * MeteringLimits.MaxChargesPerPlan) + (MeteringLimits.MaxPrice * int.MaxValue);

        total.Should().BeLessThan(decimal.MaxValue / 2m);
    }

    [Fact]
    public void CheckShape_QuantityAboveTheBound_IsQuantityOutOfRange()
    {
        var atBound = new UsageRecord("c1", "api_calls", MeteringLimits.MaxQuantity, Now, "k1");
        var above = atBound with { Quantity = MeteringLimits.MaxQuantity + 0.0000001m };

        UsageRecordRules.CheckShape(atBound, Now, Duration.Zero).Should().BeNull();
        var rejection = UsageRecordRules.CheckShape(above, Now, Duration.Zero);
        rejection!.Value.Reason.Should().Be(UsageRejectionReason.QuantityOutOfRange);
        rejection.Value.Message.Should().Contain("1000000000000000").And.Contain("larger unit");
    }

    public static readonly TheoryData<string, string, string, string> BadText = new()
    {
        { "c\uD800", "api_calls", "k1", "customer id" },
        { "c1", "api_calls", "k\0", "idempotency key" },
    };

    [Theory]
    [MemberData(nameof(BadText), DisableDiscoveryEnumeration = true)]
    public void CheckShape_InvalidText_IsInvalidText(string customer, string meter, string key, string field)
    {
        var rejection = UsageRecordRules.CheckShape(new UsageRecord(customer, meter, 1m, Now, key), Now, Duration.Zero);

        rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        rejection.Value.Message.Should().Contain(field);
    }

    [Fact]
    public void CheckShape_NonDictionaryProperties_AreCheckedToo()
    {
        IReadOnlyDictionary<string, string> properties = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a"] = "ok", ["b"] = "x\uDC01" };

        var rejection = UsageRecordRules.CheckShape(new UsageRecord("c1", "m", 1m, Now, "k", Properties: properties), Now, Duration.Zero);

        rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        rejection.Value.Message.Should().Contain("property 'b'");
    }

    [Fact]
    public void Build_PricesBeyondTheBound_ListEveryProblem()
    {
        var tiers = new[] { new PriceTier(10m, 1m, MeteringLimits.MaxPrice + 1m), new PriceTier(null, MeteringLimits.MaxPrice * 2m) };
        var build = () => Plan.Create("p", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(MeteringLimits.MaxPrice + 1m)
            .WithCharge("a", PricingModel.PerUnit(MeteringLimits.MaxPrice + 1m))
            .WithCharge("b", PricingModel.Package(0.0000001m, 1m))
            .WithCharge("c", PricingModel.Package(1m, MeteringLimits.MaxPrice * 2m))
            .WithCharge("d", PricingModel.Graduated(tiers))
            .WithCharge("e", PricingModel.Package(0.01m, 1_000_000_000m))
            .Build();

        var problems = build.Should().Throw<InvalidPlanException>().Which.Problems;
        problems.Should().HaveCount(8); // base fee; a; b; c price and c per unit; d flat fee and d tier 2; e per unit
        problems.Should().Contain(p => p.StartsWith("The base fee", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("meter 'b'") && p.Contains("package size"));
        problems.Should().Contain(p => p.Contains("meter 'd'") && p.Contains("tier 1: the flat fee"));
        problems.Should().Contain(p => p.Contains("meter 'e'") && p.Contains("per unit"));
    }

    [Fact]
    public void Build_AtTheBounds_Passes()
    {
        var plan = Plan.Create("p", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(MeteringLimits.MaxPrice)
            .WithCharge("a", PricingModel.PerUnit(MeteringLimits.MaxPrice))
            .WithCharge("b", PricingModel.Package(MeteringLimits.MinPackageSize, 0.01m))
            .Build();

        plan.Charges.Should().HaveCount(2);
        plan.Charges[0].Pricing.AmountFor(MeteringLimits.MaxQuantity).Should().Be(10_000_000_000_000_000_000_000_000m);
    }

    [Fact]
    public void Grant_AboveTheBound_AndTotalAboveTheBound_AreRejected()
    {
        var big = () => new CreditGrant("g", "c1", new Money(decimal.MaxValue, Currency.USD), CreditCategory.Paid, Now);
        big.Should().Throw<AmountOutOfRangeException>().Where(e => e.Limit == MeteringLimits.MaxCreditAmount);

        var ledger = CreditLedger.Empty("c1")
            .Grant(new CreditGrant("g1", "c1", new Money(MeteringLimits.MaxCreditAmount, Currency.USD), CreditCategory.Paid, Now));
        var more = () => ledger.Grant(new CreditGrant("g2", "c1", new Money(0.01m, Currency.USD), CreditCategory.Paid, Now));
        var adjust = () => ledger.Adjust("g1", 0.01m, Now, "goodwill");
        var otherUnit = ledger.Grant(new CreditGrant("g3", "c1", new Money(1m, Currency.EUR), CreditCategory.Paid, Now));

        more.Should().Throw<AmountOutOfRangeException>().WithMessage("*customer 'c1'*");
        adjust.Should().Throw<AmountOutOfRangeException>();
        otherUnit.BalanceAt(Currency.USD, Now).Remaining.Should().Be(MeteringLimits.MaxCreditAmount);
    }

    [Fact]
    public void Grant_InvalidText_IsInvalidText()
    {
        var act = () => new CreditGrant("g\uD800", "c1", new Money(1m, Currency.USD), CreditCategory.Paid, Now);
        var metadata = () => new CreditGrant("g", "c1", new Money(1m, Currency.USD), CreditCategory.Paid, Now, metadata: new Dictionary<string, string> { ["k"] = "\0" });

        act.Should().Throw<InvalidTextException>().Where(e => e.Field == "credit grant id");
        metadata.Should().Throw<InvalidTextException>();
    }
}
