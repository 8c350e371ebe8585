using System.Diagnostics;
using System.Globalization;
using Metering.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SQLitePCL;

namespace Metering.Benchmarks.Load;

/// <summary>
/// The SQLite store on a fresh database file in a temporary folder (deleted on dispose), with the default durability:
/// WAL and <c>synchronous = NORMAL</c> (an acknowledged record survives a crash or kill of the process; see
/// <see cref="SqliteSynchronous"/>). Its raw ceiling writes the same rows into the <c>usage_records</c> table of a second
/// fresh file, created by the store's own migration (same schema, same indexes), with one connection (SQLite has one
/// writer per file) and one native prepared INSERT (bind, step, reset) in transactions of 10,000 rows.
/// </summary>
public sealed partial class SqliteLoadTarget : ILoadTarget
{
    /// <summary>Rows per transaction of the raw ceiling (the store's default <see cref="SqliteStoreOptions.MaxBatchSize"/>).</summary>
    public const int RawTransactionRows = 10_000;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "metering-load-" + Guid.NewGuid().ToString("N"));

    /// <summary>Creates the temporary folder of the two database files.</summary>
    public SqliteLoadTarget() => Directory.CreateDirectory(_folder);

    /// <inheritdoc/>
    public string Name => "sqlite";

    /// <summary>The durability the recorder run acknowledges with.</summary>
    public static SqliteSynchronous Synchronous => new SqliteStoreOptions().Synchronous;

    /// <inheritdoc/>
    public string RawCeilingDescription => string.Create(
        CultureInfo.InvariantCulture,
        $"native prepared INSERT into usage_records (same schema and indexes, fresh file, WAL, synchronous={Synchronous.ToString().ToUpperInvariant()}), one connection, {RawTransactionRows:N0} rows per transaction, producers' rows interleaved; no validation, attribution or aggregates");

    /// <summary>The recorder run's database file.</summary>
    public string MeteringPath => Path.Combine(_folder, "metering.db");

    /// <summary>The raw ceiling's database file.</summary>
    public string RawPath => Path.Combine(_folder, "raw.db");

    /// <summary>
    /// The store's <see cref="SqliteStoreOptions.ReadMemoryMapSize"/> for the run: the bytes in
    /// <c>METERING_BENCH_SQLITE_READ_MMAP</c>, or the default (0, off).
    /// </summary>
    public static long ReadMemoryMapSize =>
        long.TryParse(Environment.GetEnvironmentVariable("METERING_BENCH_SQLITE_READ_MMAP"), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : 0;

    /// <inheritdoc/>
    public void ConfigureMetering(MeteringBuilder builder) => builder.UseSqlite(MeteringPath, o => o.ReadMemoryMapSize = ReadMemoryMapSize);

    /// <inheritdoc/>
    public async ValueTask<RawCeilingResult> RawInsertCeilingAsync(IReadOnlyList<UsageRecord[]> recordsPerProducer, int batchSize, CancellationToken cancellationToken)
    {
        // The same schema as the recorder run: the store's migration creates it, then the store is closed.
        await using (var store = new SqliteMeteringStore(RawPath))
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        // Subscription ids and period starts are what the recorder resolves: precomputed, outside the timing.
        long total = recordsPerProducer.Sum(r => (long)r.Length);
        var rows = new (UsageRecord Record, string SubscriptionId, long PeriodStart, long Timestamp)[total];
        int longest = recordsPerProducer.Max(r => r.Length);
        long n = 0;
        for (int j = 0; j < longest; j++)
        {
            foreach (var records in recordsPerProducer)
            {
                if (j < records.Length)
                {
                    var record = records[j];
                    rows[n++] = (record, "sub-" + record.CustomerId["cust-".Length..], PeriodStart(record.Timestamp), Nanos(record.Timestamp));
                }
            }
        }

        return await Task.Run(() => Insert(rows), cancellationToken).ConfigureAwait(false);
    }

    private RawCeilingResult Insert((UsageRecord Record, string SubscriptionId, long PeriodStart, long Timestamp)[] rows)
    {
        using var connection = new SqliteConnection($"Data Source={RawPath};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, "PRAGMA synchronous = " + Synchronous.ToString().ToUpperInvariant());
        var db = connection.Handle!;
        Check(db, raw.sqlite3_prepare_v3(
            db,
            """
            INSERT INTO usage_records (idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action, properties, requested_subscription_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL)
            """,
            raw.SQLITE_PREPARE_PERSISTENT,
            out var insert));
        using (insert)
        {
            Span<byte> quantity = stackalloc byte[48];
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < rows.Length; i += RawTransactionRows)
            {
                Execute(connection, "BEGIN IMMEDIATE");
                int end = Math.Min(rows.Length, i + RawTransactionRows);
                for (int k = i; k < end; k++)
                {
                    var (record, subscriptionId, periodStart, timestamp) = rows[k];
                    raw.sqlite3_bind_text(insert, 1, record.IdempotencyKey);
                    raw.sqlite3_bind_text(insert, 2, subscriptionId);
                    raw.sqlite3_bind_int64(insert, 3, periodStart);
                    raw.sqlite3_bind_text(insert, 4, record.CustomerId);
                    raw.sqlite3_bind_text(insert, 5, record.MeterKey);
                    record.Quantity.TryFormat(quantity, out int written, default, CultureInfo.InvariantCulture);
                    raw.sqlite3_bind_text(insert, 6, quantity[..written]);
                    raw.sqlite3_bind_int64(insert, 7, timestamp);
                    raw.sqlite3_bind_int64(insert, 8, (long)record.Action);
                    int result = raw.sqlite3_step(insert);
                    raw.sqlite3_reset(insert);
                    if (result != raw.SQLITE_DONE)
                    {
                        Check(db, result);
                    }
                }

                Execute(connection, "COMMIT");
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            long stored = (long)new SqliteCommand("SELECT COUNT(*) FROM usage_records", connection).ExecuteScalar()!;
            if (stored != rows.Length)
            {
                throw new InvalidOperationException($"The raw ceiling stored {stored} of {rows.Length} records.");
            }

            return new RawCeilingResult(rows.Length, elapsed);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open (the store's background writer closing late) leaves the folder behind in /tmp.
        }

        return ValueTask.CompletedTask;
    }

    private static long Nanos(Instant instant) => (instant - NodaConstants.UnixEpoch).ToInt64Nanoseconds();

    // The load plan is monthly in UTC, so a record's period starts on the first of its month.
    private static long PeriodStart(Instant timestamp)
    {
        var date = timestamp.InUtc().Date;
        return Nanos(new LocalDate(date.Year, date.Month, 1).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant());
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), result);
        }
    }
}
