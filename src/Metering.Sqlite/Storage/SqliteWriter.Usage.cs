using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's usage appends: the idempotency key first, then the append decision of Core, then the insert.</summary>
internal sealed partial class SqliteWriter
{
    private static readonly string FindUsageSql = $"SELECT {StoreQueries.UsageColumns} FROM usage_records WHERE seq = $seq";

    private readonly AppendState _appendState;
    private RawStatement? _insertUsage;

    /// <summary>Appends usage with the same per-item semantics as the in-memory store.</summary>
    public void AppendUsage(ReadOnlySpan<PreparedUsage> items, Span<UsageOutcome> outcomes)
    {
        for (int i = 0; i < items.Length; i++)
        {
            outcomes[i] = AppendOne(in items[i]);
        }
    }

    private UsageOutcome AppendOne(in PreparedUsage item)
    {
        var record = item.Record;
        long periodStart = Nanos(item.PeriodStart);

        // UTF-8 binding would turn ill-formed text into U+FFFD: a record handed to the store directly gets the runtime's rejection.
        if (UsageRecordRules.CheckText(record) is { } badText)
        {
            return UsageOutcome.Rejected(badText);
        }

        // The key first: a record already stored under it decides the outcome (duplicate or conflict).
        if (_keys.Find(record.IdempotencyKey) is { } existingSeq)
        {
            var (_, stored, storedSubscriptionId, storedPeriodStart) = FindUsage(existingSeq);
            if (!string.Equals(stored.IdempotencyKey, record.IdempotencyKey, StringComparison.Ordinal))
            {
                // A long key is found by its SHA-256 digest (UsageKeyIndex); two keys sharing one has never been seen.
                throw new InvalidOperationException($"Idempotency keys '{record.IdempotencyKey}' and '{stored.IdempotencyKey}' share a SHA-256 digest in usage_keys; the record is not stored.");
            }

            return UsageAppendRules.ForExistingKey(stored, storedSubscriptionId, storedPeriodStart, record);
        }

        var outcome = UsageAppendRules.Decide(in item, _appendState);
        if (outcome.Kind != UsageOutcomeKind.Accepted)
        {
            return outcome;
        }

        // Accepted: store the record (its row claims the key) and remember the key until it is indexed.
        var insert = _insertUsage ??= Prepare(
            """
            INSERT INTO usage_records (idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action, properties, requested_subscription_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """);
        insert.Bind(1, record.IdempotencyKey);
        insert.Bind(2, item.SubscriptionId);
        insert.Bind(3, periodStart);
        insert.Bind(4, record.CustomerId);
        insert.Bind(5, record.MeterKey);
        insert.Bind(6, record.Quantity);
        insert.Bind(7, Nanos(record.Timestamp));
        insert.Bind(8, (long)record.Action);
        insert.Bind(9, StoreDocuments.PropertiesJson(record.Properties));
        insert.Bind(10, record.SubscriptionId);
        insert.Execute();
        _keys.Add(record.IdempotencyKey, SQLitePCL.raw.sqlite3_last_insert_rowid(_connection.Handle));
        return outcome;
    }

    private (long Seq, UsageRecord Record, string SubscriptionId, Instant PeriodStart) FindUsage(long seq)
    {
        using var reader = Sql(FindUsageSql, "$seq").With(seq).ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException($"Usage record {seq} is indexed by its idempotency key but missing.");
        }

        return StoreQueries.ReadUsage(reader);
    }

    /// <summary>The writer's caches as <see cref="UsageAppendRules.Decide"/> sees them: reads load on demand, writes are write-behind (aggregates) or immediate (ledger rows).</summary>
    private sealed class AppendState(SqliteWriter writer) : IUsageAppendState
    {
        // The period of the current decision (its aggregates are read and written several times per record).
        private PeriodKey _lastKey;
        private Dictionary<AggregateKey, AggregateEntry>? _lastPeriod;

        public Subscription? FindSubscription(string subscriptionId) => writer.GetSubscription(subscriptionId);

        public bool TryGetAggregate(in PreparedUsage item, AggregateKey key, out UsageAggregate aggregate)
        {
            if (PeriodOf(in item).TryGetValue(key, out var entry))
            {
                aggregate = entry.Value;
                return true;
            }

            aggregate = default;
            return false;
        }

        public void SetAggregate(in PreparedUsage item, AggregateTarget? target, AggregateKey key, UsageAggregate before, UsageAggregate after)
        {
            writer._aggregates.Set(PeriodOf(in item), _lastKey, key, after);
            if (after.Kind == Aggregation.UniqueCount && after.DistinctValues!.Count != (before.DistinctValues?.Count ?? 0)
                && target?.UniqueProperty is { } property && item.Record.TryGetProperty(property, out var distinctValue))
            {
                writer._aggregates.AddDistinct(_lastKey, key, distinctValue);
            }
        }

        // The single writer holds the period's every aggregate in its cache (GetPeriod loads them all), so the count is exact.
        public int CountGroups(in PreparedUsage item) =>
            PeriodOf(in item).Values.Count(e => e.Key.Kind == AggregateKeyKind.GroupedCharge && !e.Value.IsEmpty);

        public CreditLedger GetLedger(string customerId) => writer.GetLedger(customerId);

        public void SetLedger(CreditLedger before, CreditLedger after) => writer.PersistLedger(before, after);

        public void AddEvent(BillingEvent billingEvent) => writer.AppendEvents([billingEvent]);

        /// <summary>Forgets the cached period (the writer's caches were cleared).</summary>
        public void Reset() => _lastPeriod = null;

        private Dictionary<AggregateKey, AggregateEntry> PeriodOf(in PreparedUsage item)
        {
            long start = Nanos(item.PeriodStart);
            if (_lastPeriod is null || _lastKey.PeriodStart != start || !string.Equals(_lastKey.SubscriptionId, item.SubscriptionId, StringComparison.Ordinal))
            {
                _lastKey = new PeriodKey(item.SubscriptionId, start);
                _lastPeriod = writer._aggregates.GetPeriod(_lastKey);
            }

            return _lastPeriod;
        }
    }
}
