using Metering.Storage;
using Microsoft.Data.Sqlite;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>One subscription's period, as the aggregates table keys it (period start in unix nanoseconds).</summary>
internal readonly record struct PeriodKey(string SubscriptionId, long PeriodStart);

/// <summary>One cached aggregate row: its value, and whether it must be written and whether its row exists.</summary>
internal sealed class AggregateEntry(PeriodKey period, AggregateKey key, UsageAggregate value)
{
    public PeriodKey Period { get; } = period;

    public AggregateKey Key { get; } = key;

    public UsageAggregate Value { get; set; } = value;

    /// <summary>True when <see cref="Value"/> changed since the last flush.</summary>
    public bool Dirty { get; set; }

    /// <summary>True when the row exists in the database (in this transaction).</summary>
    public bool Stored { get; set; }
}

/// <summary>
/// The writer's write-behind cache of the aggregates table: periods load on first use, changed entries are kept in a
/// dirty list and written once per group (<see cref="Flush"/>, before COMMIT or a SAVEPOINT), so a subscription that
/// records many times in one group writes its aggregate row once. Distinct values of unique-count aggregates are
/// append-only rows and are written at once.
/// </summary>
/// <remarks>Used only by the writer's loop, inside its transaction; <see cref="Clear"/> drops it after a rollback.</remarks>
internal sealed class AggregateCache : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<PeriodKey, Dictionary<AggregateKey, AggregateEntry>> _periods = [];
    private readonly List<AggregateEntry> _dirty = [];
    private readonly RawStatement _insert;
    private readonly RawStatement _update;
    private readonly RawStatement _insertDistinct;

    public AggregateCache(SqliteConnection connection)
    {
        _connection = connection;
        _insert = new RawStatement(
            connection,
            """
            INSERT INTO aggregates (subscription_id, period_start, aggregate_key, kind, value, record_count, latest_timestamp, has_set)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """);
        _update = new RawStatement(
            connection,
            """
            UPDATE aggregates SET kind = ?4, value = ?5, record_count = ?6, latest_timestamp = ?7, has_set = ?8
            WHERE subscription_id = ?1 AND period_start = ?2 AND aggregate_key = ?3
            """);
        _insertDistinct = new RawStatement(
            connection,
            "INSERT INTO aggregate_distinct (subscription_id, period_start, aggregate_key, value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
    }

    /// <summary>Cached periods (the writer drops the cache between groups beyond a limit).</summary>
    public int PeriodCount => _periods.Count;

    /// <summary>The entries of one period, loaded from the database on first use.</summary>
    public Dictionary<AggregateKey, AggregateEntry> GetPeriod(PeriodKey key)
    {
        if (!_periods.TryGetValue(key, out var period))
        {
            period = [];
            foreach (var stored in StoreQueries.LoadAggregates(_connection, key.SubscriptionId, key.PeriodStart))
            {
                period[stored.Key] = new AggregateEntry(key, stored.Key, stored.Aggregate) { Stored = true };
            }

            _periods[key] = period;
        }

        return period;
    }

    /// <summary>Sets the aggregate <paramref name="key"/> of <paramref name="period"/> (entries from <see cref="GetPeriod"/>); written at the next flush.</summary>
    public void Set(Dictionary<AggregateKey, AggregateEntry> entries, PeriodKey period, AggregateKey key, UsageAggregate value)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            entry = new AggregateEntry(period, key, value);
            entries[key] = entry;
        }

        entry.Value = value;
        if (!entry.Dirty)
        {
            entry.Dirty = true;
            _dirty.Add(entry);
        }
    }

    /// <summary>Stores a new distinct value of a unique-count aggregate (at once; a value stored before is kept).</summary>
    public void AddDistinct(PeriodKey period, AggregateKey key, string value)
    {
        var insert = _insertDistinct;
        insert.Bind(1, period.SubscriptionId);
        insert.Bind(2, period.PeriodStart);
        insert.Bind(3, key.Value);
        insert.Bind(4, value);
        insert.Execute();
    }

    /// <summary>Writes every changed entry: an UPDATE of a row that exists, an INSERT of a new one.</summary>
    public void Flush()
    {
        if (_dirty.Count == 0)
        {
            return;
        }

        foreach (var entry in _dirty)
        {
            // The cache knows whether the row exists (loaded from it, or flushed before): no upsert probing needed.
            var upsert = entry.Stored ? _update : _insert;
            var value = entry.Value;
            upsert.Bind(1, entry.Period.SubscriptionId);
            upsert.Bind(2, entry.Period.PeriodStart);
            upsert.Bind(3, entry.Key.Value);
            upsert.Bind(4, (long)value.Kind);
            upsert.Bind(5, value.Value);
            upsert.Bind(6, value.RecordCount);
            upsert.Bind(7, value.LatestTimestamp is { } latest ? Nanos(latest) : null);
            upsert.Bind(8, value.HasSet ? 1L : 0L);
            upsert.Execute();
            entry.Dirty = false;
            entry.Stored = true;
        }

        _dirty.Clear();
    }

    /// <summary>Forgets every period and pending change (after a rollback, or another process's commit).</summary>
    public void Clear()
    {
        _periods.Clear();
        _dirty.Clear();
    }

    public void Dispose()
    {
        _insert.Dispose();
        _update.Dispose();
        _insertDistinct.Dispose();
    }
}
