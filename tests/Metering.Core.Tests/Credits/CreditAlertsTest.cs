namespace Metering.Tests.Credits;

using Metering;

public class CreditAlertsTest
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Dictionary<string, decimal> LowAt10 = new(StringComparer.Ordinal) { ["USD"] = 10m };

    private static CreditLedger Granted(decimal amount) =>
        CreditLedger.Empty("c1").Grant(new CreditGrant("g1", "c1", new Money(amount, Currency.USD), CreditCategory.Paid, T0));

    private static CreditLedger Burn(CreditLedger ledger, decimal amount) => ledger.Consume(new Money(amount, Currency.USD), T0).Ledger;

    [Theory]
    [InlineData(30, 16, new BillingEventType[0])]
    [InlineData(30, 20, new[] { BillingEventType.CreditsLow })]
    [InlineData(30, 25, new[] { BillingEventType.CreditsLow })]
    [InlineData(30, 30, new[] { BillingEventType.CreditsExhausted })]
    [InlineData(10, 5, new BillingEventType[0])]
    public void Crossings_OneBurn_FiresOnlyWhenCrossingDownwards(int granted, int burned, BillingEventType[] expected)
    {
        var before = Granted(granted);

        CreditAlerts.Crossings(before, Burn(before, burned), LowAt10, T0).Select(e => e.Type).Should().Equal(expected);
    }

    [Fact]
    public void Crossings_Low_CarriesTheUnitRemainingAndThreshold()
    {
        var before = Granted(30m);

        var low = CreditAlerts.Crossings(before, Burn(before, 22.5m), LowAt10, T0).Single();

        low.SubjectId.Should().Be("USD");
        low.OccurredAt.Should().Be(T0);
        low.Payload.Should().Be(new CreditBalanceEventPayload(Currency.USD, new Money(7.5m, Currency.USD), new Money(10m, Currency.USD)), "30 - 22.5 = 7.5 left, under 10");
        CreditAlerts.Crossings(before, Burn(before, 30m), LowAt10, T0).Single().Payload
            .Should().Be(new CreditBalanceEventPayload(Currency.USD, Money.Zero(Currency.USD), null));
    }

    [Fact]
    public void Crossings_NoThresholdForTheUnit_OnlyExhausted()
    {
        var before = Granted(30m);

        CreditAlerts.Crossings(before, Burn(before, 25m), null, T0).Should().BeEmpty();
        CreditAlerts.Crossings(before, Burn(before, 30m), null, T0).Single().Type.Should().Be(BillingEventType.CreditsExhausted);
    }

    [Fact]
    public void Crossings_GrantRaisingTheBalance_NoEvent()
    {
        var before = Burn(Granted(30m), 25m);
        var after = before.Grant(new CreditGrant("g2", "c1", new Money(50m, Currency.USD), CreditCategory.Paid, T0));

        CreditAlerts.Crossings(before, after, LowAt10, T0).Should().BeEmpty();
    }
}
