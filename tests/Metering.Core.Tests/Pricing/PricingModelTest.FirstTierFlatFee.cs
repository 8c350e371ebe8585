namespace Metering.Tests.Pricing;

using Metering;

/// <summary>
/// Issue #20: the first tier's flat fee of a tiered price is billed whenever the charge is billed, also at zero
/// usage (Lago's graduated and volume specs, OpenMeter, Kong); later tiers' fees only when reached.
/// </summary>
public partial class PricingModelTest
{
    // Graduated (0,10] @ 10.00 + flat 2.00, (10,∞) @ 5.00.
    private static readonly PriceTier[] GraduatedWithFirstFlat =
    [
        new(10m, 10.00m, 2.00m),
        new(null, 5.00m),
    ];

    // Volume (0,100] @ 1.00 + flat 10.00, (100,∞) @ 0.50 + flat 20.00.
    private static readonly PriceTier[] VolumeWithFirstFlat =
    [
        new(100m, 1.00m, 10.00m),
        new(null, 0.50m, 20.00m),
    ];

    [Theory]
    [InlineData(0, "2.00")]    // tier 1 always reached: 0 × 10 + 2 = 2
    [InlineData(1, "12.00")]   // 1 × 10 + 2 = 12
    [InlineData(10, "102.00")] // 10 × 10 + 2 = 102
    [InlineData(12, "112.00")] // 10 × 10 + 2 + 2 × 5 = 112
    public void Price_GraduatedFirstTierFlatFee_BilledFromZero(int quantity, string expected)
    {
        PricingModel.Graduated(GraduatedWithFirstFlat).Price(quantity).Amount.Should().Be(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Price_GraduatedZeroUsage_BreakdownIsTierOneFlatFee()
    {
        var price = PricingModel.Graduated(GraduatedWithFirstFlat).Price(0m);

        price.Amount.Should().Be(2.00m);
        price.Tiers.Should().Equal(new TierPrice(1, 0m, 10m, 0m, 10.00m, 2.00m, 2.00m));
        price.Tiers.Sum(t => t.Amount).Should().Be(price.Amount);
    }

    [Theory]
    [InlineData(0, "10.00")]   // lands in tier 1: 0 × 1 + 10 = 10
    [InlineData(50, "60.00")]  // 50 × 1 + 10 = 60
    [InlineData(101, "70.50")] // tier 2 only: 101 × 0.5 + 20 = 70.50 (tier 1's fee not added)
    public void Price_VolumeFirstTierFlatFee_BilledFromZero(int quantity, string expected)
    {
        PricingModel.Volume(VolumeWithFirstFlat).Price(quantity).Amount.Should().Be(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Price_FirstTierFlatFeeZero_ZeroUsageCostsNothing()
    {
        // The opt-out: a first-tier flat fee of 0 bills 0.00 at zero usage.
        PriceTier[] noFirstFee = [new(10m, 10.00m, 0m), new(null, 5.00m, 3.00m)];

        PricingModel.Graduated(noFirstFee).Price(0m).Amount.Should().Be(0m);
        PricingModel.Volume(noFirstFee).Price(0m).Amount.Should().Be(0m);
        PricingModel.Graduated(noFirstFee).AmountFor(0m).Should().Be(0m);
    }

    [Fact]
    public void Price_IncludedUnitsCoverAllUsage_FirstTierFlatFeeStillBilled()
    {
        var graduated = PricingModel.Graduated(GraduatedWithFirstFlat, includedUnits: 100m);
        var volume = PricingModel.Volume(VolumeWithFirstFlat, includedUnits: 100m);

        // 40 used, 100 included: charged 0 → graduated 2.00, volume 10.00
        var price = graduated.Price(40m);
        price.IncludedUnits.Should().Be(40m);
        price.ChargedQuantity.Should().Be(0m);
        price.Amount.Should().Be(2.00m);
        price.Tiers.Should().Equal(new TierPrice(1, 0m, 10m, 0m, 10.00m, 2.00m, 2.00m));
        volume.Price(40m).Amount.Should().Be(10.00m);
        graduated.AmountFor(100m).Should().Be(2.00m);

        // 103 used: 3 charged → graduated 3 × 10 + 2 = 32; volume 3 × 1 + 10 = 13
        graduated.Price(103m).Amount.Should().Be(32.00m);
        volume.Price(103m).Amount.Should().Be(13.00m);
    }

    [Fact]
    public void MarginalCost_FirstRecord_DoesNotBurnFirstTierFlatFee()
    {
        var graduated = PricingModel.Graduated(GraduatedWithFirstFlat);

        // Price(3) - Price(0) = (3 × 10 + 2) - 2 = 30: the per-period fee is left for the invoice
        graduated.MarginalCost(0m, 3m).Should().Be(30m);

        // Summed over records, burns add to Price(q) - Price(0): 0→3 burns 30, 3→12 burns 112 - 32 = 80; 30 + 80 = 110 = 112 - 2
        graduated.MarginalCost(3m, 12m).Should().Be(80m);

        // Volume: Price(5) - Price(0) = (5 × 1 + 10) - 10 = 5
        PricingModel.Volume(VolumeWithFirstFlat).MarginalCost(0m, 5m).Should().Be(5m);

        // Included units covering the usage: nothing burned, the fee stays a per-period charge
        PricingModel.Graduated(GraduatedWithFirstFlat, includedUnits: 100m).MarginalCost(0m, 40m).Should().Be(0m);
    }
}
