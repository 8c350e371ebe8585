namespace Metering.Storage;

/// <summary>
/// What a store has loaded, under its lock, for the usage it is appending: the subscriptions, the aggregates of the
/// periods the records land in, and the customers' credit ledgers. <see cref="UsageAppendRules.Decide"/> reads and
/// changes it; the store writes the changes back in the same transaction.
/// </summary>
/// <remarks>
/// Reads see the changes of earlier decisions in the same transaction. Implement it with a sealed class or a struct:
/// <see cref="UsageAppendRules.Decide"/> is generic over it, so calls are not virtual on the hot path.
/// </remarks>
public interface IUsageAppendState
{
    /// <summary>The subscription as stored now, or null when there is none.</summary>
    Subscription? FindSubscription(string subscriptionId);

    /// <summary>The aggregate <paramref name="key"/> of the item's (subscription, period); false when it does not exist yet.</summary>
    bool TryGetAggregate(in PreparedUsage item, AggregateKey key, out UsageAggregate aggregate);

    /// <summary>Records the new value of aggregate <paramref name="key"/> of the item's (subscription, period).</summary>
    /// <param name="item">The usage being appended.</param>
    /// <param name="target">The target the record folded into, or null for a prepaid-credits aggregate.</param>
    /// <param name="key">The aggregate's key.</param>
    /// <param name="before">Its value before this record.</param>
    /// <param name="after">Its value after this record.</param>
    void SetAggregate(in PreparedUsage item, AggregateTarget? target, AggregateKey key, UsageAggregate before, UsageAggregate after);

    /// <summary>
    /// How many groups (<see cref="AggregateKeyKind.GroupedCharge"/> aggregates holding at least one record) the item's
    /// (subscription, period) has, counting those opened by earlier decisions in the same transaction. Asked only when a
    /// record would open a group; the count must not be able to change under the caller until its transaction ends.
    /// </summary>
    int CountGroups(in PreparedUsage item);

    /// <summary>The customer's credit ledger as stored now (empty when the customer has none).</summary>
    CreditLedger GetLedger(string customerId);

    /// <summary>Records the customer's ledger after a burn: <paramref name="after"/> only appends to <paramref name="before"/>.</summary>
    void SetLedger(CreditLedger before, CreditLedger after);

    /// <summary>Stores an event raised by the decision (a low or exhausted credit balance) in the same transaction.</summary>
    void AddEvent(BillingEvent billingEvent);
}

/// <summary>
/// The append decision, made once for every store: after the store has looked the record's idempotency key up
/// (<see cref="ForExistingKey"/> when it is taken), <see cref="Decide"/> checks the subscription as stored, the
/// aggregate bounds and the credits, then folds the record into its aggregates. A rejected record changes nothing.
/// Pure apart from the state it is given.
/// </summary>
public static class UsageAppendRules
{
    /// <summary>Outcome for a record whose idempotency key is already stored: Duplicate when the content is the same, else Conflict.</summary>
    public static UsageOutcome ForExistingKey(UsageRecord stored, string storedSubscriptionId, Instant storedPeriodStart, UsageRecord incoming)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(incoming);
        return stored.ContentEquals(incoming)
            ? UsageOutcome.Duplicate(storedSubscriptionId, storedPeriodStart)
            : UsageOutcome.Conflict(incoming.IdempotencyKey);
    }

    /// <summary>
    /// Decides a record whose idempotency key is new, against <paramref name="state"/>: the subscription as stored
    /// (<see cref="UsageAttribution.CheckStored(UsageRecord, string, string, int, Subscription?, bool)"/>), every target's bound (<see cref="CheckBounds"/>) and hard limit
    /// (<see cref="CheckLimit"/>), the real-time
    /// credit burn (<see cref="Burn"/>), then the aggregate updates. Changes the state only when the record is accepted.
    /// </summary>
    /// <returns>Accepted, or Rejected with the reason; the store keeps the record only when accepted.</returns>
    public static UsageOutcome Decide<TState>(in PreparedUsage item, TState state)
        where TState : IUsageAppendState
    {
        var record = item.Record;
        var subscription = state.FindSubscription(item.SubscriptionId);
        if (UsageAttribution.CheckStored(record, item.SubscriptionId, item.Plan.Key, item.Plan.Version, subscription, item.Backfill) is { } invalid)
        {
            return subscription is null ? UsageOutcome.Rejected(invalid) : UsageOutcome.Rejected(invalid, item.SubscriptionId);
        }

        var targets = item.Targets;
        if (targets.Length == 1 && targets[0].BurningCharge is null)
        {
            // The usual case: one aggregate, no credits. One read, one write.
            var target = targets[0];
            var current = Current(in item, state, target.Key, target.Aggregation);
            int opened = 0;
            if ((CheckBounds(current, target, record) ?? CheckGroupCount(in item, state, target, current, ref opened)) is { } overLimit)
            {
                return UsageOutcome.Rejected(overLimit, item.SubscriptionId);
            }

            var folded = Apply(current, target, record);
            if (CheckLimit(current, folded, target) is { } limitReached)
            {
                return UsageOutcome.Rejected(limitReached, item.SubscriptionId);
            }

            state.SetAggregate(in item, target, target.Key, current, folded);
            if (target.AlertingCharges.Count > 0 || subscription!.UsageAlerts.Count > 0)
            {
                RaiseUsageAlerts(in item, target, subscription!, current, folded, state);
            }

            return UsageOutcome.Accepted(item.SubscriptionId, item.PeriodStart);
        }

        var before = new UsageAggregate[targets.Length];
        var after = new UsageAggregate[targets.Length];
        int groupsOpened = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            before[i] = Current(in item, state, targets[i].Key, targets[i].Aggregation);
            if ((CheckBounds(before[i], targets[i], record) ?? CheckGroupCount(in item, state, targets[i], before[i], ref groupsOpened)) is { } overLimit)
            {
                return UsageOutcome.Rejected(overLimit, item.SubscriptionId);
            }

            after[i] = Apply(before[i], targets[i], record);
            if (CheckLimit(before[i], after[i], targets[i]) is { } limitReached)
            {
                return UsageOutcome.Rejected(limitReached, item.SubscriptionId);
            }
        }

        if (item.BurnsCredits)
        {
            var ledger = state.GetLedger(subscription!.CustomerId);
            var burn = Burn(in item, before, after, ledger, record.Timestamp);
            if (burn.Rejection is { } insufficient)
            {
                return UsageOutcome.Rejected(insufficient, item.SubscriptionId);
            }

            if (burn.LedgerAfter is { } burned)
            {
                state.SetLedger(ledger, burned);
                foreach (var alert in CreditAlerts.Crossings(ledger, burned, item.LowCreditThresholds, record.Timestamp))
                {
                    state.AddEvent(alert);
                }
            }

            for (int i = 0; i < targets.Length; i++)
            {
                if (targets[i].PrepaidKey is { } prepaidKey && burn.PrepaidPerTarget[i] != 0m)
                {
                    var prepaid = Current(in item, state, prepaidKey, Aggregation.Sum);
                    state.SetAggregate(in item, null, prepaidKey, prepaid, prepaid.Apply(burn.PrepaidPerTarget[i], record.Timestamp, UsageAction.Increment));
                }
            }
        }

        for (int i = 0; i < targets.Length; i++)
        {
            state.SetAggregate(in item, targets[i], targets[i].Key, before[i], after[i]);
            if (targets[i].AlertingCharges.Count > 0 || subscription!.UsageAlerts.Count > 0)
            {
                RaiseUsageAlerts(in item, targets[i], subscription!, before[i], after[i], state);
            }
        }

        return UsageOutcome.Accepted(item.SubscriptionId, item.PeriodStart);
    }

    /// <summary>
    /// Rejects a record that would take a Sum target's aggregated quantity above <see cref="MeteringLimits.MaxQuantity"/>
    /// (the other aggregations cannot pass it: a record's own quantity is bounded). Null when the record fits.
    /// </summary>
    public static UsageRejection? CheckBounds(UsageAggregate before, AggregateTarget target, UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(record);
        return target.Aggregation == Aggregation.Sum
            && record.Action == UsageAction.Increment
            && before.Value > MeteringLimits.MaxQuantity - record.Quantity
                ? UsageRejection.AggregateOutOfRange(target.Key.Value, before.Value, record.Quantity)
                : null;
    }

    /// <summary>
    /// Rejects a record that would open a new group (<paramref name="target"/> is a group aggregate without records) when
    /// the period already holds <see cref="MeteringLimits.MaxGroupsPerPeriod"/> groups, counting the
    /// <paramref name="opened"/> groups this record opens on its earlier targets (incremented when this one opens one).
    /// Null when the record fits.
    /// </summary>
    private static UsageRejection? CheckGroupCount<TState>(in PreparedUsage item, TState state, AggregateTarget target, UsageAggregate before, ref int opened)
        where TState : IUsageAppendState
    {
        if (target.Key.Kind != AggregateKeyKind.GroupedCharge || !before.IsEmpty)
        {
            return null;
        }

        if (state.CountGroups(in item) + opened >= MeteringLimits.MaxGroupsPerPeriod)
        {
            return UsageRejection.TooManyGroups(target.Key.ChargeKey!, MeteringLimits.MaxGroupsPerPeriod);
        }

        opened++;
        return null;
    }

    /// <summary>
    /// Rejects a record that would take a target above its charge's hard limit per period
    /// (<see cref="Charge.LimitPerPeriod"/>). A record that does not raise the quantity (a Set or Last lowering it) is
    /// never rejected by the limit. Null when the record fits.
    /// </summary>
    public static UsageRejection? CheckLimit(UsageAggregate before, UsageAggregate after, AggregateTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.LimitingCharge is { LimitPerPeriod: { } limit } charge && after.Quantity > limit && after.Quantity > before.Quantity
            ? UsageRejection.UsageLimitReached(charge.Key, limit, before.Quantity, after.Quantity)
            : null;
    }

    /// <summary>Folds the record into one target aggregate.</summary>
    public static UsageAggregate Apply(UsageAggregate current, AggregateTarget target, UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(record);
        string? distinct = null;
        if (target.UniqueProperty is { } property)
        {
            record.TryGetProperty(property, out distinct);
        }

        return current.Apply(record.Quantity, record.Timestamp, record.Action, distinct);
    }

    /// <summary>
    /// Burns the priced marginal cost of a record from the customer's credits, in burn order.
    /// <paramref name="before"/> and <paramref name="after"/> hold each target's aggregate around the
    /// record. Under <see cref="CreditOverflow.Block"/> a record the credits cannot cover is rejected
    /// with <c>InsufficientCredits</c> and nothing is consumed. A negative marginal cost (a Last or
    /// Set record lowering the quantity) burns nothing: credits are never given back by usage. A tiered
    /// charge's first-tier flat fee is a per-period charge already in <c>Price(0)</c>, so no record burns it;
    /// the period's invoice bills it (see <see cref="PricingModel.MarginalCost"/>).
    /// </summary>
    /// <returns>The ledger after burning (null when nothing was burned), the amount burned per target, or a rejection.</returns>
    public static CreditBurnResult Burn(in PreparedUsage item, ReadOnlySpan<UsageAggregate> before, ReadOnlySpan<UsageAggregate> after, CreditLedger ledger, Instant at)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var currency = item.Plan.Currency;
        var costs = new decimal[item.Targets.Length];
        decimal total = 0m;
        for (int i = 0; i < item.Targets.Length; i++)
        {
            if (item.Targets[i].BurningCharge is { } charge)
            {
                // Priced as the invoice prices it: the contract's price for the charge, less the contract's discount.
                var cost = item.Contract is { } terms
                    ? terms.PricingFor(charge).MarginalCost(before[i].Quantity, after[i].Quantity) * (100m - terms.DiscountPercent) / 100m
                    : charge.Pricing.MarginalCost(before[i].Quantity, after[i].Quantity);
                costs[i] = cost > 0m ? cost : 0m;
                total += costs[i];
            }
        }

        if (total == 0m)
        {
            return new CreditBurnResult(null, costs, null);
        }

        var amount = new Money(total, currency);
        if (item.Plan.WhenCreditsRunOut == CreditOverflow.Block && !ledger.CanCover(amount, at))
        {
            return new CreditBurnResult(null, costs, UsageRejection.InsufficientCredits(item.Record.CustomerId, item.Record.MeterKey, amount, ledger.BalanceAt(currency, at).RemainingMoney));
        }

        var (updated, allocation) = ledger.Consume(amount, at, usageIdempotencyKey: item.Record.IdempotencyKey, description: $"Usage of '{item.Record.MeterKey}'");
        if (allocation.Covered.Amount < total)
        {
            // Overage: scale what each target prepaid so the uncovered part is billed on the invoice.
            var ratio = allocation.Covered.Amount / total;
            for (int i = 0; i < costs.Length; i++)
            {
                costs[i] *= ratio;
            }
        }

        return new CreditBurnResult(allocation.Covered.Amount > 0m ? updated : null, costs, null);
    }

    /// <summary>
    /// The <see cref="BillingEventType.UsageThresholdReached"/> events of a record that takes a charge's quantity or
    /// running amount from below one of its thresholds to at or above it: the charge's own <see cref="Charge.Alerts"/> and
    /// the subscription's <see cref="Subscription.UsageAlerts"/> on it. The running amount is priced as the invoice prices
    /// the charge: at <see cref="PreparedUsage.Contract"/>'s price when a contract applies, before its discount line.
    /// </summary>
    public static IReadOnlyList<BillingEvent> UsageAlerts(in PreparedUsage item, AggregateTarget target, Subscription subscription, UsageAggregate before, UsageAggregate after)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(subscription);
        List<BillingEvent>? events = null;
        foreach (var charge in subscription.UsageAlerts.Count > 0 ? target.ReadingCharges : target.AlertingCharges)
        {
            foreach (var alert in AlertsOn(charge, subscription))
            {
                // The running amount is the charge's usage line as it would be billed: at the contract's price when a
                // contract prices the period (its discount is a line of its own).
                var pricing = alert.Kind == UsageAlertKind.Quantity ? null : item.Contract?.PricingFor(charge) ?? charge.Pricing;
                var (was, now) = pricing is null
                    ? (before.Quantity, after.Quantity)
                    : (pricing.AmountFor(before.Quantity), pricing.AmountFor(after.Quantity));
                if (was < alert.Threshold && now >= alert.Threshold)
                {
                    (events ??= []).Add(BillingEvent.Create(
                        BillingEventType.UsageThresholdReached,
                        item.Record.CustomerId,
                        item.SubscriptionId,
                        item.Record.Timestamp,
                        new UsageThresholdEventPayload(item.SubscriptionId, charge.Key, alert.Kind, alert.Threshold, now, item.PeriodStart)));
                }
            }
        }

        return events is null ? [] : events;
    }

    private static IEnumerable<UsageAlert> AlertsOn(Charge charge, Subscription subscription)
    {
        foreach (var alert in charge.Alerts)
        {
            yield return alert;
        }

        foreach (var own in subscription.UsageAlerts)
        {
            if (string.Equals(own.ChargeKey, charge.Key, StringComparison.Ordinal))
            {
                yield return own.ToUsageAlert();
            }
        }
    }

    private static void RaiseUsageAlerts<TState>(in PreparedUsage item, AggregateTarget target, Subscription subscription, UsageAggregate before, UsageAggregate after, TState state)
        where TState : IUsageAppendState
    {
        foreach (var alert in UsageAlerts(in item, target, subscription, before, after))
        {
            state.AddEvent(alert);
        }
    }

    private static UsageAggregate Current<TState>(in PreparedUsage item, TState state, AggregateKey key, Aggregation aggregation)
        where TState : IUsageAppendState =>
        state.TryGetAggregate(in item, key, out var aggregate) ? aggregate : UsageAggregate.Empty(aggregation);
}

/// <summary>The result of <see cref="UsageAppendRules.Burn"/>.</summary>
/// <param name="LedgerAfter">The ledger with the consumptions appended, or null when nothing was consumed.</param>
/// <param name="PrepaidPerTarget">Credits burned per target, in the plan currency (add to each burning charge's prepaid aggregate).</param>
/// <param name="Rejection">Set when the record must be rejected (insufficient credits under the Block policy).</param>
public sealed record CreditBurnResult(CreditLedger? LedgerAfter, decimal[] PrepaidPerTarget, UsageRejection? Rejection);
