namespace Metering;

/// <summary>
/// Checks a customer's grants and transactions against every ledger invariant (see <see cref="CreditLedger.FindViolations"/>);
/// used when a ledger is loaded from history and by tests. Each check names the broken rule and how to fix the data.
/// </summary>
internal static class CreditLedgerAudit
{
    /// <summary>Every broken invariant, in a stable order (empty when the history is sound).</summary>
    public static IReadOnlyList<string> FindViolations(string customerId, IReadOnlyList<CreditGrant> grants, IReadOnlyList<CreditTransaction> transactions)
    {
        var violations = new List<string>();
        var grantsById = IndexGrants(customerId, grants, violations);
        var byGrant = CheckTransactions(customerId, grantsById, transactions, violations);
        foreach (var grant in grantsById.Values)
        {
            CheckGrantHistory(grant, byGrant.TryGetValue(grant.GrantId, out var own) ? own : [], violations);
        }

        return violations;
    }

    /// <summary>
    /// Every invariant that appending <paramref name="appended"/> (with the <paramref name="newGrants"/> it grants) to a
    /// sound ledger breaks, checking only the new transactions: each on its own as <see cref="FindViolations"/> does, and
    /// each touched grant's history through <paramref name="priorOf"/> (an existing grant's transactions so far, its
    /// remainder after them and its latest instant). A grant whose new transactions all come at or after its latest one
    /// continues from its remainder; one with a backdated transaction is checked over its whole history.
    /// </summary>
    public static IReadOnlyList<string> FindViolationsOfAppend(
        string customerId,
        long lastSequence,
        IReadOnlySet<string> usedTransactionIds,
        IReadOnlyList<CreditGrant> newGrants,
        IReadOnlyList<CreditTransaction> appended,
        Func<string, (CreditGrant Grant, IReadOnlyList<CreditTransaction> History, decimal Remaining, Instant LatestAt)?> priorOf)
    {
        var violations = new List<string>();

        // Against the sound ledger: new sequences follow it, new ids and grant ids are not its own.
        foreach (var transaction in appended)
        {
            if (transaction.Sequence <= lastSequence)
            {
                violations.Add($"{Label(transaction)} is not after the ledger's last sequence {lastSequence}; extend a ledger only with history stored after it.");
            }

            if (usedTransactionIds.Contains(transaction.TransactionId))
            {
                violations.Add(DuplicateTransactionId(transaction));
            }
        }

        violations.AddRange(newGrants.Where(g => priorOf(g.GrantId) is not null).Select(g => DuplicateGrantId(g.GrantId)));
        var grantsById = IndexGrants(customerId, newGrants, violations);
        var prior = new Dictionary<string, (CreditGrant Grant, IReadOnlyList<CreditTransaction> History, decimal Remaining, Instant LatestAt)>(StringComparer.Ordinal);
        foreach (var grantId in appended.Select(t => t.GrantId).Distinct(StringComparer.Ordinal))
        {
            if (!grantsById.ContainsKey(grantId) && priorOf(grantId) is { } existing)
            {
                prior[grantId] = existing;
                grantsById[grantId] = existing.Grant;
            }
        }

        var byGrant = CheckTransactions(customerId, grantsById, appended, violations);
        foreach (var grant in grantsById.Values)
        {
            var own = byGrant.TryGetValue(grant.GrantId, out var list) ? list : [];
            if (!prior.TryGetValue(grant.GrantId, out var before))
            {
                CheckGrantHistory(grant, own, violations);
            }
            else if (own.Exists(t => t.Type is CreditTransactionType.Grant or CreditTransactionType.Expiration || t.At < before.LatestAt))
            {
                // Rare (a second grant or expiry record, a backdated transaction): the whole history decides.
                CheckGrantHistory(grant, [.. before.History, .. own], violations);
            }
            else
            {
                CheckRemainder(grant, own.OrderBy(t => t.At).ThenBy(t => t.Sequence), before.Remaining, violations);
            }
        }

        return violations;
    }

    // Grants belong to the customer and have unique ids.
    private static Dictionary<string, CreditGrant> IndexGrants(string customerId, IReadOnlyList<CreditGrant> grants, List<string> violations)
    {
        var grantsById = new Dictionary<string, CreditGrant>(StringComparer.Ordinal);
        foreach (var grant in grants)
        {
            if (!string.Equals(grant.CustomerId, customerId, StringComparison.Ordinal))
            {
                violations.Add($"Grant '{grant.GrantId}' belongs to customer '{grant.CustomerId}', not '{customerId}'; load each customer's grants into their own ledger.");
            }

            if (!grantsById.TryAdd(grant.GrantId, grant))
            {
                violations.Add(DuplicateGrantId(grant.GrantId));
            }
        }

        return grantsById;
    }

    // Each transaction on its own: unique sequence and id, this customer's, a known grant in its unit, and a type that
    // fits the grant. Returns the well-formed transactions grouped by grant.
    private static Dictionary<string, List<CreditTransaction>> CheckTransactions(
        string customerId, Dictionary<string, CreditGrant> grantsById, IReadOnlyList<CreditTransaction> transactions, List<string> violations)
    {
        var sequences = new HashSet<long>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var byGrant = new Dictionary<string, List<CreditTransaction>>(StringComparer.Ordinal);
        foreach (var transaction in transactions)
        {
            if (!sequences.Add(transaction.Sequence))
            {
                violations.Add($"{Label(transaction)}: sequence {transaction.Sequence} is used more than once; give each transaction its own ledger sequence.");
            }

            if (!ids.Add(transaction.TransactionId))
            {
                violations.Add(DuplicateTransactionId(transaction));
            }

            if (!string.Equals(transaction.CustomerId, customerId, StringComparison.Ordinal))
            {
                violations.Add($"{Label(transaction)} belongs to customer '{transaction.CustomerId}', not '{customerId}'; load each customer's transactions into their own ledger.");
            }

            if (!grantsById.TryGetValue(transaction.GrantId, out var grant))
            {
                violations.Add($"{Label(transaction)} refers to unknown grant '{transaction.GrantId}'; load the grant together with its transactions.");
                continue;
            }

            if (transaction.Amount.Currency != grant.Amount.Currency)
            {
                violations.Add($"{Label(transaction)} is in {transaction.Amount.Currency.Code} but grant '{grant.GrantId}' is in {grant.Amount.Currency.Code}; a grant's transactions use the grant's currency or unit.");
                continue;
            }

            if (!byGrant.TryGetValue(grant.GrantId, out var own))
            {
                byGrant[grant.GrantId] = own = [];
            }

            own.Add(transaction);
            if (CheckType(grant, transaction) is { } violation)
            {
                violations.Add(violation);
            }
        }

        return byGrant;
    }

    // Built only for a violation: auditing a sound history of n transactions formats nothing.
    private static string Label(CreditTransaction transaction) => $"Transaction {transaction.Sequence} ('{transaction.TransactionId}')";

    private static string DuplicateTransactionId(CreditTransaction transaction) =>
        $"{Label(transaction)}: id '{transaction.TransactionId}' is used more than once; transaction ids must be unique per customer.";

    private static string DuplicateGrantId(string grantId) => $"Grant id '{grantId}' is used more than once; grant ids must be unique per customer.";

    private static string? CheckType(CreditGrant grant, CreditTransaction transaction) => transaction.Type switch
    {
        CreditTransactionType.Grant when transaction.Amount != grant.Amount || transaction.At != grant.EffectiveAt =>
            $"{Label(transaction)} grants {transaction.Amount} at {transaction.At} but grant '{grant.GrantId}' is {grant.Amount} from {grant.EffectiveAt}; the Grant transaction must match the grant.",
        CreditTransactionType.Consumption when !grant.IsActiveAt(transaction.At) =>
            $"{Label(transaction)} consumes grant '{grant.GrantId}' at {transaction.At}, outside its active window [{grant.EffectiveAt}, {grant.ExpiresAt?.ToString() ?? "never"}); consume a grant only while it is active.",
        CreditTransactionType.Expiration when grant.ExpiresAt is null =>
            $"{Label(transaction)} expires grant '{grant.GrantId}', which never expires; use Void to cancel credits that do not expire.",
        CreditTransactionType.Expiration when transaction.At != grant.ExpiresAt =>
            $"{Label(transaction)} expires grant '{grant.GrantId}' at {transaction.At} but it expires at {grant.ExpiresAt}; write expirations at the grant's ExpiresAt.",
        _ => null,
    };

    // One grant's history: granted exactly once, expired at most once, and never overdrawn at any instant.
    private static void CheckGrantHistory(CreditGrant grant, List<CreditTransaction> own, List<string> violations)
    {
        var grantCount = own.Count(t => t.Type == CreditTransactionType.Grant);
        if (grantCount != 1)
        {
            violations.Add(grantCount == 0
                ? $"Grant '{grant.GrantId}' has no Grant transaction; append one of {grant.Amount} at its EffectiveAt {grant.EffectiveAt}."
                : $"Grant '{grant.GrantId}' has {grantCount} Grant transactions; a grant is granted once (use an Adjustment to add credits).");
        }

        var expirationCount = own.Count(t => t.Type == CreditTransactionType.Expiration);
        if (expirationCount > 1)
        {
            violations.Add($"Grant '{grant.GrantId}' has {expirationCount} Expiration transactions; a grant expires once.");
        }

        CheckRemainder(grant, own.OrderBy(t => t.At).ThenBy(t => t.Sequence), 0m, violations);
    }

    // Never overdrawn: the remainder, from `remaining`, stays at or above zero after each transaction in time order.
    private static void CheckRemainder(CreditGrant grant, IEnumerable<CreditTransaction> inTimeOrder, decimal remaining, List<string> violations)
    {
        foreach (var transaction in inTimeOrder)
        {
            remaining += transaction.Effect;
            if (remaining < 0m)
            {
                violations.Add(
                    $"Grant '{grant.GrantId}' is overdrawn: {remaining} remaining after transaction {transaction.Sequence} ('{transaction.TransactionId}', {transaction.Type} of {transaction.Amount} at {transaction.At}); "
                    + "a remainder can never go below zero, so remove or reduce that transaction.");
                return;
            }
        }
    }
}
