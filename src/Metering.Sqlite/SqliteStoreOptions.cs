using Microsoft.Extensions.Options;

namespace Metering.Sqlite;

/// <summary>How hard SQLite works to keep a committed transaction through a power failure (<c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// <c>synchronous = NORMAL</c> with the write-ahead log (the default): a commit is acknowledged once it is written to the
    /// log, and the log is synced to disk at checkpoints. An acknowledged transaction survives a crash or kill of the
    /// process, but the last transactions before a power loss or operating-system crash can be lost (never half of one:
    /// the database stays consistent). The fastest durable setting.
    /// </summary>
    Normal,

    /// <summary>
    /// <c>synchronous = FULL</c>: the log is synced to disk at every commit, so an acknowledged transaction also survives a
    /// power loss or operating-system crash. Each group commit costs one fsync, which lowers throughput on slow disks.
    /// </summary>
    Full,
}

/// <summary>
/// Settings of the SQLite store, given to <c>UseSqlite(...)</c>. Checked at startup (every bad setting named at once),
/// and by the store's constructor when it is created directly.
/// </summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Largest <see cref="MaxBatchSize"/> accepted.</summary>
    public const int MaxBatchSizeLimit = 1_000_000;

    /// <summary>Default <see cref="WalSizeLimit"/>: 64 MB.</summary>
    public const long DefaultWalSizeLimit = 64L * 1024 * 1024;

    /// <summary>Smallest <see cref="WalSizeLimit"/> accepted: 1 MB.</summary>
    public const long MinWalSizeLimit = 1024L * 1024;

    /// <summary>
    /// The database: a file path (<c>billing.db</c>, created when missing) or a Microsoft.Data.Sqlite connection string
    /// (<c>Data Source=billing.db</c>); anything containing <c>=</c> is read as a connection string. Required by
    /// <c>UseSqlite(o =&gt; ...)</c> and configuration binding; <c>UseSqlite("billing.db", ...)</c> sets it from its argument.
    /// In-memory databases are not supported: the store uses several connections.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Durability of an acknowledged write (default <see cref="SqliteSynchronous.Normal"/>). NORMAL with WAL never loses
    /// an acknowledged write when the process crashes or is killed, but can lose the last transactions on a power loss;
    /// FULL also survives power loss, at the cost of one fsync per group commit.
    /// </summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>
    /// How long a connection waits for a lock held by another connection or process before failing with
    /// <c>SQLITE_BUSY</c> (default 30 seconds; 0 to fail at once). Lets several processes share one database file:
    /// their writers take turns.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most usage records (a batch counts each of its records; any other write counts one) the writer commits in one
    /// transaction (default 10,000). A single request larger than this is still committed whole.
    /// </summary>
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>
    /// How many write requests may wait for the writer (default 8,192). When the queue is full, callers wait
    /// (backpressure) instead of piling up memory.
    /// </summary>
    public int QueueCapacity { get; set; } = 8_192;

    /// <summary>
    /// Bytes of the database file the read connections map into memory (<c>PRAGMA mmap_size</c>; default 0, off). With
    /// a map, reads take pages straight from the operating system's file cache instead of copying them through a read
    /// call each: on a 100,000-subscription database it cut the current-usage read p99 by 22-29% (benchmarks/README.md).
    /// Off by default because SQLite cannot report an I/O error on a mapped page as an error: the operating system
    /// raises a signal that ends the process instead. Turn it on for a database on a reliable local disk, sized like the
    /// file (e.g. 268435456 for 256 MB); SQLite caps it at its compiled maximum (2 GB in the bundled build). The writer
    /// never maps.
    /// </summary>
    public long ReadMemoryMapSize { get; set; }

    /// <summary>
    /// Bytes the write-ahead log file is kept near (default 67108864, 64 MB; at least 1048576). Without a bound, sustained
    /// writes grow the log without end (SQLite writes it from its start again only when a write begins on a wholly
    /// checkpointed log) and its file keeps its largest size: 1.1 GB beside a 228 MB database after a 100,000-subscription
    /// month in the load runner. Past the limit the writer runs a RESTART checkpoint between two groups, after their
    /// callers are answered: it copies what the background checkpoint left and waits at most 250 ms for readers of the
    /// log, so the next write starts the log again and truncates its file to this size. The log passes the limit by what
    /// is written while the background checkpoint that finds it past the limit runs, and for longer while a read
    /// transaction stays open (log event 4012 once it is past twice the limit).
    /// </summary>
    public long WalSizeLimit { get; set; } = DefaultWalSizeLimit;

    /// <summary>
    /// The most decoded subscriptions, and separately the most credit ledgers, the store keeps in memory between reads
    /// (default 250,000 each; 0 keeps none). A current-usage read whose subscription is kept at its stored revision skips
    /// decoding its document (~1.7 µs and ~2.3 KB each), and a ledger kept at its stored last sequence is not rebuilt
    /// from its whole history of grants and burns; the least recently read are dropped first, so memory stays bounded
    /// however many customers the database holds (about 650 bytes per plain subscription: ~160 MB at the default).
    /// </summary>
    public int CacheCapacity { get; set; } = 250_000;

    internal SqliteStoreOptions Clone() => (SqliteStoreOptions)MemberwiseClone();
}

/// <summary>Checks <see cref="SqliteStoreOptions"/> at startup (<c>ValidateOnStart</c>), reporting every problem at once.</summary>
internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var problems = Check(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>The problems with <paramref name="options"/>, each naming the setting and the fix.</summary>
    public static List<string> Check(SqliteStoreOptions options)
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(options.Synchronous))
        {
            problems.Add($"SqliteStoreOptions.Synchronous is {(int)options.Synchronous}; use SqliteSynchronous.Normal or SqliteSynchronous.Full.");
        }

        if (options.BusyTimeout < TimeSpan.Zero || options.BusyTimeout.TotalMilliseconds > int.MaxValue)
        {
            problems.Add($"SqliteStoreOptions.BusyTimeout is {DurationText.Format(options.BusyTimeout)}; use zero or a positive duration under 24 days (e.g. 30 seconds).");
        }

        if (options.MaxBatchSize is < 1 or > SqliteStoreOptions.MaxBatchSizeLimit)
        {
            problems.Add($"SqliteStoreOptions.MaxBatchSize is {options.MaxBatchSize}; use 1 to {SqliteStoreOptions.MaxBatchSizeLimit} (e.g. 10000).");
        }

        if (options.QueueCapacity < 1)
        {
            problems.Add($"SqliteStoreOptions.QueueCapacity is {options.QueueCapacity}; use 1 or more (e.g. 8192).");
        }

        if (options.ReadMemoryMapSize < 0)
        {
            problems.Add($"SqliteStoreOptions.ReadMemoryMapSize is {options.ReadMemoryMapSize}; use 0 (off) or a size in bytes (e.g. 268435456 for 256 MB).");
        }

        if (options.CacheCapacity < 0)
        {
            problems.Add($"SqliteStoreOptions.CacheCapacity is {options.CacheCapacity}; use 0 (keep nothing) or more subscriptions (e.g. 250000, the default).");
        }

        if (options.WalSizeLimit < SqliteStoreOptions.MinWalSizeLimit)
        {
            problems.Add($"SqliteStoreOptions.WalSizeLimit is {options.WalSizeLimit}; use {SqliteStoreOptions.MinWalSizeLimit} (1 MB) or more bytes (e.g. {SqliteStoreOptions.DefaultWalSizeLimit} for 64 MB).");
        }

        return problems;
    }
}
