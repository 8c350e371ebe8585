namespace Metering;

/// <summary>A grant and what is left of it, the input of <see cref="CreditBurnOrder.Allocate"/>.</summary>
/// <param name="Grant">The grant.</param>
/// <param name="Remaining">What can still be drawn from it (in the grant's currency or unit).</param>
public readonly record struct GrantBalance(CreditGrant Grant, decimal Remaining);

/// <summary>An amount drawn from one grant.</summary>
/// <param name="GrantId">The grant drawn from.</param>
/// <param name="Amount">The amount drawn (positive), in the grant's currency or unit.</param>
public readonly record struct CreditDraw(string GrantId, decimal Amount);

/// <summary>How an amount was covered by credits: the draws in burn order, what they cover, and what is left.</summary>
/// <param name="Draws">One draw per grant used, in burn order.</param>
/// <param name="Covered">Sum of the draws.</param>
/// <param name="Uncovered">The part of the amount no credit covered (zero when fully covered).</param>
public sealed record CreditAllocation(IReadOnlyList<CreditDraw> Draws, Money Covered, Money Uncovered)
{
    /// <summary>True when credits covered the whole amount.</summary>
    public bool IsFullyCovered => Uncovered.IsZero;

    /// <summary>An allocation with no draws that leaves <paramref name="amount"/> uncovered.</summary>
    public static CreditAllocation None(Money amount) => new([], Money.Zero(amount.Currency), amount);
}

/// <summary>
/// The order in which credits burn, and the pure allocation of an amount across grants.
/// Lowest <see cref="CreditGrant.Priority"/> first, then earliest <see cref="CreditGrant.ExpiresAt"/> (grants that
/// never expire last), then oldest grant (lowest <see cref="CreditGrant.Sequence"/>), then <see cref="CreditGrant.GrantId"/> (ordinal).
/// </summary>
public static class CreditBurnOrder
{
    /// <summary>Orders grants in burn order (first to burn first).</summary>
    public static IComparer<CreditGrant> Comparer { get; } = new BurnOrderComparer();

    /// <summary>
    /// Draws <paramref name="amount"/> from <paramref name="available"/> in burn order. Grants not active at
    /// <paramref name="at"/>, in another currency or unit, or with nothing remaining are skipped; no grant gives
    /// more than its remainder. What the grants cannot cover is reported as <see cref="CreditAllocation.Uncovered"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="available"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    public static CreditAllocation Allocate(IEnumerable<GrantBalance> available, Money amount, Instant at)
    {
        Preconditions.CheckNotNull(available);
        var currency = amount.Currency;
        Preconditions.CheckNotNegative(amount.Amount, nameof(amount));
        if (amount.IsZero)
        {
            return CreditAllocation.None(amount);
        }

        var usable = new List<GrantBalance>();
        foreach (var balance in available)
        {
            if (balance.Grant is { } grant && balance.Remaining > 0m && grant.Amount.Currency == currency && grant.IsActiveAt(at))
            {
                usable.Add(balance);
            }
        }

        if (usable.Count == 0)
        {
            return CreditAllocation.None(amount);
        }

        usable.Sort(static (left, right) => Comparer.Compare(left.Grant, right.Grant));
        var draws = new List<CreditDraw>(usable.Count);
        var left = amount.Amount;
        foreach (var balance in usable)
        {
            var draw = Math.Min(left, balance.Remaining);
            draws.Add(new CreditDraw(balance.Grant.GrantId, draw));
            left -= draw;
            if (left == 0m)
            {
                break;
            }
        }

        return new CreditAllocation(draws, new Money(amount.Amount - left, currency), new Money(left, currency));
    }

    private sealed class BurnOrderComparer : IComparer<CreditGrant>
    {
        public int Compare(CreditGrant? x, CreditGrant? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null)
            {
                return -1;
            }

            if (y is null)
            {
                return 1;
            }

            var byPriority = x.Priority.CompareTo(y.Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }

            var byExpiry = (x.ExpiresAt, y.ExpiresAt) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                ({ } a, { } b) => a.CompareTo(b),
            };
            if (byExpiry != 0)
            {
                return byExpiry;
            }

            var bySequence = x.Sequence.CompareTo(y.Sequence);
            return bySequence != 0 ? bySequence : string.CompareOrdinal(x.GrantId, y.GrantId);
        }
    }
}
