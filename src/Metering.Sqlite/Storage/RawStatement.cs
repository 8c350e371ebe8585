using System.Globalization;
using Metering.Sqlite.Serialization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Metering.Sqlite.Storage;

/// <summary>
/// A statement of the writer's hot path (what runs per record or per closed period: usage insert, key lookup, aggregate
/// and ledger writes, invoice and subscription writes), compiled once and driven through the native
/// API: bind, step, reset. It skips the per-execution work of an ADO.NET command (data reader, parameter inference,
/// string marshalling) that costs more than SQLite's own work for a one-row insert. The hot reads (current usage and
/// preview: subscription, aggregates, ledger) run as raw statements too, cached per connection by
/// <see cref="StatementCache.Raw"/>: step with <see cref="Read"/>, read columns, then <see cref="Reset"/>.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement));
    }

    public void Bind(int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text(_statement, index, value));

    public void Bind(int index, ReadOnlySpan<byte> blob) => Check(raw.sqlite3_bind_blob(_statement, index, blob));

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void Bind(int index, long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));

    /// <summary>Binds the canonical decimal text (invariant, every digit and the scale kept) without allocating.</summary>
    public void Bind(int index, decimal value)
    {
        Span<byte> utf8 = stackalloc byte[48];
        if (!value.TryFormat(utf8, out int written, default, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"Decimal {value} did not fit its text buffer.");
        }

        Check(raw.sqlite3_bind_text(_statement, index, utf8[..written]));
    }

    /// <summary>Steps to the next row: true when there is one, false when the rows are done. Call <see cref="Reset"/> after.</summary>
    public bool Read()
    {
        int result = raw.sqlite3_step(_statement);
        return result switch
        {
            raw.SQLITE_ROW => true,
            raw.SQLITE_DONE => false,
            _ => throw Error(result),
        };
    }

    /// <summary>Ends a run of <see cref="Read"/> so the statement holds no snapshot and can run again.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    /// <summary>Whether the current row's column is NULL.</summary>
    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    /// <summary>The current row's column as an integer.</summary>
    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>The current row's column as text.</summary>
    public string GetString(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    /// <summary>The column's text as UTF-8 bytes, valid until the next <see cref="Read"/> or <see cref="Reset"/>.</summary>
    public ReadOnlySpan<byte> GetUtf8(int column) => raw.sqlite3_column_blob(_statement, column);

    /// <summary>The current row's column, canonical decimal text, parsed without an intermediate string.</summary>
    public decimal GetDecimal(int column) => SqliteValues.Decimal(raw.sqlite3_column_blob(_statement, column));

    /// <summary>Runs the statement (which returns no rows) and returns the number of rows it changed.</summary>
    public int Execute()
    {
        int result = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
        {
            throw Error(result);
        }

        return raw.sqlite3_changes(_db);
    }

    /// <summary>Runs the statement and returns the first column of its first row as an integer (null when no row or NULL).</summary>
    public long? ExecuteInt64()
    {
        int result = raw.sqlite3_step(_statement);
        try
        {
            if (result == raw.SQLITE_ROW)
            {
                return raw.sqlite3_column_type(_statement, 0) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(_statement, 0);
            }

            if (result != raw.SQLITE_DONE)
            {
                throw Error(result);
            }

            return null;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw Error(result);
        }
    }

    private SqliteException Error(int result) =>
        new(raw.sqlite3_errmsg(_db).utf8_to_string(), result, raw.sqlite3_extended_errcode(_db));
}
