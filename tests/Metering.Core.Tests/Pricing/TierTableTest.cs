namespace Metering.Tests.Pricing;

using Metering;

public class TierTableTest
{
    [Fact]
    public void Graduated_EmptyTable_NamesTierOneAndFix()
    {
        var act = () => PricingModel.Graduated([]);

        act.Should().Throw<InvalidTierTableException>()
            .WithMessage("*empty*tier 1*UpTo = null*")
            .Which.TierNumber.Should().Be(1);
    }

    [Fact]
    public void Graduated_UnsortedBounds_NamesTierAndSortFix()
    {
        var act = () => PricingModel.Graduated([new(500m, 1m), new(100m, 0.8m), new(null, 0.5m)]);

        act.Should().Throw<InvalidTierTableException>()
            .WithMessage("Tier 2: UpTo 100 is not above tier 1's UpTo 500; sort tiers by ascending UpTo.")
            .Which.TierNumber.Should().Be(2);
    }

    [Fact]
    public void Volume_DuplicateBound_NamesTier()
    {
        var act = () => PricingModel.Volume([new(100m, 1m), new(1000m, 0.8m), new(1000m, 0.7m), new(null, 0.5m)]);

        act.Should().Throw<InvalidTierTableException>()
            .WithMessage("Tier 3: UpTo 1000 repeats tier 2's UpTo*remove the duplicate*")
            .Which.TierNumber.Should().Be(3);
    }

    [Fact]
    public void Graduated_NegativeBound_NamesTier()
    {
        var act = () => PricingModel.Graduated([new(-5m, 1m), new(null, 0.5m)]);

        act.Should().Throw<InvalidTierTableException>().WithMessage("Tier 1: UpTo -5 is negative*")
            .Which.TierNumber.Should().Be(1);
    }

    [Fact]
    public void Graduated_ZeroBound_NamesTier()
    {
        var act = () => PricingModel.Graduated([new(0m, 1m), new(null, 0.5m)]);

        act.Should().Throw<InvalidTierTableException>().WithMessage("Tier 1: UpTo 0 leaves the tier empty*");
    }

    [Fact]
    public void Volume_NegativeUnitPrice_NamesTier()
    {
        var act = () => PricingModel.Volume([new(100m, 1m), new(null, -0.5m)]);

        act.Should().Throw<InvalidTierTableException>().WithMessage("Tier 2: unit price -0.5 is negative*")
            .Which.TierNumber.Should().Be(2);
    }

    [Fact]
    public void Graduated_NegativeFlatFee_NamesTier()
    {
        var act = () => PricingModel.Graduated([new(100m, 1m, -10m), new(null, 0.5m)]);

        act.Should().Throw<InvalidTierTableException>().WithMessage("Tier 1: flat fee -10 is negative*");
    }

    [Fact]
    public void Graduated_UnboundedTierNotLast_NamesTierAndFix()
    {
        var act = () => PricingModel.Graduated([new(null, 1m), new(100m, 0.5m)]);

        act.Should().Throw<InvalidTierTableException>()
            .WithMessage("Tier 1: UpTo is null (unbounded) but only the last tier may be unbounded*")
            .Which.TierNumber.Should().Be(1);
    }

    [Fact]
    public void Volume_LastTierBounded_NamesTierAndFix()
    {
        var act = () => PricingModel.Volume([new(100m, 1m), new(1000m, 0.8m)]);

        act.Should().Throw<InvalidTierTableException>()
            .WithMessage("Tier 2: the last tier has UpTo 1000*add a final tier with UpTo = null*")
            .Which.TierNumber.Should().Be(2);
    }

    [Fact]
    public void Graduated_NullTier_NamesTier()
    {
        var act = () => PricingModel.Graduated([new(100m, 1m), null!, new(null, 0.5m)]);

        act.Should().Throw<InvalidTierTableException>().Which.TierNumber.Should().Be(2);
    }

    [Fact]
    public void Graduated_SingleUnboundedTier_IsValid()
    {
        // one tier covering everything: 7 × 0.25 = 1.75
        PricingModel.Graduated([new(null, 0.25m)]).Price(7m).Amount.Should().Be(1.75m);
    }

    [Fact]
    public void Graduated_TableIsCopied_LaterChangesDoNotLeakIn()
    {
        var tiers = new List<PriceTier> { new(100m, 1m), new(null, 0.5m) };
        var model = PricingModel.Graduated(tiers);

        tiers[0] = new PriceTier(100m, 99m);

        // still 100 × 1 + 10 × 0.5 = 105
        model.Price(110m).Amount.Should().Be(105m);
    }
}
