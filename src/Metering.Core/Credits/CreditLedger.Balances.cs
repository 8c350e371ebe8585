namespace Metering;

// Balances: what each grant and each unit holds at an instant, derived from the transactions.
public sealed partial class CreditLedger
{
    /// <summary>
    /// What is left of a grant at <paramref name="at"/>: transactions with <c>At &lt;= at</c>; 0 before the grant's
    /// EffectiveAt and 0 once it has expired (<c>ExpiresAt &lt;= at</c>), even if the Expiration transaction is not written yet.
    /// </summary>
    /// <exception cref="UnknownCreditGrantException">The ledger has no such grant.</exception>
    public decimal RemainingOf(string grantId, Instant at)
    {
        var state = GetState(grantId);
        return state.Grant.IsActiveAt(at) ? TotalsAt(state, at).Remaining : 0m;
    }

    /// <summary>
    /// The summary per currency or unit at <paramref name="at"/>, ordered by unit code (ordinal); one entry for every
    /// unit the ledger has grants in (zeros when none is effective yet). Counts transactions with <c>At &lt;= at</c>.
    /// A grant that has expired by <paramref name="at"/> counts its remainder as Expired (and nothing as Remaining)
    /// even before its Expiration transaction is written.
    /// </summary>
    public IReadOnlyList<CreditBalance> BalancesAt(Instant at)
    {
        if (_grants.IsEmpty)
        {
            return [];
        }

        var sums = new Dictionary<Currency, CreditBalance>();
        foreach (var grant in _grants)
        {
            var totals = TotalsAt(_states[grant.GrantId], at);
            var remaining = totals.Remaining;
            var expired = totals.Expired;
            if (grant.IsExpiredAt(at))
            {
                expired += remaining;
                remaining = 0m;
            }

            var unit = grant.Amount.Currency;
            var sum = sums.TryGetValue(unit, out var existing) ? existing : new CreditBalance(unit, 0m, 0m, 0m, 0m, 0m, 0m);
            sums[unit] = sum with
            {
                Granted = sum.Granted + totals.Granted,
                Consumed = sum.Consumed + totals.Consumed,
                Expired = sum.Expired + expired,
                Voided = sum.Voided + totals.Voided,
                Adjusted = sum.Adjusted + totals.Adjusted,
                Remaining = sum.Remaining + remaining,
            };
        }

        return sums.Values.OrderBy(b => b.Unit.Code, StringComparer.Ordinal).ThenBy(b => b.Unit.MinorDigits).ToList();
    }

    /// <summary>
    /// The <see cref="CreditBalance.Remaining"/> of <paramref name="unit"/> at <paramref name="at"/>, without building the
    /// summaries (for checks on the ingest path).
    /// </summary>
    internal decimal RemainingAt(Currency unit, Instant at)
    {
        var remaining = 0m;
        foreach (var grant in _grants)
        {
            if (grant.Amount.Currency == unit && !grant.IsExpiredAt(at))
            {
                remaining += TotalsAt(_states[grant.GrantId], at).Remaining;
            }
        }

        return remaining;
    }

    /// <summary>The summary for one currency or unit at <paramref name="at"/> (all zeros when the ledger has no grant in it).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="unit"/> is null.</exception>
    public CreditBalance BalanceAt(Currency unit, Instant at)
    {
        Preconditions.CheckNotNull(unit);
        return BalancesAt(at).FirstOrDefault(b => b.Unit == unit) ?? new CreditBalance(unit, 0m, 0m, 0m, 0m, 0m, 0m);
    }

    private static CreditTotals TotalsAt(GrantState state, Instant at)
    {
        if (at >= state.LatestAt)
        {
            return state.Totals;
        }

        var totals = default(CreditTotals);
        foreach (var transaction in state.Transactions)
        {
            if (transaction.At <= at)
            {
                totals = totals.Add(transaction);
            }
        }

        return totals;
    }

    // The most that can be drawn at `at` without the remainder going negative at `at` or at any later instant.
    private static decimal AvailableFrom(GrantState state, Instant at)
    {
        if (at >= state.LatestAt)
        {
            return state.Totals.Remaining;
        }

        var remaining = TotalsAt(state, at).Remaining;
        var lowest = remaining;
        foreach (var transaction in state.Transactions.Where(t => t.At > at).OrderBy(t => t.At).ThenBy(t => t.Sequence))
        {
            remaining += transaction.Effect;
            lowest = Math.Min(lowest, remaining);
        }

        return Math.Max(0m, lowest);
    }

    private readonly record struct CreditTotals(decimal Granted, decimal Consumed, decimal Expired, decimal Voided, decimal Adjusted)
    {
        public decimal Remaining => Granted - Consumed - Expired - Voided + Adjusted;

        public CreditTotals Add(CreditTransaction transaction) => transaction.Type switch
        {
            CreditTransactionType.Grant => this with { Granted = Granted + transaction.Amount.Amount },
            CreditTransactionType.Consumption => this with { Consumed = Consumed + transaction.Amount.Amount },
            CreditTransactionType.Expiration => this with { Expired = Expired + transaction.Amount.Amount },
            CreditTransactionType.Void => this with { Voided = Voided + transaction.Amount.Amount },
            _ => this with { Adjusted = Adjusted + transaction.Amount.Amount },
        };
    }

    // One grant with its running totals and its own transactions (for reads in the past).
}
