namespace Metering.Tests.Credits;

using Metering;

/// <summary>
/// <see cref="CreditLedger.WithHistory"/>: a ledger extended with the history stored after it is the ledger
/// <see cref="CreditLedger.FromHistory"/> builds from the whole history, and a new history that breaks an invariant is
/// refused naming it, as a whole one would be.
/// </summary>
public class CreditLedgerHistoryTest
{
    private static readonly Instant T0 = Instant.FromUtc(2025, 1, 1, 0, 0);

    private static Instant Day(int days) => T0 + Duration.FromDays(days);

    private static Money Usd(decimal amount) => new(amount, Currency.USD);

    private static CreditGrant Grant(string id, decimal amount, int? expiresOnDay = null) =>
        new(id, "c1", Usd(amount), CreditCategory.Paid, T0, expiresAt: expiresOnDay is { } day ? Day(day) : null);

    /// <summary>A ledger written step by step: two grants, burns, a void, an expiry, a late grant and more burns.</summary>
    private static List<CreditLedger> Steps()
    {
        var steps = new List<CreditLedger> { CreditLedger.Empty("c1") };
        void Add(CreditLedger next) => steps.Add(next);
        Add(steps[^1].Grant(Grant("g1", 100m, expiresOnDay: 10)));
        Add(steps[^1].Grant(Grant("g2", 50m)));
        for (var i = 1; i <= 6; i++)
        {
            Add(steps[^1].Consume(Usd(7m), Day(i), $"k{i}").Ledger);
        }

        Add(steps[^1].Void("g2", Day(7), "refund"));
        Add(steps[^1].ExpireDue(Day(11)).Ledger);
        Add(steps[^1].Grant(Grant("g3", 20m)));
        Add(steps[^1].Consume(Usd(5m), Day(3), "late").Ledger); // backdated: before later consumptions
        Add(steps[^1].Consume(Usd(4m), Day(12), "k7").Ledger);
        return steps;
    }

    [Fact]
    public void ExtendingAnyEarlierLedger_WithWhatFollowsIt_BuildsTheWholeHistorysLedger()
    {
        var steps = Steps();
        var whole = steps[^1];
        var rebuilt = CreditLedger.FromHistory("c1", whole.Grants, whole.Transactions);
        foreach (var earlier in steps)
        {
            var held = CreditLedger.FromHistory("c1", earlier.Grants, earlier.Transactions);
            var newTransactions = whole.Transactions.Where(t => t.Sequence > held.LastSequence).Reverse().ToList(); // any order
            var newGrants = whole.Grants.Where(g => !held.TryGetGrant(g.GrantId, out _)).ToList();

            var extended = held.WithHistory(newGrants, newTransactions);

            extended.LastSequence.Should().Be(rebuilt.LastSequence);
            extended.Grants.Select(g => g.GrantId).Should().Equal(rebuilt.Grants.Select(g => g.GrantId));
            extended.Transactions.Select(t => t.TransactionId).Should().Equal(rebuilt.Transactions.Select(t => t.TransactionId));
            foreach (var day in new[] { 0, 3, 5, 8, 10, 11, 12, 30 })
            {
                extended.BalancesAt(Day(day)).Should().BeEquivalentTo(rebuilt.BalancesAt(Day(day)), "at day {0}, extended from sequence {1}", day, held.LastSequence);
                foreach (var grant in rebuilt.Grants)
                {
                    extended.RemainingOf(grant.GrantId, Day(day)).Should().Be(rebuilt.RemainingOf(grant.GrantId, Day(day)));
                }
            }

            extended.FindViolations().Should().BeEmpty();
        }

        // Extending with nothing is the same ledger; the next operation continues the sequence.
        rebuilt.WithHistory([], []).Should().BeSameAs(rebuilt);
        var caughtUp = steps[3].WithHistory(
            whole.Grants.Where(g => !steps[3].TryGetGrant(g.GrantId, out _)).ToList(),
            whole.Transactions.Where(t => t.Sequence > steps[3].LastSequence).ToList());
        caughtUp.Consume(Usd(1m), Day(13)).Ledger.LastSequence.Should().Be(whole.LastSequence + 1);
    }

    [Fact]
    public void ANewHistoryBreakingAnInvariant_IsRefusedNamingIt()
    {
        var held = CreditLedger.Empty("c1").Grant(Grant("g1", 10m));
        var more = held.Consume(Usd(4m), Day(1), "k1").Ledger;
        var burn = more.Transactions[^1];

        var repeated = () => more.WithHistory([], [burn]);
        repeated.Should().Throw<CreditLedgerInvariantException>().WithMessage("*not after the ledger's last sequence 2*");

        var sameId = () => held.WithHistory([], [burn, new CreditTransaction(3, burn.TransactionId, "c1", "g1", CreditTransactionType.Consumption, Usd(1m), Day(2))]);
        sameId.Should().Throw<CreditLedgerInvariantException>().WithMessage("*used more than once*");

        var overdrawn = () => held.WithHistory([], [new CreditTransaction(2, "big", "c1", "g1", CreditTransactionType.Consumption, Usd(11m), Day(2))]);
        overdrawn.Should().Throw<CreditLedgerInvariantException>().WithMessage("*Grant 'g1' is overdrawn*");

        // Backdated before a later burn: fine at its own instant, but the later burn would now overdraw.
        var later = held.Consume(Usd(8m), Day(5), "k5").Ledger;
        var backdated = () => later.WithHistory([], [new CreditTransaction(3, "early", "c1", "g1", CreditTransactionType.Consumption, Usd(5m), Day(1))]);
        backdated.Should().Throw<CreditLedgerInvariantException>().WithMessage("*Grant 'g1' is overdrawn: -3 remaining after transaction 2*");

        var unknown = () => held.WithHistory([], [new CreditTransaction(2, "x", "c1", "g9", CreditTransactionType.Consumption, Usd(1m), Day(2))]);
        unknown.Should().Throw<CreditLedgerInvariantException>().WithMessage("*unknown grant 'g9'*");

        var grantAgain = () => held.WithHistory([Grant("g1", 5m)], [new CreditTransaction(2, "g1:2", "c1", "g1", CreditTransactionType.Grant, Usd(5m), T0)]);
        grantAgain.Should().Throw<CreditLedgerInvariantException>().WithMessage("*Grant id 'g1' is used more than once*");

        var noGrantRow = () => held.WithHistory([], [new CreditTransaction(2, "g2:2", "c1", "g2", CreditTransactionType.Grant, Usd(5m), T0)]);
        noGrantRow.Should().Throw<CreditLedgerInvariantException>().WithMessage("*unknown grant 'g2'*");
    }
}
