using System.Threading.Channels;
using Metering.Storage;
using Npgsql;

namespace Metering.PostgreSql;

/// <summary>
/// Group commit for single-record appends: concurrent callers queue their record, a few writer loops each take
/// everything queued (up to a limit) and append it in one transaction, then complete each caller with its own
/// outcome. Nothing waits for a batch to fill: under light load a record is written alone at once; under heavy
/// load records pile up while a transaction is in flight and share the next one. Each writer owns the subscriptions
/// that hash to it, so concurrent group transactions of one instance never wait for each other's row locks.
/// A writer keeps its connection while records keep coming (no pool round trip or session reset per group) and gives
/// it back to the pool when its queue runs dry. Callers are completed off the writer loop, a few work items per
/// group rather than one per caller, so the loop starts the next transaction at once and the thread pool is not
/// woken once per record.
/// </summary>
internal sealed class UsageWriter : IAsyncDisposable
{
    // Callers completed by one work item (their continuations run one after the other on it).
    private const int CallersPerCompletionItem = 16;

    private readonly Channel<Pending>[] _queues;
    private readonly Func<PreparedUsage[], UsageOutcome[], WriterConnection?, CancellationToken, Task> _append;
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _maxBatch;
    private readonly int _maxCompletionItems;
    private readonly Task[] _loops;

    public UsageWriter(NpgsqlDataSource dataSource, Func<PreparedUsage[], UsageOutcome[], WriterConnection?, CancellationToken, Task> append, int maxBatch, int writers)
    {
        _dataSource = dataSource;
        _append = append;
        _maxBatch = maxBatch;
        _maxCompletionItems = Math.Max(1, Environment.ProcessorCount);
        _queues = new Channel<Pending>[writers];
        _loops = new Task[writers];
        for (int i = 0; i < writers; i++)
        {
            var queue = _queues[i] = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
            _loops[i] = Task.Run(() => RunAsync(queue.Reader));
        }
    }

    /// <summary>Queues <paramref name="item"/>; completes with its outcome once the transaction holding it committed.</summary>
    public Task<UsageOutcome> AppendAsync(in PreparedUsage item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(item, cancellationToken);
        var queue = _queues[unchecked((uint)StringComparer.Ordinal.GetHashCode(item.SubscriptionId)) % (uint)_queues.Length];
        if (!queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(PostgreSql.PostgreSqlMeteringStore), "The PostgreSQL metering store has been disposed; usage can no longer be recorded through it.");
        }

        // A caller that gives up stops waiting; its record may still be stored, and a retry with the same key is a Duplicate.
        return cancellationToken.CanBeCanceled ? pending.Task.WaitAsync(cancellationToken) : pending.Task;
    }

    /// <summary>Stops taking records, writes what is queued and waits for the writer loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await BeginDispose().ConfigureAwait(false);
    }

    /// <summary>Stops taking records; the loops write what is queued and end. The returned task completes when they have.</summary>
    public Task BeginDispose()
    {
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }

        return Task.WhenAll(_loops);
    }

    private async Task RunAsync(ChannelReader<Pending> reader)
    {
        var batch = new List<Pending>(Math.Min(_maxBatch, 1_024));
        var connection = new WriterConnection(_dataSource);
        try
        {
            while (true)
            {
                if (!reader.TryPeek(out _))
                {
                    // Idle: the connection goes back to the pool until records come again.
                    await connection.ReleaseAsync().ConfigureAwait(false);
                    if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                    {
                        return;
                    }
                }

                batch.Clear();
                while (batch.Count < _maxBatch && reader.TryRead(out var pending))
                {
                    if (pending.CancellationToken.IsCancellationRequested)
                    {
                        pending.Canceled = true;
                        Complete([pending]);
                        continue;
                    }

                    batch.Add(pending);
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                var group = batch.ToArray();
                var items = new PreparedUsage[group.Length];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = group[i].Item;
                }

                var outcomes = new UsageOutcome[items.Length];
                try
                {
                    await _append(items, outcomes, connection, CancellationToken.None).ConfigureAwait(false);
                    for (int i = 0; i < group.Length; i++)
                    {
                        group[i].Outcome = outcomes[i];
                    }
                }
                catch (Exception e) when (IsConnectionFailure(e))
                {
                    // The server or the network is gone: retrying each record alone would wait out a connect timeout
                    // per record. Fail the whole group now; the next group opens a fresh connection.
                    await connection.ReleaseAsync().ConfigureAwait(false);
                    foreach (var pending in group)
                    {
                        pending.Error = e;
                    }
                }
                catch (Exception) when (group.Length > 1)
                {
                    // One record that breaks the transaction must not fail the others: append each alone.
                    foreach (var pending in group)
                    {
                        await AppendAloneAsync(pending, connection).ConfigureAwait(false);
                    }
                }
                catch (Exception e)
                {
                    // The transaction failed (and was rolled back, unless the connection broke during the commit): the
                    // caller gets the error and may retry with the same key, which is a Duplicate if the record was stored.
                    group[0].Error = e;
                }

                Complete(group);
            }
        }
        finally
        {
            await connection.ReleaseAsync().ConfigureAwait(false);
        }
    }

    private async Task AppendAloneAsync(Pending pending, WriterConnection connection)
    {
        var outcome = new UsageOutcome[1];
        try
        {
            await _append([pending.Item], outcome, connection, CancellationToken.None).ConfigureAwait(false);
            pending.Outcome = outcome[0];
        }
        catch (Exception e)
        {
            pending.Error = e;
        }
    }

    // A transient NpgsqlException that is not a server error is a network or connect failure (a server error leaves the connection usable).
    private static bool IsConnectionFailure(Exception e) =>
        e is NpgsqlException { IsTransient: true } and not PostgresException || e.InnerException is System.Net.Sockets.SocketException;

    // Continuations of the callers run on a few thread-pool work items, never on the writer loop.
    private void Complete(Pending[] group)
    {
        int items = Math.Clamp((group.Length + CallersPerCompletionItem - 1) / CallersPerCompletionItem, 1, _maxCompletionItems);
        for (int k = 0; k < items; k++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(new Completion(group, group.Length * k / items, group.Length * (k + 1) / items), preferLocal: false);
        }
    }

    private sealed class Completion(Pending[] group, int from, int to) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            for (int i = from; i < to; i++)
            {
                group[i].Finish();
            }
        }
    }

    private sealed class Pending(PreparedUsage item, CancellationToken cancellationToken) : TaskCompletionSource<UsageOutcome>
    {
        public PreparedUsage Item { get; } = item;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public UsageOutcome Outcome { get; set; }

        public Exception? Error { get; set; }

        public bool Canceled { get; set; }

        public void Finish()
        {
            if (Canceled)
            {
                TrySetCanceled(CancellationToken);
            }
            else if (Error is { } error)
            {
                TrySetException(error);
            }
            else
            {
                TrySetResult(Outcome);
            }
        }
    }
}

/// <summary>The connection a group-commit writer keeps between its transactions (opened on first use).</summary>
internal sealed class WriterConnection(NpgsqlDataSource dataSource)
{
    private NpgsqlConnection? _connection;

    /// <summary>The open connection, opened from the pool when the writer holds none (or its last one broke).</summary>
    public async ValueTask<NpgsqlConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open)
        {
            return open;
        }

        await ReleaseAsync().ConfigureAwait(false);
        _connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return _connection;
    }

    /// <summary>Gives the connection back to the pool (or drops a broken one).</summary>
    public async ValueTask ReleaseAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
