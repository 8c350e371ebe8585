namespace Metering.Storage;

/// <summary>
/// The per-record rules every store applies inside its append transaction, so that all stores
/// decide duplicates, conflicts, closed periods and real-time credit burn the same way. Pure.
/// </summary>
public static class UsageAppendRules
{
    /// <summary>Prefix of the aggregate that sums the credits burned in real time for a charge.</summary>
    public const string PrepaidAggregatePrefix = "credits:";

    /// <summary>The aggregate key of the credits burned in real time for <paramref name="chargeKey"/>.</summary>
    public static string PrepaidAggregateKey(string chargeKey) => PrepaidAggregatePrefix + chargeKey;

    /// <summary>The aggregate key a charge reads its quantity from: the meter key, or <c>meter|charge</c> when the charge filters.</summary>
    public static string AggregateKeyFor(Charge charge) => charge.Filter.Count == 0 ? charge.MeterKey : charge.MeterKey + "|" + charge.Key;

    /// <summary>Outcome for a record whose idempotency key is already stored: Duplicate when the content is the same, else Conflict.</summary>
    public static UsageOutcome ForExistingKey(UsageRecord stored, string storedSubscriptionId, Instant storedPeriodStart, UsageRecord incoming) =>
        stored.ContentEquals(incoming)
            ? UsageOutcome.Duplicate(storedSubscriptionId, storedPeriodStart)
            : UsageOutcome.Conflict(incoming.IdempotencyKey);

    /// <summary>
    /// Checks the prepared record against the subscription as stored at append time (it may have been
    /// closed, re-planned or ended since the record was prepared). Null when the record may be stored.
    /// </summary>
    public static UsageRejection? CheckSubscription(in PreparedUsage item, Subscription stored)
    {
        var timestamp = item.Record.Timestamp;
        if (IsInClosedPeriod(stored, timestamp))
        {
            return PeriodClosed(item.Record.MeterKey, stored, timestamp);
        }

        if (!stored.CoversTimestamp(timestamp))
        {
            return UsageRejection.NoActiveSubscription(item.Record.CustomerId, timestamp);
        }

        if (stored.PlanKey != item.Plan.Key || stored.PlanVersion != item.Plan.Version)
        {
            return new UsageRejection(
                UsageRejectionReason.InvalidRecord,
                $"Subscription '{stored.SubscriptionId}' moved to plan '{stored.PlanKey}' v{stored.PlanVersion} while this record was being recorded; send it again with the same idempotency key.");
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="timestamp"/> falls in a period of <paramref name="subscription"/> that has been
    /// closed and invoiced: before its current period, or inside its last period once it has ended (canceled now
    /// or at period end), whose final invoice is issued.
    /// </summary>
    public static bool IsInClosedPeriod(Subscription subscription, Instant timestamp) =>
        timestamp >= subscription.StartedAt
        && (timestamp < subscription.CurrentPeriod.Start || (subscription.EndedAt is { } ended && timestamp < ended));

    /// <summary>
    /// The closed period that contains <paramref name="timestamp"/> (one for which <see cref="IsInClosedPeriod"/> holds).
    /// Before a plan change re-anchored the schedule, the old periods are no longer known: the whole closed span from
    /// the subscription's start to the change is returned.
    /// </summary>
    public static BillingPeriod ClosedPeriodContaining(Subscription subscription, Instant timestamp)
    {
        var current = subscription.CurrentPeriod;
        if (timestamp >= current.Start && subscription.EndedAt is { } ended)
        {
            return new BillingPeriod(current.Index, current.Start, ended < current.End ? ended : current.End);
        }

        var scheduleStart = subscription.Schedule.StartOf(0);
        return timestamp >= scheduleStart
            ? subscription.Schedule.PeriodContaining(timestamp)
            : new BillingPeriod(0, subscription.StartedAt, scheduleStart);
    }

    /// <summary>The <c>PeriodClosed</c> rejection of a record at <paramref name="timestamp"/> (see <see cref="IsInClosedPeriod"/>).</summary>
    public static UsageRejection PeriodClosed(string? meterKey, Subscription subscription, Instant timestamp)
    {
        var period = ClosedPeriodContaining(subscription, timestamp);
        return UsageRejection.PeriodClosed(meterKey, period, period.End, timestamp);
    }

    /// <summary>
    /// Rejects a record that would take a Sum target's aggregated quantity above <see cref="MeteringLimits.MaxQuantity"/>
    /// (the other aggregations cannot pass it: a record's own quantity is bounded). Null when the record fits. Stores
    /// run it for every target before changing anything, so a rejected record changes nothing.
    /// </summary>
    public static UsageRejection? CheckBounds(UsageAggregate before, AggregateTarget target, UsageRecord record) =>
        target.Aggregation == Aggregation.Sum
        && record.Action == UsageAction.Increment
        && before.Value > MeteringLimits.MaxQuantity - record.Quantity
            ? UsageRejection.AggregateOutOfRange(target.AggregateKey, before.Value, record.Quantity)
            : null;

    /// <summary>Folds the record into one target aggregate.</summary>
    public static UsageAggregate Apply(UsageAggregate current, AggregateTarget target, UsageRecord record)
    {
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
        var currency = item.Plan.Currency;
        var costs = new decimal[item.Targets.Length];
        decimal total = 0m;
        for (int i = 0; i < item.Targets.Length; i++)
        {
            if (item.Targets[i].BurningCharge is { } charge)
            {
                var cost = charge.Pricing.MarginalCost(before[i].Quantity, after[i].Quantity);
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
}

/// <summary>The result of <see cref="UsageAppendRules.Burn"/>.</summary>
/// <param name="LedgerAfter">The ledger with the consumptions appended, or null when nothing was consumed.</param>
/// <param name="PrepaidPerTarget">Credits burned per target, in the plan currency (add to each burning charge's prepaid aggregate).</param>
/// <param name="Rejection">Set when the record must be rejected (insufficient credits under the Block policy).</param>
public sealed record CreditBurnResult(CreditLedger? LedgerAfter, decimal[] PrepaidPerTarget, UsageRejection? Rejection);
