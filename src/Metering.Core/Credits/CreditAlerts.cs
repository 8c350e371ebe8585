namespace Metering;

/// <summary>
/// Low-balance alerts: which <see cref="BillingEventType.CreditsLow"/> and <see cref="BillingEventType.CreditsExhausted"/>
/// events a ledger change raises. An event fires when a unit's remaining balance crosses its threshold downwards
/// (above before, at or below after), so each crossing fires once; a unit topped up and drained again fires again.
/// Pure: whoever changes a ledger (usage burn, period close, grant, void, expiry) calls it in the same transaction.
/// </summary>
public static class CreditAlerts
{
    /// <summary>The alert events of the change from <paramref name="before"/> to <paramref name="after"/>, at <paramref name="at"/>.</summary>
    /// <param name="before">The ledger before the change.</param>
    /// <param name="after">The ledger after the change.</param>
    /// <param name="lowThresholds">Low-balance thresholds per unit code (units without one raise only CreditsExhausted).</param>
    /// <param name="at">When the change happens (balances are read at this instant).</param>
    public static IReadOnlyList<BillingEvent> Crossings(CreditLedger before, CreditLedger after, IReadOnlyDictionary<string, decimal>? lowThresholds, Instant at)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (ReferenceEquals(before, after))
        {
            return [];
        }

        // Runs on every real-time burn: remainders per unit only, no balance summaries.
        List<BillingEvent>? events = null;
        List<Currency>? seen = null;
        foreach (var grant in after.Grants)
        {
            var unit = grant.Amount.Currency;
            if (seen?.Contains(unit) == true)
            {
                continue;
            }

            (seen ??= []).Add(unit);
            var was = before.RemainingAt(unit, at);
            var now = after.RemainingAt(unit, at);
            if (now >= was)
            {
                continue;
            }

            if (was > 0m && now <= 0m)
            {
                (events ??= []).Add(Alert(BillingEventType.CreditsExhausted, after.CustomerId, unit, now, null, at));
            }
            else if (lowThresholds is not null && lowThresholds.TryGetValue(unit.Code, out var threshold) && was > threshold && now <= threshold)
            {
                (events ??= []).Add(Alert(BillingEventType.CreditsLow, after.CustomerId, unit, now, threshold, at));
            }
        }

        return events is null ? [] : events;
    }

    private static BillingEvent Alert(BillingEventType type, string customerId, Currency unit, decimal remaining, decimal? threshold, Instant at) =>
        BillingEvent.Create(
            type,
            customerId,
            unit.Code,
            at,
            new CreditBalanceEventPayload(unit, new Money(remaining, unit), threshold is { } t ? new Money(t, unit) : null));
}
