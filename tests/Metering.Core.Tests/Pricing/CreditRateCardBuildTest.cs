namespace Metering.Tests.Pricing;

public sealed class CreditRateCardBuildTest
{
    private static readonly Currency Credits = Currency.Custom("credits", 0);

    [Fact]
    public void AValidRateCard_IsFlagged_BlocksAtZero_AndComparesByTheFlag()
    {
        var card = Plan.Create("api_credits", Credits, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(10m), c => c.BurnsCreditsInRealTime = true)
            .AsCreditRateCard()
            .Build();
        var plain = Plan.Create("api_credits", Credits, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(10m), c => c.BurnsCreditsInRealTime = true)
            .WhenCreditsRunOut(CreditOverflow.Block)
            .Build();

        card.IsCreditRateCard.Should().BeTrue();
        card.WhenCreditsRunOut.Should().Be(CreditOverflow.Block);
        card.WithVersion(2).IsCreditRateCard.Should().BeTrue();
        plain.IsCreditRateCard.Should().BeFalse();
        card.DefinitionEquals(plain).Should().BeFalse();
        card.DefinitionEquals(card.WithVersion(3)).Should().BeTrue();
    }

    [Fact]
    public void EveryRateCardRule_IsCheckedAtOnce_WithItsFix()
    {
        var build = () => Plan.Create("bad_card", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(5m)
            .WithTrialDays(7)
            .WithFeature(Feature.On("sso"))
            .WithCharge("api_calls", PricingModel.PerUnit(10m))
            .AsCreditRateCard()
            .WhenCreditsRunOut(CreditOverflow.Overage)
            .Build();

        var problems = build.Should().Throw<InvalidPlanException>().Which.Problems;

        problems.Should().HaveCount(6);
        problems.Should().ContainSingle(p => p.Contains("custom credit unit") && p.Contains("'USD'") && p.Contains("Currency.Custom"));
        problems.Should().ContainSingle(p => p.Contains("no base fee") && p.Contains("WithBaseFee"));
        problems.Should().ContainSingle(p => p.Contains("no trial") && p.Contains("7 days"));
        problems.Should().ContainSingle(p => p.Contains("blocks usage") && p.Contains("Overage"));
        problems.Should().ContainSingle(p => p.Contains("no features") && p.Contains("WithFeature"));
        problems.Should().ContainSingle(p => p.Contains("Charge 'api_calls'") && p.Contains("BurnsCreditsInRealTime = true"));
    }

    [Fact]
    public void ARateCardWithoutCharges_IsRejected()
    {
        var build = () => Plan.Create("empty_card", Credits, BillingInterval.Months(1)).AsCreditRateCard().Build();

        build.Should().Throw<InvalidPlanException>().Which.Problems.Should().ContainSingle()
            .Which.Should().Contain("at least one meter");
    }
}
