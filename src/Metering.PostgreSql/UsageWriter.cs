using System.Threading.Channels;
using Metering.Storage;

namespace Metering.PostgreSql;

/// <summary>
/// Group commit for single-record appends: concurrent callers queue their record, a few writer loops each take
/// everything queued (up to a limit) and append it in one transaction, then complete each caller with its own
/// outcome. Nothing waits for a batch to fill: under light load a record is written alone at once; under heavy
/// load records pile up while a transaction is in flight and share the next one. Each writer owns the subscriptions
/// that hash to it, so concurrent group transactions of one instance never wait for each other's row locks.
/// </summary>
internal sealed class UsageWriter : IAsyncDisposable
{
    private readonly Channel<Pending>[] _queues;
    private readonly Func<PreparedUsage[], UsageOutcome[], CancellationToken, Task> _append;
    private readonly int _maxBatch;
    private readonly Task[] _loops;

    public UsageWriter(Func<PreparedUsage[], UsageOutcome[], CancellationToken, Task> append, int maxBatch, int writers)
    {
        _append = append;
        _maxBatch = maxBatch;
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
        return cancellationToken.CanBeCanceled ? pending.Completion.Task.WaitAsync(cancellationToken) : pending.Completion.Task;
    }

    /// <summary>Stops taking records, writes what is queued and waits for the writer loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    private async Task RunAsync(ChannelReader<Pending> reader)
    {
        var batch = new List<Pending>(_maxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var pending))
            {
                if (pending.CancellationToken.IsCancellationRequested)
                {
                    pending.Completion.TrySetCanceled(pending.CancellationToken);
                    continue;
                }

                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            var items = new PreparedUsage[batch.Count];
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = batch[i].Item;
            }

            var outcomes = new UsageOutcome[items.Length];
            try
            {
                await _append(items, outcomes, CancellationToken.None).ConfigureAwait(false);
                for (int i = 0; i < outcomes.Length; i++)
                {
                    batch[i].Completion.TrySetResult(outcomes[i]);
                }
            }
            catch (Exception) when (batch.Count > 1)
            {
                // One record that breaks the transaction must not fail the others: append each alone.
                foreach (var pending in batch)
                {
                    await AppendAloneAsync(pending).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                // The transaction failed (and was rolled back, unless the connection broke during the commit): the
                // caller gets the error and may retry with the same key, which is a Duplicate if the record was stored.
                batch[0].Completion.TrySetException(e);
            }
        }
    }

    private async Task AppendAloneAsync(Pending pending)
    {
        var outcome = new UsageOutcome[1];
        try
        {
            await _append([pending.Item], outcome, CancellationToken.None).ConfigureAwait(false);
            pending.Completion.TrySetResult(outcome[0]);
        }
        catch (Exception e)
        {
            pending.Completion.TrySetException(e);
        }
    }

    private sealed class Pending(PreparedUsage item, CancellationToken cancellationToken)
    {
        public PreparedUsage Item { get; } = item;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<UsageOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
