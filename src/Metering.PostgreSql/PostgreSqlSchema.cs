using System.Data;
using System.Reflection;
using Dapper;
using Npgsql;

namespace Metering.PostgreSql;

/// <summary>
/// Creates and migrates the schema from the embedded, versioned scripts (<c>Migrations/NNNN_name.sql</c>), recording
/// each applied version in <c>schema_version</c>. The whole migration runs in one transaction under a
/// transaction-scoped advisory lock, so instances starting at once apply each script exactly once.
/// </summary>
internal static class PostgreSqlSchema
{
    // Advisory lock key space of this library (first int of the two-int lock key).
    public const int MigrationLockClass = 0x4D455452; // "METR"
    public const int PlanLockClass = 0x4D455453;

    /// <summary>Advisory lock class of one (subscription, period)'s groups: held while a transaction may open a group in it.</summary>
    public const int GroupLockClass = 0x4D455454;

    private const string ResourcePrefix = "Metering.PostgreSql.Migrations.";

    /// <summary>The scripts, by version.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts { get; } = LoadScripts();

    /// <summary>The schema version these binaries need.</summary>
    public static int LatestVersion => Scripts[^1].Version;

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var quoted = Quote(schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(@c, hashtext(@s))", new { c = MigrationLockClass, s = schema }, transaction, timeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            $"CREATE SCHEMA IF NOT EXISTS {quoted}; CREATE TABLE IF NOT EXISTS {quoted}.schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            transaction: transaction,
            commandTimeout: timeoutSeconds,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT coalesce(max(version), 0) FROM {quoted}.schema_version", transaction: transaction, commandTimeout: timeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (current > LatestVersion)
        {
            throw new MeteringException(
                MeteringErrorCode.Configuration,
                $"The Metering schema '{schema}' is at version {current}, newer than version {LatestVersion} these binaries know; upgrade Metering.PostgreSql on this instance.");
        }

        foreach (var (version, name, sql) in Scripts)
        {
            if (version <= current)
            {
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(sql.Replace("{schema}", quoted, StringComparison.Ordinal), transaction: transaction, commandTimeout: timeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {quoted}.schema_version (version, name) VALUES (@version, @name)", new { version, name }, transaction, timeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public static string Quote(string schema) => "\"" + schema + "\"";

    private static List<(int Version, string Name, string Sql)> LoadScripts()
    {
        var assembly = typeof(PostgreSqlSchema).Assembly;
        var scripts = new List<(int Version, string Name, string Sql)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..^".sql".Length];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add((version, name, reader.ReadToEnd()));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        return scripts;
    }
}
