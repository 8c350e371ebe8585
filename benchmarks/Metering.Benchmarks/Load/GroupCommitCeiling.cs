using System.Diagnostics;
using System.Threading.Channels;

namespace Metering.Benchmarks.Load;

/// <summary>
/// A store whose load target also measures the second ceiling: the plainest group commit with our ack contract
/// (P producers, each awaiting a durable commit of its own record, one at a time).
/// </summary>
public interface IGroupCommitCeiling
{
    /// <summary>What the group-commit ceiling measures, as printed in the report.</summary>
    string GroupCommitDescription { get; }

    /// <summary>
    /// Writes the same records as the recorder run through a plain group-commit writer, one producer task per array,
    /// each awaiting its own record's commit; into a fresh database of the store's schema. Must not touch the
    /// Metering store of the recorder run.
    /// </summary>
    ValueTask<CeilingRun> GroupCommitCeilingAsync(IReadOnlyList<UsageRecord[]> recordsPerProducer, CancellationToken cancellationToken);
}

/// <summary>What a group-commit ceiling run wrote, how long it took, and what it cost this process.</summary>
/// <param name="Records">Records committed.</param>
/// <param name="Elapsed">Wall time from releasing the producers to the last ack.</param>
/// <param name="Groups">Transactions committed (records / groups = mean group size).</param>
/// <param name="ProcessCpu">This process's CPU time over the run (both user and kernel, all threads).</param>
public readonly record struct CeilingRun(long Records, TimeSpan Elapsed, long Groups, TimeSpan ProcessCpu)
{
    /// <summary>Records per second.</summary>
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    /// <summary>Mean records per transaction.</summary>
    public double MeanGroup => Groups == 0 ? 0 : Records / (double)Groups;

    /// <summary>Process CPU microseconds per record.</summary>
    public double CpuMicrosecondsPerRecord => ProcessCpu.TotalMicroseconds / Records;
}

/// <summary>
/// The plainest group commit: callers enqueue a record with a <see cref="TaskCompletionSource"/> and await it; W writer
/// tasks each take what is queued (at least one, at most <c>maxGroup</c>), commit it in one transaction, then complete
/// every caller of the group. No batching window, no timers: the group is whatever queued during the previous commit.
/// </summary>
public static class GroupCommit
{
    /// <summary>Runs the producers against <paramref name="writers"/> writer tasks that each call <paramref name="commit"/> with their writer index and a drained group.</summary>
    public static async Task<CeilingRun> RunAsync(
        IReadOnlyList<UsageRecord[]> recordsPerProducer,
        int writers,
        int maxGroup,
        Func<int, IReadOnlyList<UsageRecord>, CancellationToken, ValueTask> commit,
        CancellationToken cancellationToken)
    {
        var queue = Channel.CreateUnbounded<(UsageRecord Record, TaskCompletionSource Done)>(new UnboundedChannelOptions { SingleReader = writers == 1 });
        long groups = 0;
        var writerTasks = Enumerable.Range(0, writers).Select(w => Task.Run(
            async () =>
            {
                var records = new List<UsageRecord>(maxGroup);
                var waiters = new List<TaskCompletionSource>(maxGroup);
                while (await queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (records.Count < maxGroup && queue.Reader.TryRead(out var item))
                    {
                        records.Add(item.Record);
                        waiters.Add(item.Done);
                    }

                    if (records.Count == 0)
                    {
                        continue;
                    }

                    try
                    {
                        await commit(w, records, cancellationToken).ConfigureAwait(false);
                        Interlocked.Increment(ref groups);
                        foreach (var waiter in waiters)
                        {
                            waiter.SetResult();
                        }
                    }
                    catch (Exception e)
                    {
                        foreach (var waiter in waiters)
                        {
                            waiter.SetException(e);
                        }
                    }

                    records.Clear();
                    waiters.Clear();
                }
            },
            cancellationToken)).ToArray();

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var producers = recordsPerProducer.Select(mine => Task.Run(
            async () =>
            {
                await start.Task.ConfigureAwait(false);
                foreach (var record in mine)
                {
                    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await queue.Writer.WriteAsync((record, done), cancellationToken).ConfigureAwait(false);
                    await done.Task.ConfigureAwait(false);
                }
            },
            cancellationToken)).ToArray();

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long started = Stopwatch.GetTimestamp();
        start.SetResult();
        await Task.WhenAll(producers).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        queue.Writer.Complete();
        await Task.WhenAll(writerTasks).ConfigureAwait(false);
        return new CeilingRun(recordsPerProducer.Sum(r => (long)r.Length), elapsed, groups, cpu);
    }
}
