using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Tests;

/// <summary>Plain SQL on a database file, beside the store (schema and upgrade tests).</summary>
internal static class SqliteFile
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<SqliteConnection> OpenAsync(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        return connection;
    }

    public static async Task ExecuteAsync(this SqliteConnection connection, string sql)
    {
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    public static async Task<long> ScalarAsync(this SqliteConnection connection, string sql)
    {
        await using var command = new SqliteCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>The first column of every row, as text.</summary>
    public static async Task<List<string>> ColumnAsync(this SqliteConnection connection, string sql)
    {
        await using var command = new SqliteCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var values = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
