using System.Globalization;
using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>
/// Creates and upgrades the schema from the versioned scripts embedded in this assembly
/// (<c>Migrations/NNNN_name.sql</c>), recording each applied version in <c>schema_version</c>.
/// </summary>
internal static class SchemaMigrator
{
    private const string ResourcePrefix = "Metering.Sqlite.Migrations.";

    private static readonly Lazy<IReadOnlyList<(int Version, string Name, string Sql)>> Scripts = new(LoadScripts);

    /// <summary>The schema version this library writes.</summary>
    public static int LatestVersion => Scripts.Value[^1].Version;

    /// <summary>
    /// Brings the database to <see cref="LatestVersion"/> in one write transaction (several processes may race:
    /// the write lock serializes them and the later ones find the work done).
    /// </summary>
    /// <exception cref="MeteringException">The database was written by a newer version of the library.</exception>
    public static void Migrate(SqliteConnection connection, string dataSource, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        connection.Execute("BEGIN IMMEDIATE");
        try
        {
            connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, script TEXT NOT NULL)");
            var current = connection.ExecuteScalar<long?>("SELECT MAX(version) FROM schema_version") ?? 0;
            if (current > LatestVersion)
            {
                throw new MeteringException(MeteringErrorCode.Configuration, string.Create(
                    CultureInfo.InvariantCulture,
                    $"The Metering database '{dataSource}' has schema version {current}, but this version of Metering.Sqlite only knows schema versions up to {LatestVersion}; upgrade the Metering.Sqlite package to open it."));
            }

            foreach (var (version, name, sql) in Scripts.Value)
            {
                if (version <= current)
                {
                    continue;
                }

                connection.Execute(sql);
                connection.Execute("INSERT INTO schema_version (version, script) VALUES (@version, @name)", new { version, name });
                if (logger is not null)
                {
                    SqliteLog.MigrationApplied(logger, dataSource, version, name);
                }
            }

            connection.Execute("COMMIT TRANSACTION");
        }
        catch
        {
            connection.Execute("ROLLBACK TRANSACTION");
            throw;
        }
    }

    private static IReadOnlyList<(int Version, string Name, string Sql)> LoadScripts()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var scripts = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture);
            scripts.Add((version, name, Read(assembly, resource)));
        }

        scripts.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        if (scripts.Count == 0)
        {
            throw new InvalidOperationException("Metering.Sqlite was built without its migration scripts (Migrations/*.sql as EmbeddedResource).");
        }

        return scripts;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
