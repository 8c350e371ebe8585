using Microsoft.Extensions.Logging;

namespace Metering.Sqlite;

/// <summary>Log messages of the SQLite store (event ids 4000-4099; a public contract, listed in README).</summary>
internal static partial class SqliteLog
{
    [LoggerMessage(4001, LogLevel.Information, "SQLite store '{DataSource}' opened at schema version {SchemaVersion}.")]
    public static partial void Opened(ILogger logger, string dataSource, int schemaVersion);

    [LoggerMessage(4002, LogLevel.Information, "SQLite store '{DataSource}': applied migration {Version} ({Script}).")]
    public static partial void MigrationApplied(ILogger logger, string dataSource, int version, string script);

    [LoggerMessage(4003, LogLevel.Error, "SQLite store '{DataSource}' could not open or migrate the database.")]
    public static partial void OpenFailed(ILogger logger, Exception exception, string dataSource);

    [LoggerMessage(4010, LogLevel.Error, "SQLite writer of '{DataSource}' failed a whole transaction of {Requests} requests ({ConsecutiveGroups} in a row); the callers got the error, nothing of it was stored, the writer goes on.")]
    public static partial void WriterFaulted(ILogger logger, Exception exception, string dataSource, int requests, int consecutiveGroups);

    [LoggerMessage(4011, LogLevel.Information, "SQLite writer of '{DataSource}' committed again after {ConsecutiveGroups} failed transactions.")]
    public static partial void WriterRecovered(ILogger logger, string dataSource, int consecutiveGroups);

    [LoggerMessage(4012, LogLevel.Warning, "SQLite checkpointer of '{DataSource}' could not restart the write-ahead log at {LogBytes} bytes (limit {WalSizeLimit}): a read transaction or another process's writer held it past the wait; the log grows until a later attempt succeeds.")]
    public static partial void WalRestartDeferred(ILogger logger, string dataSource, long logBytes, long walSizeLimit);
}
