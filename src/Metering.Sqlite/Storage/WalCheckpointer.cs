using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>
/// Copies the write-ahead log back into the database file on its own connection, so the writer never pays for a
/// checkpoint (and its fsync) inside a commit. The writer turns SQLite's automatic checkpoint off and signals this
/// checkpointer every few thousand pages; a PASSIVE checkpoint never blocks the writer or the readers.
/// </summary>
internal sealed class WalCheckpointer : IAsyncDisposable
{
    /// <summary>Pages written to the log between two checkpoints (about 16 MB with 4 KiB pages).</summary>
    public const int PagesBetweenCheckpoints = 4096;

    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly SqliteConnection _connection;
    private readonly Task _loop;

    public WalCheckpointer(SqliteConnection connection)
    {
        _connection = connection;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Asks for a checkpoint; signals that arrive while one runs are merged into the next.</summary>
    public void Signal() => _signals.Writer.TryWrite(true);

    public async ValueTask DisposeAsync()
    {
        _signals.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        try
        {
            using var checkpoint = _connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            while (await _signals.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                _signals.Reader.TryRead(out _);
                try
                {
                    checkpoint.ExecuteNonQuery();
                }
                catch (SqliteException)
                {
                    // A checkpoint that cannot run now (busy, I/O) is retried on the next signal; the log only grows meanwhile.
                }
            }
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
