using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Metering.PostgreSql;

/// <summary>Settings of the PostgreSQL store (<c>UsePostgreSql(...)</c>).</summary>
public sealed class PostgreSqlStoreOptions
{
    /// <summary>
    /// The schema holding Metering's tables (created when missing): 1 to 63 lower-case letters, digits or '_',
    /// starting with a letter or '_'. Default <c>metering</c>. Several stores can share a database with different schemas.
    /// </summary>
    public string Schema { get; set; } = "metering";

    /// <summary>How long one SQL command may run before it is canceled (default 30 seconds).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most single-record appends (concurrent <c>RecordAsync</c> calls) the store coalesces into one transaction
    /// (group commit; default 1,000). Each caller is completed after the transaction that holds its record committed.
    /// </summary>
    public int MaxGroupCommitSize { get; set; } = 1_000;

    /// <summary>
    /// Group-commit transactions in flight at once, each on its own connection and owning the subscriptions that hash
    /// to it (default 2). More writers overlap more round trips but make each transaction smaller.
    /// </summary>
    public int GroupCommitWriters { get; set; } = 2;

    /// <summary>
    /// Connections the store keeps open for its hot reads (current usage and invoice preview, a subscription, a period's
    /// aggregates) and hands out most recently used first (default 2; 0 turns this off and every read takes a
    /// connection from the pool). Npgsql's pool hands out its idle connections oldest first, so after a burst opened
    /// many of them, consecutive reads would rotate through every server backend, each with cold caches; reads on a
    /// few warm ones measured 40-53% faster at the median and 33-80% off the p99 (benchmarks/README.md). Kept
    /// connections count against the data source's <c>Max Pool Size</c> like the group-commit writers' connections:
    /// keep the pool at least <see cref="GroupCommitWriters"/> + this + the host's own concurrent use.
    /// </summary>
    public int WarmReadConnections { get; set; } = 2;

    /// <summary>
    /// How long a kept read connection (<see cref="WarmReadConnections"/>) may stay unused before it goes back to the
    /// pool (default 10 seconds), so a store that stops reading holds no connection for long.
    /// </summary>
    public TimeSpan WarmReadConnectionIdleLifetime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most decoded subscriptions, and separately the most credit ledgers, the store keeps in memory between calls
    /// (default 250,000 each; 0 keeps none). A kept one whose stored revision (or ledger sequence) is unchanged is not
    /// sent or decoded again; the least recently used are dropped first, so memory stays bounded however many
    /// customers the database holds (a plain subscription takes about 650 bytes kept: ~160 MB at the default).
    /// </summary>
    public int CacheCapacity { get; set; } = 250_000;

    internal PostgreSqlStoreOptions Clone() => (PostgreSqlStoreOptions)MemberwiseClone();
}


/// <summary>Checks <see cref="PostgreSqlStoreOptions"/> at startup, reporting every problem at once.</summary>
internal sealed partial class PostgreSqlStoreOptionsValidator : IValidateOptions<PostgreSqlStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlStoreOptions options)
    {
        var problems = Check(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>The problems with <paramref name="options"/>, each naming the setting and the fix.</summary>
    public static List<string> Check(PostgreSqlStoreOptions options)
    {
        var problems = new List<string>();
        if (options.Schema is null || !SchemaName().IsMatch(options.Schema))
        {
            problems.Add($"PostgreSqlStoreOptions.Schema '{options.Schema}' is not a valid schema name; use 1 to 63 lower-case letters, digits or '_', starting with a letter or '_' (e.g. 'metering').");
        }

        if (options.CommandTimeout <= TimeSpan.Zero || options.CommandTimeout.TotalSeconds > int.MaxValue)
        {
            problems.Add($"PostgreSqlStoreOptions.CommandTimeout is {DurationText.Format(options.CommandTimeout)}; use a positive duration of at most {int.MaxValue} seconds, e.g. 30 seconds.");
        }

        if (options.MaxGroupCommitSize < 1)
        {
            problems.Add($"PostgreSqlStoreOptions.MaxGroupCommitSize {options.MaxGroupCommitSize} is below 1; use e.g. 1000 (1 turns group commit off).");
        }

        if (options.GroupCommitWriters < 1)
        {
            problems.Add($"PostgreSqlStoreOptions.GroupCommitWriters {options.GroupCommitWriters} is below 1; use e.g. 2.");
        }

        if (options.WarmReadConnections < 0)
        {
            problems.Add($"PostgreSqlStoreOptions.WarmReadConnections {options.WarmReadConnections} is negative; use e.g. 2 (0 turns kept read connections off).");
        }

        if (options.WarmReadConnectionIdleLifetime <= TimeSpan.Zero || options.WarmReadConnectionIdleLifetime.TotalMilliseconds > uint.MaxValue - 1)
        {
            problems.Add($"PostgreSqlStoreOptions.WarmReadConnectionIdleLifetime is {DurationText.Format(options.WarmReadConnectionIdleLifetime)}; use a positive duration of at most 49 days, e.g. 10 seconds.");
        }

        if (options.CacheCapacity < 0)
        {
            problems.Add($"PostgreSqlStoreOptions.CacheCapacity {options.CacheCapacity} is negative; use e.g. 250000, the default (0 keeps nothing in memory).");
        }

        return problems;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
