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

        return problems;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
