using System.Threading.Channels;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Metering.Sqlite.Storage;

/// <summary>
/// Copies the write-ahead log back into the database file on its own connection, so the writer never pays for a
/// checkpoint (and its fsync) inside a commit. The writer turns SQLite's automatic checkpoint off and signals this
/// checkpointer every <see cref="PagesBetweenCheckpoints"/> pages; a PASSIVE checkpoint never blocks the writer or the
/// readers.
/// </summary>
/// <remarks>
/// A PASSIVE checkpoint alone does not bound the log's file. SQLite writes the log from its start again only when a
/// write transaction begins on a log that is wholly checkpointed; under sustained writes the writer always begins
/// before the checkpoint running beside it ends, so the log only grows (1.1 GB beside a 228 MB database after the
/// load runner's 100,000-subscription month) and keeps that size. Once a PASSIVE checkpoint finds the log past
/// <see cref="SqliteStoreOptions.WalSizeLimit"/>, the writer therefore runs a RESTART checkpoint between two groups
/// (<see cref="RestartLogIfDue"/>, after their callers are answered): it copies what the PASSIVE one left (the last few
/// groups) and waits for readers of the log to finish, so the writer's next transaction writes the log from its start
/// and truncates its file to the limit (<c>journal_size_limit</c>). Run from the checkpointer's connection instead, it
/// would starve: the writer takes the write lock again the moment it commits. Until the writer has run it, this
/// checkpointer runs no PASSIVE checkpoint: at a high write rate they run back to back and the writer would never find
/// the checkpoint lock free. When it finds the log past its limit, the checkpointer also tries the RESTART itself at
/// once, waiting for nothing: that succeeds when the writer is idle (the log passed its limit with the last group), and
/// fails at once, leaving it to the writer, when not. It waits for readers at most
/// <see cref="RestartWait"/>; one that cannot complete sooner (a long read transaction, another process's writer) gives
/// up and is tried again once the log has grown by another limit, so a long reader holds the writer up at most once per
/// limit of writes; a log past twice its limit is logged once (event 4012) until it is back under its limit.
/// </remarks>
internal sealed class WalCheckpointer : IAsyncDisposable
{
    /// <summary>Most pages written to the log between two checkpoints (about 4 MB with the store's 1 KiB pages).</summary>
    public const int MaxPagesBetweenCheckpoints = 4096;

    /// <summary>The longest the writer's RESTART checkpoint waits for readers of the log (the writer waits with it).</summary>
    public static readonly TimeSpan RestartWait = TimeSpan.FromMilliseconds(250);

    // A log frame is its page plus a 24-byte header; the log starts with a 32-byte header.
    private const int FrameHeaderBytes = 24;
    private const int LogHeaderBytes = 32;

    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly SqliteConnection _connection;
    private readonly long _walSizeLimit;
    private readonly int _pageSize;
    private readonly ILogger _logger;
    private readonly TimeSpan _busyTimeout;
    private readonly Task _loop;
    private readonly Lock _gate = new();

    // Held while a checkpoint runs (the PASSIVE ones or the writer's RESTART): two at once would make one of them busy.
    private readonly Lock _checkpointing = new();

    // Under _gate: the log's size at the last PASSIVE checkpoint, the size past which the writer restarts it (the limit,
    // or the limit past the size at a restart that could not complete), the frames of the log the last RESTART copied,
    // and whether the log's warning was logged.
    private long _logBytes;
    private long _restartAt;
    private long _restartedLogFrames = -1;
    private bool _warned;
    private volatile bool _restartDue;

    /// <summary>Starts checkpointing on <paramref name="connection"/> (open, on the migrated database).</summary>
    public WalCheckpointer(SqliteConnection connection, SqliteStoreOptions options, ILogger logger)
    {
        _connection = connection;
        _walSizeLimit = options.WalSizeLimit;
        _logger = logger;
        _pageSize = connection.ExecuteScalar<int>("PRAGMA page_size");
        // This connection never waits for a lock: its RESTART attempts give way to the writer and to readers at once.
        connection.Execute("PRAGMA busy_timeout = 0");
        _restartAt = _walSizeLimit;
        _busyTimeout = options.BusyTimeout;
        PagesBetweenCheckpoints = (int)Math.Clamp(_walSizeLimit / (_pageSize + FrameHeaderBytes) / 4, 64, MaxPagesBetweenCheckpoints);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Pages the writer writes to the log between two signals: a quarter of the log's limit, at most
    /// <see cref="MaxPagesBetweenCheckpoints"/>, so the log is checked well before it passes its limit.
    /// </summary>
    public int PagesBetweenCheckpoints { get; }

    /// <summary>Test hook: runs inside each PASSIVE checkpoint (a delay stands for a slow disk).</summary>
    internal Action? DuringPassive { get; set; }

    /// <summary>
    /// On the writer's connection, between two groups: when the log is past its limit, a RESTART checkpoint, waiting
    /// at most <see cref="RestartWait"/> for readers (the connection's own busy timeout is put back after).
    /// </summary>
    public void RestartLogIfDue(SqliteConnection writer)
    {
        if (!_restartDue || !_checkpointing.TryEnter())
        {
            // Not due, or a PASSIVE checkpoint is running: tried again after the next group.
            return;
        }

        long logBytes;
        lock (_gate)
        {
            (_restartDue, logBytes) = (false, _logBytes);
        }

        bool busy, retry = false;
        long logFrames = 0;
        var wait = _busyTimeout < RestartWait ? _busyTimeout : RestartWait;
        SQLitePCL.raw.sqlite3_busy_timeout(writer.Handle, (int)wait.TotalMilliseconds);
        try
        {
            using var restart = writer.CreateCommand();
            restart.CommandText = "PRAGMA wal_checkpoint(RESTART)";
            (busy, logFrames) = Checkpoint(restart);
        }
        catch (SqliteException)
        {
            // Another process's checkpoint holds the checkpoint lock, or an I/O error: tried again after the next group.
            (busy, retry) = (true, true);
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(writer.Handle, (int)_busyTimeout.TotalMilliseconds);
            _checkpointing.Exit();
        }

        lock (_gate)
        {
            if (retry)
            {
                _restartDue = true;
                return;
            }

            if (!busy)
            {
                Restarted(logFrames);
                return;
            }

            _restartAt = logBytes + _walSizeLimit;
            if (_warned || logBytes <= 2 * _walSizeLimit)
            {
                return;
            }

            _warned = true;
        }

        SqliteLog.WalRestartDeferred(_logger, _connection.DataSource, logBytes, _walSizeLimit);
    }

    /// <summary>Under <c>_gate</c>: a RESTART copied the log of <paramref name="logFrames"/> frames whole.</summary>
    private void Restarted(long logFrames) =>
        (_restartDue, _restartAt, _warned, _restartedLogFrames) = (false, _walSizeLimit, false, logFrames);

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
            using var passive = _connection.CreateCommand();
            passive.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            using var restartNow = _connection.CreateCommand();
            restartNow.CommandText = "PRAGMA wal_checkpoint(RESTART)";
            while (await _signals.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                _signals.Reader.TryRead(out _);
                if (_restartDue)
                {
                    // The writer's RESTART after its next group copies everything; a PASSIVE run now would only make it
                    // wait (under sustained writes the signals come as fast as PASSIVE checkpoints end).
                    continue;
                }

                try
                {
                    long logFrames;
                    lock (_checkpointing)
                    {
                        DuringPassive?.Invoke();
                        logFrames = Checkpoint(passive).LogFrames;
                    }

                    long logBytes = LogHeaderBytes + (logFrames * (long)(_pageSize + FrameHeaderBytes));
                    lock (_gate)
                    {
                        _logBytes = logBytes;
                        if (logBytes <= _walSizeLimit)
                        {
                            (_restartAt, _warned) = (_walSizeLimit, false);
                        }

                        // The log a RESTART just copied whole stays as long as it was until the writer's next commit
                        // starts it again: not a log to restart twice.
                        _restartDue = logBytes > _restartAt && logFrames != _restartedLogFrames;
                    }

                    if (_restartDue)
                    {
                        // When the log passed its limit with the writer's last group, no group follows to restart it, and
                        // its uncopied tail would stay for every read to look pages up in. So try at once, without
                        // waiting (busy timeout 0): while the writer is busy this fails at once and the writer does it.
                        lock (_checkpointing)
                        {
                            (bool busy, logFrames) = Checkpoint(restartNow);
                            if (!busy)
                            {
                                lock (_gate)
                                {
                                    Restarted(logFrames);
                                }
                            }
                        }
                    }
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

    /// <summary>Runs a <c>wal_checkpoint</c> pragma: whether it was kept from completing, and the frames in the log.</summary>
    private static (bool Busy, long LogFrames) Checkpoint(SqliteCommand checkpoint)
    {
        using var result = checkpoint.ExecuteReader();
        return result.Read() ? (result.GetInt64(0) != 0, result.GetInt64(1)) : (false, 0);
    }
}
