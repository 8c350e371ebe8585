namespace Metering.Tests.Usage.Append;

using Metering;
using Metering.Storage;

public class UsageAppendRulesTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly BillingSchedule Monthly = BillingSchedule.FromStart(Start, DateTimeZone.Utc, BillingInterval.Months(1));
    private static readonly AggregateKey Calls = AggregateKey.ForMeter("api_calls");

    private static Subscription Subscription(Plan plan) => new()
    {
        SubscriptionId = "s1",
        CustomerId = "c1",
        PlanKey = plan.Key,
        PlanVersion = plan.Version,
        Schedule = Monthly,
        StartedAt = Start,
        CurrentPeriod = Monthly.PeriodAt(0),
    };

    private static Plan Metered() => Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
        .WithCharge("api_calls", PricingModel.PerUnit(0.50m))
        .Build().WithVersion(1);

    private static Plan Prepaid(CreditOverflow overflow) => Plan.Create("prepaid", Currency.USD, BillingInterval.Months(1))
        .WithCharge("api_calls", PricingModel.PerUnit(0.50m), o => o.BurnsCreditsInRealTime = true)
        .WhenCreditsRunOut(overflow)
        .Build().WithVersion(1);

    private static PreparedUsage Item(Plan plan, decimal quantity, string key = "k1", params AggregateTarget[] extra)
    {
        var charge = plan.Charges[0];
        AggregateTarget[] targets = [new(Calls, Aggregation.Sum, null, charge.BurnsCreditsInRealTime ? charge : null), .. extra];
        return new PreparedUsage(new UsageRecord("c1", "api_calls", quantity, Start + Duration.FromHours(1), key), "s1", Start, targets, plan);
    }

    private static CreditLedger Granted(decimal amount) =>
        CreditLedger.Empty("c1").Grant(new CreditGrant("g1", "c1", new Money(amount, Currency.USD), CreditCategory.Paid, Start));

    [Fact]
    public void Decide_NewRecord_FoldsIntoItsAggregate()
    {
        var plan = Metered();
        var state = new FakeState(Subscription(plan));
        state.Aggregates[Calls] = UsageAggregate.Empty(Aggregation.Sum).Apply(3m, Start, UsageAction.Increment);

        var outcome = UsageAppendRules.Decide(Item(plan, 4m), state);

        outcome.Should().Be(UsageOutcome.Accepted("s1", Start));
        state.Aggregates[Calls].Quantity.Should().Be(7m);
        state.Writes.Should().Be(1);
    }

    [Fact]
    public void Decide_NoStoredSubscription_RejectedWithoutChanges()
    {
        var state = new FakeState(null);

        var outcome = UsageAppendRules.Decide(Item(Metered(), 4m), state);

        outcome.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);
        outcome.SubscriptionId.Should().BeNull();
        state.Writes.Should().Be(0);
    }

    [Fact]
    public void Decide_SumWouldPassTheBound_RejectedAndNoTargetChanges()
    {
        var plan = Metered();
        var state = new FakeState(Subscription(plan));
        var filtered = AggregateKey.Parse("api_calls|eu");
        state.Aggregates[filtered] = UsageAggregate.Empty(Aggregation.Sum).Apply(MeteringLimits.MaxQuantity, Start, UsageAction.Increment);

        var outcome = UsageAppendRules.Decide(Item(plan, 1m, extra: new AggregateTarget(filtered, Aggregation.Sum, null, null)), state);

        outcome.Reason.Should().Be(UsageRejectionReason.QuantityOutOfRange);
        state.Aggregates.Should().NotContainKey(Calls, "the first target must not change when the second one is out of range");
        state.Writes.Should().Be(0);
    }

    [Fact]
    public void Decide_RealTimeCredits_BurnsThePricedCostAndRecordsItAsPrepaid()
    {
        var plan = Prepaid(CreditOverflow.Block);
        var state = new FakeState(Subscription(plan)) { Ledger = Granted(5.00m) };

        var outcome = UsageAppendRules.Decide(Item(plan, 4m), state);

        outcome.Kind.Should().Be(UsageOutcomeKind.Accepted);
        state.Ledger.BalanceAt(Currency.USD, Start + Duration.FromDays(1)).Remaining.Should().Be(3.00m, "4 calls x 0.50 = 2.00 burned from 5.00");
        state.Aggregates[AggregateKey.PrepaidFor("api_calls")].Value.Should().Be(2.00m);
        state.Aggregates[Calls].Quantity.Should().Be(4m);
    }

    [Fact]
    public void Decide_CreditsCannotCoverUnderBlock_InsufficientCreditsAndNothingChanges()
    {
        var plan = Prepaid(CreditOverflow.Block);
        var ledger = Granted(1.00m);
        var state = new FakeState(Subscription(plan)) { Ledger = ledger };

        var outcome = UsageAppendRules.Decide(Item(plan, 4m), state);

        outcome.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        state.Ledger.Should().BeSameAs(ledger);
        state.Writes.Should().Be(0);
    }

    [Fact]
    public void Decide_CreditsRunOutUnderOverage_BurnsWhatIsLeftAndPrepaysOnlyThat()
    {
        var plan = Prepaid(CreditOverflow.Overage);
        var state = new FakeState(Subscription(plan)) { Ledger = Granted(1.00m) };

        var outcome = UsageAppendRules.Decide(Item(plan, 4m), state);

        outcome.Kind.Should().Be(UsageOutcomeKind.Accepted);
        state.Ledger.BalanceAt(Currency.USD, Start + Duration.FromDays(1)).Remaining.Should().Be(0m);
        state.Aggregates[AggregateKey.PrepaidFor("api_calls")].Value.Should().Be(1.00m, "the other 1.00 is billed on the invoice");
    }

    [Fact]
    public void ForExistingKey_SameContent_DuplicateOfTheStoredPeriod()
    {
        var record = new UsageRecord("c1", "api_calls", 2m, Start, "k1");

        UsageAppendRules.ForExistingKey(record, "s0", Start - Duration.FromDays(31), record with { })
            .Should().Be(UsageOutcome.Duplicate("s0", Start - Duration.FromDays(31)));
    }

    [Fact]
    public void ForExistingKey_OtherContent_Conflict()
    {
        var record = new UsageRecord("c1", "api_calls", 2m, Start, "k1");

        var outcome = UsageAppendRules.ForExistingKey(record, "s0", Start, record with { Quantity = 3m });

        outcome.Kind.Should().Be(UsageOutcomeKind.Conflict);
        outcome.Reason.Should().Be(UsageRejectionReason.IdempotencyKeyConflict);
        outcome.PeriodStart.Should().BeNull();
    }

    [Fact]
    public void Decide_ARecordOpeningTwoGroupsWhereOnlyOneFits_IsRejectedWhole()
    {
        var meter = Meter.Sum("api_calls").WithGroupBy("region", "model");
        var plan = Plan.Create("grouped", Currency.USD, BillingInterval.Months(1))
            .WithCharge(meter, PricingModel.PerUnit(1m), c => { c.Key = "by_region"; c.GroupedBy("region"); })
            .WithCharge(meter, PricingModel.PerUnit(1m), c => { c.Key = "by_model"; c.GroupedBy("model"); })
            .Build().WithVersion(1);
        var state = new FakeState(Subscription(plan));
        var open = UsageAggregate.Empty(Aggregation.Sum).Apply(1m, Start, UsageAction.Increment);
        for (int i = 0; i < MeteringLimits.MaxGroupsPerPeriod - 1; i++)
        {
            state.Aggregates[AggregateKey.ForGroup(plan.Charges[0], [$"r{i}"])] = open;
        }

        var properties = new Dictionary<string, string> { ["region"] = "new-region", ["model"] = "new-model" };
        AggregateTarget[] targets = [.. plan.Charges.Select(c => new AggregateTarget(AggregateKey.ForGroup(c, properties), Aggregation.Sum, null, null))];
        var item = new PreparedUsage(new UsageRecord("c1", "api_calls", 1m, Start + Duration.FromHours(1), "k1", Properties: properties), "s1", Start, targets, plan);
        int writes = state.Writes;

        var outcome = UsageAppendRules.Decide(item, state);

        // 999 groups: the region group would be the 1,000th (it fits), the model group the 1,001st (it does not).
        outcome.Reason.Should().Be(UsageRejectionReason.TooManyGroups);
        outcome.Rejection!.Value.Message.Should().Contain("'by_model'");
        state.Writes.Should().Be(writes, "a rejected record changes nothing");
        var oneGroup = new PreparedUsage(item.Record, "s1", Start, [targets[0]], plan);
        UsageAppendRules.Decide(oneGroup, state).Kind.Should().Be(UsageOutcomeKind.Accepted, "one new group still fits");
        state.CountGroups(oneGroup).Should().Be(MeteringLimits.MaxGroupsPerPeriod);
    }

    private sealed class FakeState(Subscription? subscription) : IUsageAppendState
    {
        public Dictionary<AggregateKey, UsageAggregate> Aggregates { get; } = [];

        public CreditLedger Ledger { get; set; } = CreditLedger.Empty("c1");

        public int Writes { get; private set; }

        public Subscription? FindSubscription(string subscriptionId) => subscription?.SubscriptionId == subscriptionId ? subscription : null;

        public bool TryGetAggregate(in PreparedUsage item, AggregateKey key, out UsageAggregate aggregate) => Aggregates.TryGetValue(key, out aggregate);

        public void SetAggregate(in PreparedUsage item, AggregateTarget? target, AggregateKey key, UsageAggregate before, UsageAggregate after)
        {
            Aggregates[key] = after;
            Writes++;
        }

        public int CountGroups(in PreparedUsage item) =>
            Aggregates.Count(a => a.Key.Kind == AggregateKeyKind.GroupedCharge && !a.Value.IsEmpty);

        public CreditLedger GetLedger(string customerId) => Ledger;

        public List<BillingEvent> Events { get; } = [];

        public void AddEvent(BillingEvent billingEvent) => Events.Add(billingEvent);

        public void SetLedger(CreditLedger before, CreditLedger after)
        {
            before.Should().BeSameAs(Ledger);
            Ledger = after;
            Writes++;
        }
    }
}
