using Metering.Sqlite.Storage;
using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite;

/// <summary>Credit ledgers: reads on one snapshot, changes through the writer, customers with grants to expire.</summary>
public sealed partial class SqliteMeteringStore
{
    /// <inheritdoc/>
    public ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync(c => StoreQueries.LoadLedger(c, customerId), cancellationToken, snapshot: true);

    /// <inheritdoc/>
    public ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        return WriteAsync(w => w.UpdateLedger(customerId, change), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindCustomersWithExpiringCreditsAsync(Instant at, int limit, CancellationToken cancellationToken)
    {
        var atNanos = Nanos(at);
        return ReadAsync<IReadOnlyList<string>>(
            c =>
            {
                // Candidates by index; the remainder check needs the ledger, so it runs in code on one snapshot.
                var candidates = StatementCache.Get(
                        c,
                        """
                        SELECT DISTINCT g.customer_id FROM credit_grants g
                        WHERE g.expires_at IS NOT NULL AND g.expires_at <= $at
                          AND NOT EXISTS (SELECT 1 FROM credit_transactions t
                                          WHERE t.customer_id = g.customer_id AND t.grant_id = g.grant_id AND t.type = $expiration)
                        """,
                        "$at",
                        "$expiration")
                    .With(atNanos, (int)CreditTransactionType.Expiration)
                    .Strings();
                candidates.Sort(StringComparer.Ordinal);
                var due = new List<string>();
                foreach (var customerId in candidates)
                {
                    if (due.Count >= limit)
                    {
                        break;
                    }

                    var ledger = StoreQueries.LoadLedger(c, customerId);
                    if (ledger.Grants.Any(g => g.ExpiresAt is { } expiry && expiry <= at && ledger.RemainingOf(g.GrantId, expiry - Duration.Epsilon) > 0m
                        && !ledger.Transactions.Any(t => t.GrantId == g.GrantId && t.Type == CreditTransactionType.Expiration)))
                    {
                        due.Add(customerId);
                    }
                }

                return due;
            },
            cancellationToken,
            snapshot: true);
    }
}
