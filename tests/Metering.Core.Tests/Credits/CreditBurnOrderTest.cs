namespace Metering.Tests.Credits;

using Metering;

public class CreditBurnOrderTest
{
    private static readonly Instant T0 = Instant.FromUtc(2025, 1, 1, 0, 0);

    private static CreditGrant Grant(string id, int priority, int? expiresInDays, long sequence, decimal amount = 10m, Currency? currency = null, int effectiveInDays = 0) =>
        new(id, "c1", new Money(amount, currency ?? Currency.USD), CreditCategory.Paid, T0 + Duration.FromDays(effectiveInDays),
            expiresAt: expiresInDays is { } days ? T0 + Duration.FromDays(days) : null, priority: priority, sequence: sequence);

    [Fact]
    public void Comparer_PriorityThenEarliestExpiryThenNoExpiryLastThenOldest()
    {
        var a = Grant("a", priority: 50, expiresInDays: null, sequence: 4);   // lowest priority number: first despite never expiring
        var b = Grant("b", priority: 100, expiresInDays: 20, sequence: 3);
        var c = Grant("c", priority: 100, expiresInDays: null, sequence: 1);  // no expiry: after b and e, older than d
        var d = Grant("d", priority: 100, expiresInDays: null, sequence: 2);
        var e = Grant("e", priority: 100, expiresInDays: 10, sequence: 5);    // earliest expiry beats older b

        var ordered = new[] { d, b, a, e, c }.Order(CreditBurnOrder.Comparer).Select(g => g.GrantId);

        ordered.Should().Equal("a", "e", "b", "c", "d");
    }

    [Fact]
    public void Comparer_AllElseEqual_GrantIdOrdinal()
    {
        var upper = Grant("B", 100, null, 1);
        var lower = Grant("a", 100, null, 1);

        // Ordinal: 'B' (0x42) < 'a' (0x61).
        CreditBurnOrder.Comparer.Compare(upper, lower).Should().BeNegative();
    }

    [Fact]
    public void Allocate_SpansTwoGrants_DrawsFirstFullyThenSecond()
    {
        var first = Grant("first", 10, null, 1, amount: 30m);
        var second = Grant("second", 20, null, 2, amount: 50m);

        var allocation = CreditBurnOrder.Allocate([new(second, 50m), new(first, 30m)], new Money(45m, Currency.USD), T0);

        // 45 = 30 from "first" (all of it) + 15 from "second".
        allocation.Draws.Should().Equal(new CreditDraw("first", 30m), new CreditDraw("second", 15m));
        allocation.Covered.Should().Be(new Money(45m, Currency.USD));
        allocation.Uncovered.Should().Be(new Money(0m, Currency.USD));
        allocation.IsFullyCovered.Should().BeTrue();
    }

    [Fact]
    public void Allocate_SkipsInactiveOtherCurrencyAndEmpty_ReportsUncovered()
    {
        var notYet = Grant("not-yet", 1, null, 1, effectiveInDays: 5);
        var expired = Grant("expired", 1, expiresInDays: 1, sequence: 2);
        var euro = Grant("euro", 1, null, 3, currency: Currency.EUR);
        var empty = Grant("empty", 1, null, 4);
        var usable = Grant("usable", 100, null, 5, amount: 10m);
        var at = T0 + Duration.FromDays(2);

        var allocation = CreditBurnOrder.Allocate(
            [new(notYet, 10m), new(expired, 10m), new(euro, 10m), new(empty, 0m), new(usable, 10m)], new Money(25m, Currency.USD), at);

        // Only "usable" counts: 10 covered, 25 - 10 = 15 uncovered.
        allocation.Draws.Should().Equal(new CreditDraw("usable", 10m));
        allocation.Covered.Should().Be(new Money(10m, Currency.USD));
        allocation.Uncovered.Should().Be(new Money(15m, Currency.USD));
    }

    [Fact]
    public void Allocate_RemainingBelowGrantAmount_NeverDrawsMoreThanRemaining()
    {
        var grant = Grant("g", 100, null, 1, amount: 100m);

        var allocation = CreditBurnOrder.Allocate([new(grant, 7.5m)], new Money(20m, Currency.USD), T0);

        // The grant was 100 but only 7.5 is left: draw 7.5, 20 - 7.5 = 12.5 uncovered.
        allocation.Draws.Should().Equal(new CreditDraw("g", 7.5m));
        allocation.Uncovered.Should().Be(new Money(12.5m, Currency.USD));
    }

    [Fact]
    public void Allocate_NegativeAmount_Throws()
    {
        var act = () => CreditBurnOrder.Allocate([], new Money(-1m, Currency.USD), T0);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
