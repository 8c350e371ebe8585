using System.Globalization;
using System.Runtime.CompilerServices;
using Metering.Sqlite.Serialization;
using Metering.Sqlite.Storage;
using Metering.Storage;
using Microsoft.Data.Sqlite;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite;

/// <summary>Usage appends (through the writer), aggregates, usage periods and the records of a period.</summary>
public sealed partial class SqliteMeteringStore
{
    private const int UsagePageSize = 1_000;

    // A page of indexed records (usage_by_period), then of the short unindexed tail; both in seq order.
    private static readonly string IndexedUsagePageSql =
        $"""
        SELECT {string.Join(", ", StoreQueries.UsageColumns.Split(", ").Select(c => "u." + c))} FROM usage_by_period i JOIN usage_records u ON u.seq = i.seq
        WHERE i.subscription_id = $s AND i.period_start = $p AND i.seq > $after
        ORDER BY i.seq LIMIT $limit
        """;

    private static readonly string TailUsagePageSql =
        $"""
        SELECT {StoreQueries.UsageColumns} FROM usage_records
        WHERE seq > $after AND subscription_id = $s AND period_start = $p
        ORDER BY seq LIMIT $limit
        """;

    /// <inheritdoc/>
    public async ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Length < items.Length)
        {
            throw new ArgumentException($"The outcomes buffer holds {outcomes.Length} items but {items.Length} are appended; pass one outcome slot per item.", nameof(outcomes));
        }

        if (items.IsEmpty)
        {
            return;
        }

        // Real-time credit burn runs pricing and ledger code: give it a savepoint so a failure stays its own.
        bool burns = false;
        foreach (var item in items.Span)
        {
            burns |= item.BurnsCredits;
        }

        await WriteAsync(
            w =>
            {
                w.AppendUsage(items.Span, outcomes.Span);
                return true;
            },
            items.Length,
            burns,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredAggregate>>(c => StoreQueries.LoadAggregates(c, subscriptionId, Nanos(periodStart)), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Instant>> ListUsagePeriodsAsync(string subscriptionId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var before = PageCursor.Decode(cursor, long.MaxValue);
        return ReadAsync(
            c =>
            {
                var command = StatementCache.Get(
                    c,
                    """
                    SELECT period_start FROM (
                        SELECT period_start FROM aggregates WHERE subscription_id = $s
                        UNION
                        SELECT period_start FROM invoices WHERE subscription_id = $s)
                    WHERE period_start < $before
                    ORDER BY period_start DESC
                    LIMIT $take
                    """,
                    "$s",
                    "$before",
                    "$take");
                var starts = new List<Instant>();
                using (var reader = command.With(subscriptionId, before, limit + 1).ExecuteReader())
                {
                    while (reader.Read())
                    {
                        starts.Add(SqliteValues.Instant(reader.GetInt64(0)));
                    }
                }

                return PageOf(starts, limit, s => Nanos(s).ToString(CultureInfo.InvariantCulture));
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> ReadUsageRecordsAsync(string subscriptionId, Instant periodStart, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long period = Nanos(periodStart);
        long after = 0;
        while (true)
        {
            var page = await ReadAsync(c => ReadUsagePage(c, subscriptionId, period, after), cancellationToken, snapshot: true).ConfigureAwait(false);

            foreach (var (seq, record) in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                after = seq;
                yield return record;
            }

            if (page.Count < UsagePageSize)
            {
                yield break;
            }
        }
    }

    private static List<(long Seq, UsageRecord Record)> ReadUsagePage(SqliteConnection connection, string subscriptionId, long periodStart, long after)
    {
        // Indexed records first (usage_by_period), then the short unindexed tail; both in seq order, so the page is too.
        var rows = new List<(long Seq, UsageRecord Record)>(UsagePageSize);
        var indexedThrough = (long)StatementCache.Get(connection, "SELECT indexed_through FROM usage_index_state").ExecuteScalar()!;
        if (after < indexedThrough)
        {
            Read(IndexedUsagePageSql, after);
        }

        if (rows.Count < UsagePageSize)
        {
            Read(TailUsagePageSql, Math.Max(after, indexedThrough));
        }

        return rows;

        void Read(string sql, long from)
        {
            using var reader = StatementCache.Get(connection, sql, "$s", "$p", "$after", "$limit")
                .With(subscriptionId, periodStart, from, UsagePageSize - rows.Count)
                .ExecuteReader();
            while (reader.Read())
            {
                var row = StoreQueries.ReadUsage(reader);
                rows.Add((row.Seq, row.Record));
            }
        }
    }
}
