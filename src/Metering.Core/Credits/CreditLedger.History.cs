using System.Collections.Immutable;

namespace Metering;

/// <summary>Ledgers from stored history: a whole one, or one extended by what was stored after it.</summary>
public sealed partial class CreditLedger
{
    /// <summary>
    /// Rebuilds a ledger from stored grants and transactions, checking every invariant (see <see cref="FindViolations()"/>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="customerId"/> is blank.</exception>
    /// <exception cref="ArgumentNullException">A collection or one of its items is null.</exception>
    /// <exception cref="CreditLedgerInvariantException">The history breaks an invariant, e.g. a grant is overdrawn;
    /// the exception lists every violation.</exception>
    public static CreditLedger FromHistory(string customerId, IEnumerable<CreditGrant> grants, IEnumerable<CreditTransaction> transactions)
    {
        Preconditions.CheckNotBlank(customerId);
        var grantList = Preconditions.CheckNotNull(grants).ToList();
        var transactionList = Preconditions.CheckNotNull(transactions).OrderBy(t => Preconditions.CheckNotNull(t).Sequence).ToList();
        grantList.ForEach(g => Preconditions.CheckNotNull(g));

        var violations = CreditLedgerAudit.FindViolations(customerId, grantList, transactionList);
        if (violations.Count > 0)
        {
            throw new CreditLedgerInvariantException(customerId, violations);
        }

        var grantedAt = transactionList.Where(t => t.Type == CreditTransactionType.Grant).ToDictionary(t => t.GrantId, t => t.Sequence, StringComparer.Ordinal);
        var orderedGrants = grantList.OrderBy(g => grantedAt[g.GrantId]).ToImmutableList();
        var states = orderedGrants.ToDictionary(g => g.GrantId, g => new GrantState(g), StringComparer.Ordinal);
        foreach (var transaction in transactionList)
        {
            states[transaction.GrantId] = states[transaction.GrantId].Apply(transaction);
        }

        return new CreditLedger(
            customerId,
            orderedGrants,
            states.ToImmutableDictionary(StringComparer.Ordinal),
            transactionList.ToImmutableList(),
            transactionList.Select(t => t.TransactionId).ToImmutableHashSet(StringComparer.Ordinal),
            transactionList.Count == 0 ? 0 : transactionList[^1].Sequence);
    }

    /// <summary>
    /// This ledger extended with the history stored after it: the grants and transactions another writer appended
    /// after <see cref="LastSequence"/> (a reader that holds a ledger reads only those instead of the whole history).
    /// The result is the ledger <see cref="FromHistory"/> would build from the whole history, and the same invariants are
    /// checked for every grant the new history touches.
    /// </summary>
    /// <param name="grants">The grants granted by <paramref name="transactions"/> (one per Grant transaction).</param>
    /// <param name="transactions">Transactions with sequences after <see cref="LastSequence"/>, in any order.</param>
    /// <returns>The extended ledger, or this one when there is nothing new.</returns>
    /// <exception cref="ArgumentNullException">A collection or one of its items is null.</exception>
    /// <exception cref="CreditLedgerInvariantException">The new history breaks an invariant: a sequence not after
    /// <see cref="LastSequence"/>, an id or grant used twice, an unknown grant, an overdrawn grant; the exception lists
    /// every violation.</exception>
    public CreditLedger WithHistory(IEnumerable<CreditGrant> grants, IEnumerable<CreditTransaction> transactions)
    {
        var newGrants = Preconditions.CheckNotNull(grants).ToList();
        var newTransactions = Preconditions.CheckNotNull(transactions).OrderBy(t => Preconditions.CheckNotNull(t).Sequence).ToList();
        newGrants.ForEach(g => Preconditions.CheckNotNull(g));
        if (newGrants.Count == 0 && newTransactions.Count == 0)
        {
            return this;
        }

        // Only the new part is audited: this ledger's history was when it was built.
        var violations = CreditLedgerAudit.FindViolationsOfAppend(
            CustomerId,
            LastSequence,
            _transactionIds,
            newGrants,
            newTransactions,
            grantId => _states.TryGetValue(grantId, out var state) ? (state.Grant, state.Transactions, state.Totals.Remaining, state.LatestAt) : null);
        if (violations.Count > 0)
        {
            throw new CreditLedgerInvariantException(CustomerId, violations);
        }

        var grantedAt = newTransactions.Where(t => t.Type == CreditTransactionType.Grant).ToDictionary(t => t.GrantId, t => t.Sequence, StringComparer.Ordinal);
        var states = _states.ToBuilder();
        var orderedGrants = _grants.ToBuilder();
        foreach (var grant in newGrants.OrderBy(g => grantedAt[g.GrantId]))
        {
            orderedGrants.Add(grant);
            states[grant.GrantId] = new GrantState(grant);
        }

        var ids = _transactionIds.ToBuilder();
        foreach (var transaction in newTransactions)
        {
            states[transaction.GrantId] = states[transaction.GrantId].Apply(transaction);
            ids.Add(transaction.TransactionId);
        }

        return new CreditLedger(
            CustomerId,
            orderedGrants.ToImmutable(),
            states.ToImmutable(),
            _transactions.AddRange(newTransactions),
            ids.ToImmutable(),
            newTransactions.Count == 0 ? LastSequence : newTransactions[^1].Sequence);
    }
}
