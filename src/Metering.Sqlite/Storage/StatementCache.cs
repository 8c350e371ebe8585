using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>
/// Statements compiled once per connection and reused: ADO.NET commands (<see cref="Get"/>: reads, catalog and customer
/// writes, the writer's transaction control) and, for the hot current-usage read, <see cref="RawStatement"/>s
/// (<see cref="Raw"/>). A query then costs bind and step instead of a fresh <c>sqlite3_prepare</c>, which costs more
/// than SQLite's own work for a one-row lookup. A connection is only ever used by one thread at a time (the writer's,
/// or a rented read connection), so its cache needs no lock.
/// </summary>
/// <remarks>
/// When an ADO.NET command finds the database locked by another process after <c>busy_timeout</c>, Microsoft.Data.Sqlite
/// retries it until the command timeout. The writer's <c>BEGIN IMMEDIATE</c> relies on that, so it runs as a command.
/// The raw reads need no such retry: in WAL mode a reader takes no lock another process's writer can hold against it,
/// and a read transaction's <c>BEGIN DEFERRED</c> takes none at all; SQLite's own busy handler covers the rest.
/// </remarks>
internal static class StatementCache
{
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Caches = new();
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, RawStatement>> RawCaches = new();

    /// <summary>
    /// The <see cref="RawStatement"/> for <paramref name="sql"/> on <paramref name="connection"/>, compiled once: for
    /// the hot reads, where an ADO.NET command's per-run work (reader, parameter binding, string conversions) costs more
    /// than SQLite's lookup. Whoever disposes the connection calls <see cref="Release"/> first.
    /// </summary>
    public static RawStatement Raw(SqliteConnection connection, string sql)
    {
        var statements = RawCaches.GetValue(connection, static _ => new Dictionary<string, RawStatement>(StringComparer.Ordinal));
        if (!statements.TryGetValue(sql, out var statement))
        {
            statement = new RawStatement(connection, sql);
            statements[sql] = statement;
        }

        return statement;
    }

    /// <summary>Finalizes the raw statements of a connection about to be disposed.</summary>
    public static void Release(SqliteConnection connection)
    {
        if (RawCaches.TryGetValue(connection, out var statements))
        {
            foreach (var statement in statements.Values)
            {
                statement.Dispose();
            }

            RawCaches.Remove(connection);
        }
    }

    /// <summary>
    /// The prepared command for <paramref name="sql"/> on <paramref name="connection"/>, with one parameter per name in
    /// <paramref name="parameterNames"/> (set their values by position before each run). Dispose the readers it returns,
    /// never the command: it belongs to the connection and dies with it.
    /// </summary>
    public static SqliteCommand Get(SqliteConnection connection, string sql, params ReadOnlySpan<string> parameterNames)
    {
        var commands = Caches.GetValue(connection, static _ => new Dictionary<string, SqliteCommand>(StringComparer.Ordinal));
        if (commands.TryGetValue(sql, out var command))
        {
            return command;
        }

        command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = DBNull.Value;
            command.Parameters.Add(parameter);
        }

        command.Prepare();
        commands[sql] = command;
        return command;
    }

    /// <summary>Sets the parameters by position (null as SQL NULL) and returns the command.</summary>
    public static SqliteCommand With(this SqliteCommand command, params ReadOnlySpan<object?> values)
    {
        var parameters = command.Parameters;
        for (int i = 0; i < values.Length; i++)
        {
            parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return command;
    }

    /// <summary>Runs the command and returns the first column of each row as text (nulls skipped).</summary>
    public static List<string> Strings(this SqliteCommand command)
    {
        var result = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!reader.IsDBNull(0))
            {
                result.Add(reader.GetString(0));
            }
        }

        return result;
    }

    /// <summary>Runs the command and returns the first column of the first row as text, or null.</summary>
    public static string? FirstString(this SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0) ? reader.GetString(0) : null;
    }
}
