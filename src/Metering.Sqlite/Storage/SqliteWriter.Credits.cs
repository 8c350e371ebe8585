using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's ledger changes (grants, transactions), and its write-through cache of ledgers.</summary>
internal sealed partial class SqliteWriter
{
    private readonly Dictionary<string, CreditLedger> _ledgers = new(StringComparer.Ordinal);
    private RawStatement? _insertTransaction;

    public CreditLedger UpdateLedger(string customerId, Func<CreditLedger, LedgerChange> change)
    {
        var current = GetLedger(customerId);
        var result = StoreChangeRules.DecideLedgerChange(current, change);

        PersistLedger(current, result.Updated);
        AppendEvents(result.Events);
        return result.Updated;
    }

    private CreditLedger GetLedger(string customerId)
    {
        if (!_ledgers.TryGetValue(customerId, out var ledger))
        {
            ledger = StoreQueries.LoadLedger(_connection, customerId);
            _ledgers[customerId] = ledger;
        }

        return ledger;
    }

    /// <summary>Stores what <paramref name="after"/> adds to <paramref name="before"/> (new grants, new transactions).</summary>
    private void PersistLedger(CreditLedger before, CreditLedger after)
    {
        if (after.Grants.Count != before.Grants.Count)
        {
            foreach (var grant in after.Grants)
            {
                if (!before.TryGetGrant(grant.GrantId, out _))
                {
                    Sql("INSERT INTO credit_grants (customer_id, grant_id, expires_at, data) VALUES ($customer, $grant, $expires, $data)", "$customer", "$grant", "$expires", "$data")
                        .With(after.CustomerId, grant.GrantId, Nanos(grant.ExpiresAt), StoreDocuments.Json(grant))
                        .ExecuteNonQuery();
                }
            }
        }

        // Real-time burns add transactions per record: a raw statement.
        var insert = _insertTransaction ??= Prepare("INSERT INTO credit_transactions (customer_id, sequence, grant_id, type, data) VALUES (?1, ?2, ?3, ?4, ?5)");
        for (int i = before.Transactions.Count; i < after.Transactions.Count; i++)
        {
            var transaction = after.Transactions[i];
            insert.Bind(1, after.CustomerId);
            insert.Bind(2, transaction.Sequence);
            insert.Bind(3, transaction.GrantId);
            insert.Bind(4, (long)transaction.Type);
            insert.Bind(5, StoreDocuments.Json(transaction));
            insert.Execute();
        }

        _ledgers[after.CustomerId] = after;
        _changedLedgers[after.CustomerId] = after;
    }

    // After COMMIT: readers find each changed ledger at its stored version instead of rebuilding it from its history.
    // Never before: a ledger of a transaction that rolls back must not be found at a version another one may commit.
    private void PublishCommittedLedgers()
    {
        if (_committedLedgers is not null)
        {
            foreach (var ledger in _changedLedgers.Values)
            {
                _committedLedgers.SetUnless(ledger.CustomerId, ledger, static (cached, committed) => cached.LastSequence > committed.LastSequence);
            }
        }

        _changedLedgers.Clear();
    }
}
