namespace Metering.Storage;

/// <summary>
/// Optional part of a store: tells in-process waiters that events were committed, so the dispatcher delivers at once
/// instead of at its next poll. Stores whose events may be committed by other processes still rely on polling for those.
/// </summary>
public interface IEventLogSignal
{
    /// <summary>
    /// A task that completes the next time events are committed after this call. Take it before reading the log, so an
    /// event committed between the read and the wait is not missed.
    /// </summary>
    Task NextEventsCommitted { get; }
}

/// <summary>The signal stores use to implement <see cref="IEventLogSignal"/>: <see cref="Pulse"/> after each commit that stored events.</summary>
public sealed class EventLogSignal : IEventLogSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc/>
    public Task NextEventsCommitted => Volatile.Read(ref _next).Task;

    /// <summary>Completes the current waiters' task and starts a new one (call after the commit, never before).</summary>
    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
