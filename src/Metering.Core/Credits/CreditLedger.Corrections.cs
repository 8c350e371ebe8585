namespace Metering;

// Corrections: voiding a grant, adjusting it, and giving back the credits of a voided invoice.
public sealed partial class CreditLedger
{
    /// <summary>
    /// Cancels what is left of a grant with a Void transaction. The transaction is written at the later of
    /// <paramref name="at"/> and the grant's latest transaction, so a grant's history stays in time order (voiding a
    /// grant before it takes effect voids it at its EffectiveAt). Nothing is written, and this ledger is returned, when
    /// nothing is left or the grant has expired by then (its remainder is expired by <see cref="ExpireDue"/>, not voided).
    /// </summary>
    /// <exception cref="UnknownCreditGrantException">The ledger has no such grant.</exception>
    public CreditLedger Void(string grantId, Instant at, string? reason = null)
    {
        var state = GetState(grantId);
        var when = Max(at, state.LatestAt);
        var remaining = state.Totals.Remaining;
        if (remaining <= 0m || state.Grant.IsExpiredAt(when))
        {
            return this;
        }

        return Append(state, CreditTransactionType.Void, new Money(remaining, state.Grant.Amount.Currency), when, reason);
    }

    /// <summary>
    /// Corrects a grant's remainder with an Adjustment: a positive amount adds credits, a negative one removes them.
    /// Written at the later of <paramref name="at"/> and the grant's latest transaction.
    /// </summary>
    /// <exception cref="UnknownCreditGrantException">The ledger has no such grant.</exception>
    /// <exception cref="ArgumentException"><paramref name="signedAmount"/> is zero or <paramref name="reason"/> is blank.</exception>
    /// <exception cref="InvalidCreditOperationException">The grant has expired by then, or the adjustment would make its
    /// remainder negative.</exception>
    public CreditLedger Adjust(string grantId, decimal signedAmount, Instant at, string reason)
    {
        var state = GetState(grantId);
        Preconditions.CheckArgument(signedAmount != 0m, nameof(signedAmount),
            $"Adjusting credit grant '{grantId}' by zero changes nothing; pass a positive amount to add credits or a negative one to remove them.");
        Preconditions.CheckNotBlank(reason);
        var grant = state.Grant;
        var when = Max(at, state.LatestAt);
        if (grant.IsExpiredAt(when))
        {
            throw new InvalidCreditOperationException(
                $"Credit grant '{grantId}' expired at {grant.ExpiresAt}, so it cannot be adjusted at {when}; grant new credits instead.");
        }

        CreditLimits.CheckAmount(Math.Abs(signedAmount), $"adjustment of credit grant '{grantId}'");
        TextRules.Check(reason, "adjustment reason");
        if (signedAmount > 0m)
        {
            CreditLimits.CheckTotal(GrantedTotal(grant.Amount.Currency), signedAmount, CustomerId);
        }

        var remaining = state.Totals.Remaining;
        if (remaining + signedAmount < 0m)
        {
            throw new InvalidCreditOperationException(
                $"Adjusting credit grant '{grantId}' by {signedAmount} would leave {remaining + signedAmount} remaining (it has {remaining}); "
                + $"remove at most {remaining}, or Void the grant to cancel all of it.");
        }

        return Append(state, CreditTransactionType.Adjustment, new Money(signedAmount, grant.Amount.Currency), when, reason);
    }

    /// <summary>
    /// Gives back the credits consumed at invoice time for <paramref name="invoiceId"/> (its Consumption transactions),
    /// because the invoice was voided: one positive Adjustment per grant, tagged with the invoice id, at
    /// <paramref name="at"/>. Credits of a grant that has expired or been voided since are not reinstated (as unused
    /// credits of that grant would not be). Idempotent: once returned, calling it again returns nothing.
    /// </summary>
    /// <returns>The ledger and the amounts returned per unit (empty when there was nothing to return).</returns>
    public (CreditLedger Ledger, IReadOnlyList<Money> Returned) ReturnInvoiceCredits(string invoiceId, Instant at)
    {
        Preconditions.CheckNotBlank(invoiceId);
        var consumed = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var transaction in _transactions)
        {
            if (!string.Equals(transaction.InvoiceId, invoiceId, StringComparison.Ordinal))
            {
                continue;
            }

            if (transaction.Type == CreditTransactionType.Adjustment)
            {
                return (this, []);
            }

            if (transaction.Type == CreditTransactionType.Consumption)
            {
                consumed[transaction.GrantId] = consumed.GetValueOrDefault(transaction.GrantId) + transaction.Amount.Amount;
            }
        }

        var ledger = this;
        var returned = new Dictionary<Currency, decimal>();
        foreach (var (grantId, amount) in consumed.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var state = ledger.GetState(grantId);
            var when = Max(at, state.LatestAt);
            if (amount <= 0m || state.Grant.IsExpiredAt(when) || state.Totals.Voided > 0m)
            {
                continue;
            }

            var unit = state.Grant.Amount.Currency;
            ledger = ledger.Append(state, CreditTransactionType.Adjustment, new Money(amount, unit), when, $"Returned: invoice '{invoiceId}' was voided", invoiceId);
            returned[unit] = returned.GetValueOrDefault(unit) + amount;
        }

        return (ledger, [.. returned.Select(p => new Money(p.Value, p.Key))]);
    }
}
