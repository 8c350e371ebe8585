using Metering.Sqlite.Storage;
using Metering.Storage;
using Microsoft.Data.Sqlite;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite;

/// <summary>Credit ledgers: reads on one snapshot, changes through the writer, customers with grants to expire.</summary>
public sealed partial class SqliteMeteringStore
{
    // Ledgers as stored, by customer, at most SqliteStoreOptions.CacheCapacity of them: the writer publishes each
    // ledger it committed; a read uses a kept one only when its last sequence is the stored one (a ledger's grants and
    // transactions are append-only and every grant writes a transaction, so the last sequence is its version).
    private readonly BoundedCache<string, CreditLedger> _ledgerReads;

    /// <inheritdoc/>
    public ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync(c => ReadLedgerCached(c, customerId), cancellationToken, snapshot: true);

    /// <summary>
    /// The customer's ledger as stored in the connection's snapshot: the kept one when it is at the stored last sequence
    /// (one index lookup), a kept older one extended with the rows after it, else one rebuilt from all its grants and
    /// transactions; the result is kept. A rebuild replays the whole history, so without this every balance or
    /// current-usage read of a customer burning credits in real time grew with the number of records burned.
    /// </summary>
    private CreditLedger ReadLedgerCached(SqliteConnection connection, string customerId)
    {
        var last = StatementCache.Raw(connection, "SELECT max(sequence) FROM credit_transactions WHERE customer_id = ?1");
        last.Bind(1, customerId);
        long version;
        try
        {
            version = last.Read() && !last.IsNull(0) ? last.GetInt64(0) : 0;
        }
        finally
        {
            last.Reset();
        }

        if (version == 0)
        {
            return CreditLedger.Empty(customerId);
        }

        var kept = _ledgerReads.GetValueOrDefault(customerId);
        if (kept?.LastSequence == version)
        {
            return kept;
        }

        // Older (another process wrote, or the writer has not handed its ledger over yet): read only what follows it.
        var ledger = kept is not null && kept.LastSequence < version ? StoreQueries.ExtendLedger(connection, kept) : StoreQueries.LoadLedger(connection, customerId);
        _ledgerReads.SetUnless(customerId, ledger, static (cached, read) => cached.LastSequence > read.LastSequence);
        return ledger;
    }

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

                    var ledger = ReadLedgerCached(c, customerId);
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
