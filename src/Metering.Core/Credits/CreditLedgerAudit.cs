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
                violations.Add($"Grant id '{grant.GrantId}' is used more than once; grant ids must be unique per customer.");
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
            var label = $"Transaction {transaction.Sequence} ('{transaction.TransactionId}')";
            if (!sequences.Add(transaction.Sequence))
            {
                violations.Add($"{label}: sequence {transaction.Sequence} is used more than once; give each transaction its own ledger sequence.");
            }

            if (!ids.Add(transaction.TransactionId))
            {
                violations.Add($"{label}: id '{transaction.TransactionId}' is used more than once; transaction ids must be unique per customer.");
            }

            if (!string.Equals(transaction.CustomerId, customerId, StringComparison.Ordinal))
            {
                violations.Add($"{label} belongs to customer '{transaction.CustomerId}', not '{customerId}'; load each customer's transactions into their own ledger.");
            }

            if (!grantsById.TryGetValue(transaction.GrantId, out var grant))
            {
                violations.Add($"{label} refers to unknown grant '{transaction.GrantId}'; load the grant together with its transactions.");
                continue;
            }

            if (transaction.Amount.Currency != grant.Amount.Currency)
            {
                violations.Add($"{label} is in {transaction.Amount.Currency.Code} but grant '{grant.GrantId}' is in {grant.Amount.Currency.Code}; a grant's transactions use the grant's currency or unit.");
                continue;
            }

            if (!byGrant.TryGetValue(grant.GrantId, out var own))
            {
                byGrant[grant.GrantId] = own = [];
            }

            own.Add(transaction);
            if (CheckType(label, grant, transaction) is { } violation)
            {
                violations.Add(violation);
            }
        }

        return byGrant;
    }

    private static string? CheckType(string label, CreditGrant grant, CreditTransaction transaction) => transaction.Type switch
    {
        CreditTransactionType.Grant when transaction.Amount != grant.Amount || transaction.At != grant.EffectiveAt =>
            $"{label} grants {transaction.Amount} at {transaction.At} but grant '{grant.GrantId}' is {grant.Amount} from {grant.EffectiveAt}; the Grant transaction must match the grant.",
        CreditTransactionType.Consumption when !grant.IsActiveAt(transaction.At) =>
            $"{label} consumes grant '{grant.GrantId}' at {transaction.At}, outside its active window [{grant.EffectiveAt}, {grant.ExpiresAt?.ToString() ?? "never"}); consume a grant only while it is active.",
        CreditTransactionType.Expiration when grant.ExpiresAt is null =>
            $"{label} expires grant '{grant.GrantId}', which never expires; use Void to cancel credits that do not expire.",
        CreditTransactionType.Expiration when transaction.At != grant.ExpiresAt =>
            $"{label} expires grant '{grant.GrantId}' at {transaction.At} but it expires at {grant.ExpiresAt}; write expirations at the grant's ExpiresAt.",
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

        var remaining = 0m;
        foreach (var transaction in own.OrderBy(t => t.At).ThenBy(t => t.Sequence))
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
