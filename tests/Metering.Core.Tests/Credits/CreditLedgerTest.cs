namespace Metering.Tests.Credits;

using Metering;

public class CreditLedgerTest
{
    private static readonly Instant T0 = Instant.FromUtc(2025, 1, 1, 0, 0);
    private static readonly Currency Credits = Currency.Custom("credits", 0);

    private static Instant Day(int days) => T0 + Duration.FromDays(days);

    private static Money Usd(decimal amount) => new(amount, Currency.USD);

    private static CreditGrant Grant(
        string id, decimal amount, int priority = CreditGrant.DefaultPriority, int? expiresOnDay = null, int effectiveOnDay = 0,
        Currency? unit = null, CreditCategory category = CreditCategory.Paid) =>
        new(id, "c1", new Money(amount, unit ?? Currency.USD), category, Day(effectiveOnDay),
            expiresAt: expiresOnDay is { } day ? Day(day) : null, priority: priority);

    [Fact]
    public void Grant_AppendsGrantTransactionAtEffectiveAtAndAssignsSequence()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 100m, effectiveOnDay: 3));

        var transaction = ledger.Transactions.Should().ContainSingle().Subject;
        transaction.Type.Should().Be(CreditTransactionType.Grant);
        transaction.Sequence.Should().Be(1);
        transaction.TransactionId.Should().Be("g1:1");
        transaction.At.Should().Be(Day(3));
        transaction.Amount.Should().Be(Usd(100m));
        ledger.Grants.Should().ContainSingle().Which.Sequence.Should().Be(1);
        ledger.LastSequence.Should().Be(1);
    }

    [Fact]
    public void Grant_DuplicateIdOrOtherCustomer_Throws()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 100m));
        var duplicate = () => ledger.Grant(Grant("g1", 5m));
        var otherCustomer = () => ledger.Grant(new CreditGrant("g2", "c2", Usd(5m), CreditCategory.Paid, T0));

        duplicate.Should().Throw<InvalidCreditGrantException>().WithMessage("*already has*'g1'*another id*");
        otherCustomer.Should().Throw<InvalidCreditGrantException>().WithMessage("*'g2'*customer 'c2'*'c1'*");
    }

    [Fact]
    public void Consume_FourGrants_BurnsInPriorityExpiryAgeOrder()
    {
        var ledger = CreditLedger.Empty("c1")
            .Grant(Grant("old-never", 10m))                        // seq 1, priority 100, no expiry
            .Grant(Grant("new-never", 10m))                        // seq 2, priority 100, no expiry
            .Grant(Grant("expires-day-20", 10m, expiresOnDay: 20)) // seq 3, priority 100
            .Grant(Grant("vip", 10m, priority: 1));                // seq 4, priority 1

        var (after, allocation) = ledger.Consume(Usd(35m), Day(1));

        // 35 = vip 10 + expires-day-20 10 + old-never 10 + new-never 5.
        allocation.Draws.Should().Equal(
            new CreditDraw("vip", 10m), new CreditDraw("expires-day-20", 10m), new CreditDraw("old-never", 10m), new CreditDraw("new-never", 5m));
        after.RemainingOf("new-never", Day(1)).Should().Be(5m);
    }

    [Fact]
    public void Consume_SpansTwoGrants_OneConsumptionPerGrant()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("p1", 30m, priority: 10)).Grant(Grant("p2", 50m, priority: 20));

        var (after, allocation) = ledger.Consume(Usd(45m), Day(1), usageIdempotencyKey: "usage-7");

        // 45 = 30 (all of p1) + 15 from p2; p2 keeps 50 - 15 = 35.
        allocation.Covered.Should().Be(Usd(45m));
        allocation.Uncovered.Should().Be(Usd(0m));
        var consumptions = after.Transactions.Where(t => t.Type == CreditTransactionType.Consumption).ToList();
        consumptions.Select(t => (t.Sequence, t.TransactionId, t.GrantId, t.Amount.Amount, t.UsageIdempotencyKey))
            .Should().Equal((3L, "p1:3", "p1", 30m, "usage-7"), (4L, "p2:4", "p2", 15m, "usage-7"));
        after.RemainingOf("p1", Day(1)).Should().Be(0m);
        after.RemainingOf("p2", Day(1)).Should().Be(35m);
        ledger.Transactions.Should().HaveCount(2, "the original ledger is immutable");
    }

    [Fact]
    public void Consume_WithTransactionIdPrefix_UsesPrefixAndGrantId()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 30m));

        var (after, _) = ledger.Consume(Usd(5m), Day(1), transactionIdPrefix: "usage-42");

        after.Transactions[^1].TransactionId.Should().Be("usage-42:g1");
        var again = () => after.Consume(Usd(5m), Day(1), transactionIdPrefix: "usage-42");
        again.Should().Throw<InvalidCreditOperationException>().WithMessage("*'usage-42:g1'*already used*");
    }

    [Fact]
    public void Consume_AtExpiryInstant_GrantNoLongerUsable()
    {
        var expiry = Day(10);
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 100m, expiresOnDay: 10));

        var (beforeExpiry, justBefore) = ledger.Consume(Usd(10m), expiry - Duration.Epsilon);
        var (atExpiry, exactly) = beforeExpiry.Consume(Usd(10m), expiry);

        justBefore.Covered.Should().Be(Usd(10m));
        beforeExpiry.RemainingOf("g1", expiry - Duration.Epsilon).Should().Be(90m); // 100 - 10
        exactly.Draws.Should().BeEmpty();
        exactly.Uncovered.Should().Be(Usd(10m));
        atExpiry.Should().BeSameAs(beforeExpiry);
        atExpiry.RemainingOf("g1", expiry).Should().Be(0m);
    }

    [Fact]
    public void Consume_GrantNotYetEffective_IsNotUsed()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("future", 50m, effectiveOnDay: 5));

        var (_, allocation) = ledger.Consume(Usd(20m), Day(1));

        allocation.Draws.Should().BeEmpty();
        allocation.Uncovered.Should().Be(Usd(20m));
        ledger.RemainingOf("future", Day(5) - Duration.Epsilon).Should().Be(0m);
        ledger.RemainingOf("future", Day(5)).Should().Be(50m);
        ledger.BalanceAt(Currency.USD, Day(1)).Granted.Should().Be(0m);
        ledger.CanCover(Usd(20m), Day(1)).Should().BeFalse();
        ledger.CanCover(Usd(20m), Day(5)).Should().BeTrue();
    }

    [Fact]
    public void Consume_MoreThanAvailable_DrawsAllReportsUncoveredNeverNegative()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 40m));
        ledger.CanCover(Usd(100m), Day(1)).Should().BeFalse();
        ledger.CanCover(Usd(40m), Day(1)).Should().BeTrue();

        var (after, allocation) = ledger.Consume(Usd(100m), Day(1));

        // 40 covered, 100 - 40 = 60 uncovered; the grant stops at 0.
        allocation.Covered.Should().Be(Usd(40m));
        allocation.Uncovered.Should().Be(Usd(60m));
        after.RemainingOf("g1", Day(1)).Should().Be(0m);
        after.BalanceAt(Currency.USD, Day(1)).Remaining.Should().Be(0m);
        after.FindViolations().Should().BeEmpty();
        var (again, nothing) = after.Consume(Usd(1m), Day(2));
        nothing.Uncovered.Should().Be(Usd(1m));
        again.Should().BeSameAs(after);
    }

    [Fact]
    public void Consume_LateRecordBeforeLaterConsumption_CannotOverdrawLaterMoment()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 100m));
        var (afterDay5, _) = ledger.Consume(Usd(80m), Day(5));

        var (after, allocation) = afterDay5.Consume(Usd(50m), Day(2));

        // On day 2 the grant holds 100, but 80 is already spent on day 5: only 100 - 80 = 20 can be drawn; 50 - 20 = 30 uncovered.
        allocation.Covered.Should().Be(Usd(20m));
        allocation.Uncovered.Should().Be(Usd(30m));
        after.RemainingOf("g1", Day(3)).Should().Be(80m); // 100 - 20
        after.RemainingOf("g1", Day(6)).Should().Be(0m);  // 100 - 20 - 80
        after.FindViolations().Should().BeEmpty();
    }

    [Fact]
    public void BalancesAt_GrantExpiredByT_CountsAsExpiredNotRemaining()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("short", 100m, expiresOnDay: 10)).Grant(Grant("forever", 50m));

        var day5 = ledger.BalanceAt(Currency.USD, Day(5));
        var day10 = ledger.BalanceAt(Currency.USD, Day(10));

        day5.Remaining.Should().Be(150m); // 100 + 50
        day10.Should().Be(new CreditBalance(Currency.USD, Granted: 150m, Consumed: 0m, Expired: 100m, Voided: 0m, Adjusted: 0m, Remaining: 50m));
        ledger.Transactions.Should().NotContain(t => t.Type == CreditTransactionType.Expiration, "nothing was written yet");
    }

    [Fact]
    public void BalancesAt_EqualsSumOfTransactions()
    {
        var (ledger, _) = CreditLedger.Empty("c1").Grant(Grant("g1", 100m)).Consume(Usd(30m), Day(1));
        ledger = ledger.Adjust("g1", 20m, Day(2), "goodwill");
        (ledger, _) = ledger.Consume(Usd(15m), Day(3));

        var balance = ledger.BalanceAt(Currency.USD, Day(3));

        // +100 grant, -30 consumption, +20 adjustment, -15 consumption = 75.
        balance.Should().Be(new CreditBalance(Currency.USD, Granted: 100m, Consumed: 45m, Expired: 0m, Voided: 0m, Adjusted: 20m, Remaining: 75m));
        ledger.Transactions.Select(t => t.Effect).Should().Equal(100m, -30m, 20m, -15m);
        ledger.Transactions.Sum(t => t.Effect).Should().Be(balance.Remaining);
        // At day 1 only the grant and the first consumption count: 100 - 30 = 70.
        ledger.BalanceAt(Currency.USD, Day(1)).Remaining.Should().Be(70m);
    }

    [Fact]
    public void Void_CancelsRemainder()
    {
        var (ledger, _) = CreditLedger.Empty("c1").Grant(Grant("g1", 100m)).Consume(Usd(25m), Day(1));

        var voided = ledger.Void("g1", Day(2), "customer churned");

        var transaction = voided.Transactions[^1];
        transaction.Type.Should().Be(CreditTransactionType.Void);
        transaction.Amount.Should().Be(Usd(75m)); // 100 - 25
        transaction.At.Should().Be(Day(2));
        transaction.Description.Should().Be("customer churned");
        voided.RemainingOf("g1", Day(2)).Should().Be(0m);
        voided.RemainingOf("g1", Day(1)).Should().Be(75m, "the void happens on day 2");
        voided.BalanceAt(Currency.USD, Day(2)).Voided.Should().Be(75m);
        voided.Void("g1", Day(3), null).Should().BeSameAs(voided, "nothing is left to void");
    }

    [Fact]
    public void Void_UnknownGrant_ThrowsNamingIt()
    {
        var act = () => CreditLedger.Empty("c1").Void("nope", T0, null);

        act.Should().Throw<UnknownCreditGrantException>().WithMessage("*'c1'*'nope'*");
    }

    [Fact]
    public void Adjust_NegativeResult_Rejected()
    {
        var (ledger, _) = CreditLedger.Empty("c1").Grant(Grant("g1", 50m)).Consume(Usd(20m), Day(1));

        // 50 - 20 = 30 left: removing 31 would leave -1.
        var tooMuch = () => ledger.Adjust("g1", -31m, Day(2), "correction");

        tooMuch.Should().Throw<InvalidCreditOperationException>().WithMessage("*'g1'*-31*-1 remaining*30*");
        var emptied = ledger.Adjust("g1", -30m, Day(2), "correction");
        emptied.RemainingOf("g1", Day(2)).Should().Be(0m);
        emptied.Adjust("g1", 10m, Day(3), "top-up").RemainingOf("g1", Day(3)).Should().Be(10m);
    }

    [Fact]
    public void Adjust_ExpiredGrant_Rejected()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 50m, expiresOnDay: 10));

        var act = () => ledger.Adjust("g1", 5m, Day(10), "late top-up");

        act.Should().Throw<InvalidCreditOperationException>().WithMessage("*'g1'*expired*grant new credits*");
    }

    [Fact]
    public void FromHistory_Overdraw_Detected()
    {
        var grant = Grant("g1", 50m).WithSequence(1);
        var transactions = new[]
        {
            new CreditTransaction(1, "t1", "c1", "g1", CreditTransactionType.Grant, Usd(50m), T0),
            new CreditTransaction(2, "t2", "c1", "g1", CreditTransactionType.Consumption, Usd(30m), Day(1)),
            new CreditTransaction(3, "t3", "c1", "g1", CreditTransactionType.Consumption, Usd(30m), Day(2)),
        };

        var act = () => CreditLedger.FromHistory("c1", [grant], transactions);

        // 50 - 30 - 30 = -10 after t3.
        act.Should().Throw<CreditLedgerInvariantException>().WithMessage("*'g1'*overdrawn*-10*'t3'*")
            .Which.Violations.Should().ContainSingle();
    }

    [Fact]
    public void FromHistory_UnknownGrantAndMissingGrantTransaction_AllReported()
    {
        var grant = Grant("g1", 50m).WithSequence(1);
        var transactions = new[]
        {
            new CreditTransaction(1, "t1", "c1", "ghost", CreditTransactionType.Grant, Usd(50m), T0),
        };

        var act = () => CreditLedger.FromHistory("c1", [grant], transactions);

        act.Should().Throw<CreditLedgerInvariantException>()
            .Which.Violations.Should().HaveCount(2)
            .And.Contain(v => v.Contains("unknown grant 'ghost'"))
            .And.Contain(v => v.Contains("'g1' has no Grant transaction"));
    }

    [Fact]
    public void FromHistory_OfValidLedger_RoundTrips()
    {
        var (ledger, _) = CreditLedger.Empty("c1")
            .Grant(Grant("a", 30m, expiresOnDay: 10))
            .Grant(Grant("b", 100m))
            .Consume(Usd(40m), Day(1));
        ledger = ledger.Adjust("b", -5m, Day(2), "fix");
        (ledger, _) = ledger.ExpireDue(Day(20));

        var rebuilt = CreditLedger.FromHistory("c1", ledger.Grants.Reverse(), ledger.Transactions.Reverse());

        rebuilt.Grants.Should().Equal(ledger.Grants);
        rebuilt.Transactions.Should().Equal(ledger.Transactions);
        rebuilt.LastSequence.Should().Be(ledger.LastSequence);
        rebuilt.BalancesAt(Day(20)).Should().Equal(ledger.BalancesAt(Day(20)));
        // a: 30, all consumed on day 1 -> nothing to expire. b: 100 - 10 - 5 = 85.
        rebuilt.BalanceAt(Currency.USD, Day(20)).Remaining.Should().Be(85m);
    }

    [Fact]
    public void BalancesAt_MultipleUnits_KeptSeparate()
    {
        var ledger = CreditLedger.Empty("c1")
            .Grant(Grant("cash", 20m))
            .Grant(Grant("tokens", 1000m, unit: Credits, category: CreditCategory.Promotional));
        (ledger, var tokenUse) = ledger.Consume(new Money(300m, Credits), Day(1));
        (ledger, var cashUse) = ledger.Consume(Usd(5m), Day(1));

        var balances = ledger.BalancesAt(Day(1));

        tokenUse.Draws.Should().Equal(new CreditDraw("tokens", 300m));
        cashUse.Draws.Should().Equal(new CreditDraw("cash", 5m));
        // Ordered by code, ordinal: "USD" ('U' = 0x55) before "credits" ('c' = 0x63).
        balances.Should().Equal(
            new CreditBalance(Currency.USD, Granted: 20m, Consumed: 5m, Expired: 0m, Voided: 0m, Adjusted: 0m, Remaining: 15m),
            new CreditBalance(Credits, Granted: 1000m, Consumed: 300m, Expired: 0m, Voided: 0m, Adjusted: 0m, Remaining: 700m));
    }

    [Fact]
    public void DesignExample_PromotionalCreditsExpireAfterThirtyDays()
    {
        var grant = Grant("welcome", 1000m, expiresOnDay: 30, unit: Credits, category: CreditCategory.Promotional);
        var (ledger, _) = CreditLedger.Empty("c1").Grant(grant).Consume(new Money(10m, Credits), Day(1));
        ledger.BalanceAt(Credits, Day(1)).Remaining.Should().Be(990m); // 1000 - 10

        // On day 30 the read already treats the 990 as expired, before anything is written.
        ledger.BalanceAt(Credits, Day(30)).Should().Be(
            new CreditBalance(Credits, Granted: 1000m, Consumed: 10m, Expired: 990m, Voided: 0m, Adjusted: 0m, Remaining: 0m));

        var (expired, written) = ledger.ExpireDue(Day(30));

        var expiration = written.Should().ContainSingle().Subject;
        expiration.Type.Should().Be(CreditTransactionType.Expiration);
        expiration.Amount.Should().Be(new Money(990m, Credits));
        expiration.At.Should().Be(Day(30));
        expired.Transactions[^1].Should().Be(expiration);
        expired.BalanceAt(Credits, Day(30)).Should().Be(
            new CreditBalance(Credits, Granted: 1000m, Consumed: 10m, Expired: 990m, Voided: 0m, Adjusted: 0m, Remaining: 0m));
        var (again, none) = expired.ExpireDue(Day(31));
        none.Should().BeEmpty();
        again.Should().BeSameAs(expired);
    }

    [Fact]
    public void ExpireDue_BeforeExpiry_WritesNothing()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 10m, expiresOnDay: 30)).Grant(Grant("never", 10m));

        var (after, written) = ledger.ExpireDue(Day(30) - Duration.Epsilon);

        written.Should().BeEmpty();
        after.Should().BeSameAs(ledger);
    }

    [Fact]
    public void CheckInvariants_LedgerBuiltByOperations_IsSound()
    {
        var (ledger, _) = CreditLedger.Empty("c1")
            .Grant(Grant("a", 10m, priority: 1, expiresOnDay: 5))
            .Grant(Grant("b", 10m))
            .Consume(Usd(15m), Day(1));
        ledger = ledger.Void("b", Day(2), "test");
        (ledger, _) = ledger.ExpireDue(Day(6));

        var act = ledger.CheckInvariants;

        act.Should().NotThrow();
        // a: 10 consumed, nothing to expire; b: 5 consumed, 5 voided.
        ledger.BalanceAt(Currency.USD, Day(6)).Should().Be(
            new CreditBalance(Currency.USD, Granted: 20m, Consumed: 15m, Expired: 0m, Voided: 5m, Adjusted: 0m, Remaining: 0m));
    }

    [Fact]
    public void ReturnInvoiceCredits_ConsumedAtInvoiceTime_OneAdjustmentPerGrantOnce()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 30m, priority: 1)).Grant(Grant("g2", 40m, priority: 2));
        (ledger, _) = ledger.Consume(Usd(50m), Day(1), invoiceId: "inv-1");
        (ledger, _) = ledger.Consume(Usd(5m), Day(1), invoiceId: "inv-2");

        var (returned, amounts) = ledger.ReturnInvoiceCredits("inv-1", Day(2));

        amounts.Should().Equal(Usd(50m));
        returned.Transactions.Skip(ledger.Transactions.Count).Select(t => (t.Type, t.GrantId, t.Amount, t.InvoiceId))
            .Should().Equal((CreditTransactionType.Adjustment, "g1", Usd(30m), "inv-1"), (CreditTransactionType.Adjustment, "g2", Usd(20m), "inv-1"));
        returned.BalanceAt(Currency.USD, Day(2)).Remaining.Should().Be(65m, "70 granted - 55 consumed + 50 returned");
        returned.ReturnInvoiceCredits("inv-1", Day(3)).Returned.Should().BeEmpty("credits are returned once");
        returned.FindViolations().Should().BeEmpty();
    }

    [Fact]
    public void ReturnInvoiceCredits_GrantExpiredSince_NotReinstated()
    {
        var ledger = CreditLedger.Empty("c1").Grant(Grant("g1", 30m, expiresOnDay: 10));
        (ledger, _) = ledger.Consume(Usd(20m), Day(1), invoiceId: "inv-1");

        var (returned, amounts) = ledger.ReturnInvoiceCredits("inv-1", Day(11));

        amounts.Should().BeEmpty();
        returned.Should().BeSameAs(ledger);
    }
}
