namespace Metering.Tests.Pricing;

using Metering;

public partial class PricingModelTest
{
    // Tiers (0,100] @ 1.00, (100,1000] @ 0.80, (1000,∞) @ 0.50.
    private static readonly PriceTier[] Table =
    [
        new(100m, 1.00m),
        new(1000m, 0.80m),
        new(null, 0.50m),
    ];

    // Same bounds and prices, with flat fees 10, 20, 30.
    private static readonly PriceTier[] TableWithFees =
    [
        new(100m, 1.00m, 10m),
        new(1000m, 0.80m, 20m),
        new(null, 0.50m, 30m),
    ];

    [Fact]
    public void Price_PerUnit_SubCentRateKeptExact()
    {
        var model = PricingModel.PerUnit(0.002m);

        // 18,420 × 0.002 = 36.84; 1 × 0.002 = 0.002 (not rounded here)
        model.Price(18_420m).Amount.Should().Be(36.84m);
        model.Price(1m).Amount.Should().Be(0.002m);
        model.Price(1m).Tiers.Should().BeEmpty();
    }

    [Fact]
    public void Price_PerUnitWithIncludedUnits_ChargesOnlyTheRest()
    {
        var model = PricingModel.PerUnit(0.01m, includedUnits: 1_000m);

        // (1,500 - 1,000) × 0.01 = 5.00
        var price = model.Price(1_500m);
        price.Amount.Should().Be(5.00m);
        price.Quantity.Should().Be(1_500m);
        price.IncludedUnits.Should().Be(1_000m);

        // 400 ≤ 1,000 included: all free, only 400 of the included units used
        var under = model.Price(400m);
        under.Amount.Should().Be(0m);
        under.IncludedUnits.Should().Be(400m);
    }

    [Theory]
    [InlineData(0, 0)]     // no usage, no package
    [InlineData(1, 5)]     // ceil(1/100) = 1 package × 5
    [InlineData(100, 5)]   // ceil(100/100) = 1 × 5
    [InlineData(101, 10)]  // ceil(101/100) = 2 × 5
    [InlineData(250, 15)]  // ceil(250/100) = 3 × 5
    public void Price_PackageRoundingUp_ChargesStartedPackages(int quantity, int expected)
    {
        PricingModel.Package(100m, 5m).Price(quantity).Amount.Should().Be(expected);
    }

    [Theory]
    [InlineData(0, 0)]     // floor(0/100) = 0
    [InlineData(99, 0)]    // floor(99/100) = 0
    [InlineData(100, 5)]   // floor(100/100) = 1 × 5
    [InlineData(101, 5)]   // floor(101/100) = 1 × 5
    [InlineData(250, 10)]  // floor(250/100) = 2 × 5
    public void Price_PackageRoundingDown_ChargesCompletePackagesOnly(int quantity, int expected)
    {
        PricingModel.Package(100m, 5m, rounding: PackageRounding.Down).Price(quantity).Amount.Should().Be(expected);
    }

    [Fact]
    public void Price_PackageWithIncludedUnits_SubtractsFirst()
    {
        // 150 - 50 included = 100 → ceil(100/100) = 1 package × 5 = 5
        PricingModel.Package(100m, 5m, includedUnits: 50m).Price(150m).Amount.Should().Be(5m);
        PricingModel.Package(100m, 5m, includedUnits: 50m).PackagesFor(151m).Should().Be(2m);
    }

    [Fact]
    public void Price_GraduatedTiers_EachTierPricesItsUnits()
    {
        // 100 × 1.00 + 900 × 0.80 + 500 × 0.50 = 100 + 720 + 250 = 1,070
        var price = PricingModel.Graduated(Table).Price(1_500m);

        price.Amount.Should().Be(1_070m);
        price.Tiers.Should().Equal(
            new TierPrice(1, 0m, 100m, 100m, 1.00m, 0m, 100m),
            new TierPrice(2, 100m, 1000m, 900m, 0.80m, 0m, 720m),
            new TierPrice(3, 1000m, null, 500m, 0.50m, 0m, 250m));
    }

    [Fact]
    public void Price_VolumeTiers_AllUnitsAtLandingTierPrice()
    {
        // 1,500 lands in tier 3: 1,500 × 0.50 = 750
        var price = PricingModel.Volume(Table).Price(1_500m);

        price.Amount.Should().Be(750m);
        price.Tiers.Should().Equal(new TierPrice(3, 1000m, null, 1_500m, 0.50m, 0m, 750m));
    }

    [Fact]
    public void Price_QuantityOnTierBoundary_BelongsToLowerTier()
    {
        // UpTo is inclusive: 100 is in tier 1. Graduated 100 × 1 = 100; volume 100 × 1 = 100.
        var graduated = PricingModel.Graduated(Table).Price(100m);
        graduated.Amount.Should().Be(100m);
        graduated.Tiers.Should().ContainSingle().Which.Tier.Should().Be(1);

        var volume = PricingModel.Volume(Table).Price(100m);
        volume.Amount.Should().Be(100m);
        volume.Tiers.Should().ContainSingle().Which.Tier.Should().Be(1);

        // 101 → volume tier 2: 101 × 0.80 = 80.80; graduated 100 × 1 + 1 × 0.80 = 100.80
        PricingModel.Volume(Table).Price(101m).Amount.Should().Be(80.80m);
        PricingModel.Graduated(Table).Price(101m).Amount.Should().Be(100.80m);
    }

    [Fact]
    public void Price_GraduatedFractionalQuantity_SplitsAtBound()
    {
        // 100 × 1.00 + 0.5 × 0.80 = 100.40
        PricingModel.Graduated(Table).Price(100.5m).Amount.Should().Be(100.40m);
    }

    [Fact]
    public void Price_GraduatedWithFlatFees_AddsFeeOfEachTierReached()
    {
        var model = PricingModel.Graduated(TableWithFees);

        // 1,070 + 10 + 20 + 30 = 1,130
        model.Price(1_500m).Amount.Should().Be(1_130m);

        // only tier 1 reached: 50 × 1 + 10 = 60
        model.Price(50m).Amount.Should().Be(60m);

        // zero usage still reaches tier 1: 0 × 1 + 10 = 10, shown as tier 1 with quantity 0
        model.Price(0m).Amount.Should().Be(10m);
        model.Price(0m).Tiers.Should().Equal(new TierPrice(1, 0m, 100m, 0m, 1.00m, 10m, 10m));
    }

    [Fact]
    public void Price_VolumeWithFlatFees_AddsLandingTierFeeOnly()
    {
        var model = PricingModel.Volume(TableWithFees);

        // 1,500 × 0.50 + 30 = 780
        model.Price(1_500m).Amount.Should().Be(780m);

        // 50 × 1.00 + 10 = 60
        model.Price(50m).Amount.Should().Be(60m);
    }

    [Fact]
    public void Price_VolumeZeroQuantity_BillsFirstTierFlatFee()
    {
        // q = 0 lands in tier 1: 0 × 1.00 + 10 flat = 10
        var price = PricingModel.Volume(TableWithFees).Price(0m);

        price.Amount.Should().Be(10m);
        price.Tiers.Should().Equal(new TierPrice(1, 0m, 100m, 0m, 1.00m, 10m, 10m));
    }

    [Fact]
    public void Price_VolumeWithIncludedUnits_ChoosesTierByChargedQuantity()
    {
        // 1,050 - 1,000 included = 50 charged → tier 1: 50 × 1.00 = 50
        PricingModel.Volume(Table, includedUnits: 1_000m).Price(1_050m).Amount.Should().Be(50m);
    }

    [Fact]
    public void MarginalCost_GraduatedCrossingTierBoundary_PricesEachSide()
    {
        var model = PricingModel.Graduated(Table);

        // Price(110) = 100 × 1 + 10 × 0.8 = 108; Price(90) = 90 × 1 = 90; 108 - 90 = 18
        model.MarginalCost(90m, 110m).Should().Be(18m);

        // with fees: Price(110) = 100 + 10 + 8 + 20 = 138; Price(90) = 90 + 10 = 100; 138 - 100 = 38
        PricingModel.Graduated(TableWithFees).MarginalCost(90m, 110m).Should().Be(38m);
    }

    [Fact]
    public void MarginalCost_VolumeCrossingBoundary_CanBeNegative()
    {
        // Price(101) = 101 × 0.8 = 80.8; Price(100) = 100 × 1 = 100; 80.8 - 100 = -19.2
        PricingModel.Volume(Table).MarginalCost(100m, 101m).Should().Be(-19.2m);
    }

    [Fact]
    public void MarginalCost_PerUnit_IsRateTimesDelta()
    {
        // (18,420 - 18,000) × 0.002 = 420 × 0.002 = 0.84
        PricingModel.PerUnit(0.002m).MarginalCost(18_000m, 18_420m).Should().Be(0.84m);

        // 1,000 included: 900 → 1,100 charges only the 100 above 1,000: 100 × 0.01 = 1.00
        PricingModel.PerUnit(0.01m, 1_000m).MarginalCost(900m, 1_100m).Should().Be(1.00m);
    }

    [Fact]
    public void PerUnit_PriceAndMarginalCost_DoNotAllocate()
    {
        var model = PricingModel.PerUnit(0.002m, includedUnits: 10m);
        decimal sink = model.MarginalCost(1m, 2m) + model.Price(3m).Amount; // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            sink += model.MarginalCost(i, i + 1);
            sink += model.Price(i).Amount;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0);
        sink.Should().BePositive();
    }

    [Fact]
    public void Price_NegativeQuantity_ThrowsNamingIt()
    {
        var act = () => PricingModel.PerUnit(1m).Price(-1m);

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("quantity");
    }

    [Fact]
    public void MarginalCost_NegativeQuantity_Throws()
    {
        var act = () => PricingModel.Graduated(Table).MarginalCost(-1m, 5m);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Factories_BadArguments_Throw()
    {
        FluentActions.Invoking(() => PricingModel.PerUnit(-0.01m)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => PricingModel.PerUnit(1m, includedUnits: -1m)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => PricingModel.Package(0m, 5m)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => PricingModel.Package(100m, -5m)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Equals_SameFigures_AreEqual()
    {
        PricingModel.PerUnit(0.002m).Should().Be(PricingModel.PerUnit(0.0020m));
        PricingModel.Graduated(Table).Should().Be(PricingModel.Graduated([.. Table]));
        PricingModel.Graduated(Table).Should().NotBe(PricingModel.Volume(Table));
        PricingModel.Package(100m, 5m).Should().NotBe(PricingModel.Package(100m, 5m, rounding: PackageRounding.Down));
        PricingModel.PerUnit(1m).Should().NotBe(PricingModel.PerUnit(1m, includedUnits: 1m));
    }
}
