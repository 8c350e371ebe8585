using Metering.Sqlite.Serialization;
using Metering.Storage;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>Reads shared by the writer (inside its transaction) and the read connections.</summary>
internal static class StoreQueries
{
    public const string UsageColumns = "seq, idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action, properties, requested_subscription_id";

    /// <summary>The aggregates of one period, ordered by key (ordinal), distinct values included.</summary>
    public static List<StoredAggregate> LoadAggregates(SqliteConnection connection, string subscriptionId, long periodStart)
    {
        var rows = StatementCache.Raw(
            connection,
            """
            SELECT a.aggregate_key, a.kind, a.value, a.record_count, a.latest_timestamp, a.has_set, d.value
            FROM aggregates a
            LEFT JOIN aggregate_distinct d
              ON d.subscription_id = a.subscription_id AND d.period_start = a.period_start AND d.aggregate_key = a.aggregate_key
            WHERE a.subscription_id = ?1 AND a.period_start = ?2
            ORDER BY a.aggregate_key
            """);
        var result = new List<StoredAggregate>(4);
        string? key = null;
        (Aggregation Kind, decimal Value, long Count, Instant? Latest, bool HasSet) state = default;
        List<string>? distinct = null;
        rows.Bind(1, subscriptionId);
        rows.Bind(2, periodStart);
        try
        {
            while (rows.Read())
            {
                var rowKey = rows.GetString(0);
                if (!string.Equals(rowKey, key, StringComparison.Ordinal))
                {
                    Flush();
                    key = rowKey;
                    state = (
                        (Aggregation)rows.GetInt64(1),
                        rows.GetDecimal(2),
                        rows.GetInt64(3),
                        rows.IsNull(4) ? null : SqliteValues.Instant(rows.GetInt64(4)),
                        rows.GetInt64(5) != 0);
                    distinct = state.Kind == Aggregation.UniqueCount ? [] : null;
                }

                if (!rows.IsNull(6))
                {
                    distinct?.Add(rows.GetString(6));
                }
            }
        }
        finally
        {
            rows.Reset();
        }

        Flush();
        result.Sort((a, b) => a.Key.CompareTo(b.Key));
        return result;

        void Flush()
        {
            if (key is not null)
            {
                result.Add(new StoredAggregate(AggregateKey.Parse(key), UsageAggregate.Restore(state.Kind, state.Value, state.Count, state.Latest, distinct, state.HasSet)));
            }
        }
    }

    /// <summary>A usage record row (columns in <see cref="UsageColumns"/> order) as the record, its subscription and period.</summary>
    public static (long Seq, UsageRecord Record, string SubscriptionId, Instant PeriodStart) ReadUsage(SqliteDataReader reader) =>
        (
            reader.GetInt64(0),
            new UsageRecord(
                reader.GetString(4),
                reader.GetString(5),
                SqliteValues.Decimal(reader.GetString(6)),
                SqliteValues.Instant(reader.GetInt64(7)),
                reader.GetString(1),
                (UsageAction)reader.GetInt32(8),
                StoreDocuments.Properties(reader.IsDBNull(9) ? null : reader.GetString(9)),
                reader.IsDBNull(10) ? null : reader.GetString(10)),
            reader.GetString(2),
            SqliteValues.Instant(reader.GetInt64(3)));

    public static CreditLedger LoadLedger(SqliteConnection connection, string customerId)
    {
        var grants = Texts(StatementCache.Raw(connection, "SELECT data FROM credit_grants WHERE customer_id = ?1 ORDER BY grant_id"), customerId);
        var transactions = Texts(StatementCache.Raw(connection, "SELECT data FROM credit_transactions WHERE customer_id = ?1 ORDER BY sequence"), customerId);
        return grants.Count == 0 && transactions.Count == 0
            ? CreditLedger.Empty(customerId)
            : CreditLedger.FromHistory(customerId, grants.ConvertAll(StoreDocuments.ToGrant), transactions.ConvertAll(StoreDocuments.ToTransaction));
    }

    /// <summary>
    /// <paramref name="held"/> extended with the grants and transactions stored after its last sequence: the primary
    /// key range after it, and the grants of the Grant transactions in that range.
    /// </summary>
    public static CreditLedger ExtendLedger(SqliteConnection connection, CreditLedger held)
    {
        var after = StatementCache.Raw(connection, "SELECT data FROM credit_transactions WHERE customer_id = ?1 AND sequence > ?2 ORDER BY sequence");
        after.Bind(2, held.LastSequence);
        var transactions = Texts(after, held.CustomerId);
        var granted = StatementCache.Raw(
            connection,
            "SELECT g.data FROM credit_transactions t JOIN credit_grants g ON g.customer_id = t.customer_id AND g.grant_id = t.grant_id WHERE t.customer_id = ?1 AND t.sequence > ?2 AND t.type = ?3");
        granted.Bind(2, held.LastSequence);
        granted.Bind(3, (long)CreditTransactionType.Grant);
        var grants = Texts(granted, held.CustomerId);
        return held.WithHistory(grants.ConvertAll(StoreDocuments.ToGrant), transactions.ConvertAll(StoreDocuments.ToTransaction));
    }

    /// <summary>Runs a raw query whose first parameter is <paramref name="parameter"/> (others bound already) and returns the first column of each row as text.</summary>
    private static List<string> Texts(RawStatement rows, string parameter)
    {
        var result = new List<string>();
        rows.Bind(1, parameter);
        try
        {
            while (rows.Read())
            {
                result.Add(rows.GetString(0));
            }
        }
        finally
        {
            rows.Reset();
        }

        return result;
    }

    public static Customer? LoadCustomer(SqliteConnection connection, string customerId)
    {
        using var reader = StatementCache.Get(connection, "SELECT customer_id, name, time_zone_id, created_at, details FROM customers WHERE customer_id = $id", "$id")
            .With(customerId)
            .ExecuteReader();
        return reader.Read()
            ? StoreDocuments.WithDetails(
                new Customer(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), SqliteValues.Instant(reader.GetInt64(3))),
                reader.IsDBNull(4) ? null : reader.GetString(4))
            : null;
    }

    public static List<Subscription> LoadSubscriptions(SqliteConnection connection, string customerId) =>
        StatementCache.Get(connection, "SELECT data FROM subscriptions WHERE customer_id = $c ORDER BY seq", "$c")
            .With(customerId)
            .Strings()
            .ConvertAll(StoreDocuments.ToSubscription);

    public static Subscription? LoadSubscription(SqliteConnection connection, string subscriptionId) =>
        StatementCache.Get(connection, "SELECT data FROM subscriptions WHERE subscription_id = $s", "$s").With(subscriptionId).FirstString() is { } json
            ? StoreDocuments.ToSubscription(json)
            : null;

    public static Plan? LoadPlan(SqliteConnection connection, string planKey, int? version)
    {
        var json = version is { } v
            ? StatementCache.Get(connection, "SELECT data FROM plans WHERE plan_key = $k AND version = $v", "$k", "$v").With(planKey, v).FirstString()
            : StatementCache.Get(connection, "SELECT data FROM plans WHERE plan_key = $k ORDER BY version DESC LIMIT 1", "$k").With(planKey).FirstString();
        return json is null ? null : StoreDocuments.ToPlan(json);
    }

    public static Invoice? LoadInvoice(SqliteConnection connection, string invoiceId) =>
        StatementCache.Get(connection, "SELECT data FROM invoices WHERE invoice_id = $i", "$i").With(invoiceId).FirstString() is { } json
            ? StoreDocuments.ToInvoice(json)
            : null;

    public static CreditNote? LoadCreditNote(SqliteConnection connection, string creditNoteId) =>
        StatementCache.Get(connection, "SELECT data FROM credit_notes WHERE credit_note_id = $i", "$i").With(creditNoteId).FirstString() is { } json
            ? StoreDocuments.ToCreditNote(json)
            : null;

    /// <summary>The notes of one invoice, oldest first.</summary>
    public static List<CreditNote> LoadInvoiceCreditNotes(SqliteConnection connection, string invoiceId) =>
        StatementCache.Get(connection, "SELECT data FROM credit_notes WHERE invoice_id = $i ORDER BY number", "$i").With(invoiceId).Strings().ConvertAll(StoreDocuments.ToCreditNote);
}
