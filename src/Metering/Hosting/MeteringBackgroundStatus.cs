namespace Metering;

/// <summary>
/// What the background workers did last (for health checks, dashboards and tests). Registered by
/// <c>RunInBackground()</c>; thread-safe.
/// </summary>
public sealed class MeteringBackgroundStatus
{
    private readonly object _gate = new();
    private TaskCompletionSource _nextCloseRun = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _closeRuns;
    private long _creditExpiryRuns;

    /// <summary>Close runs finished so far (successful or not).</summary>
    public long CloseRuns => Interlocked.Read(ref _closeRuns);

    /// <summary>Credit-expiry runs finished so far (successful or not).</summary>
    public long CreditExpiryRuns => Interlocked.Read(ref _creditExpiryRuns);

    /// <summary>The report of the last close run that completed, or null before the first.</summary>
    public PeriodCloseReport? LastCloseReport { get; private set; }

    /// <summary>The clock's instant when the last close run finished, or null before the first.</summary>
    public Instant? LastCloseRunAt { get; private set; }

    /// <summary>Why the last close run failed as a whole (the store unreachable), or null when it completed.</summary>
    public Exception? LastCloseRunError { get; private set; }

    /// <summary>Completes once more than <paramref name="afterRuns"/> close runs have finished (e.g. <c>WaitForCloseRunAsync(status.CloseRuns)</c> for the next one).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled first.</exception>
    public async Task WaitForCloseRunAsync(long afterRuns, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_closeRuns > afterRuns)
                {
                    return;
                }

                next = _nextCloseRun.Task;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal void CloseRunFinished(Instant at, PeriodCloseReport? report, Exception? error)
    {
        TaskCompletionSource finished;
        lock (_gate)
        {
            if (report is not null)
            {
                LastCloseReport = report;
            }

            LastCloseRunAt = at;
            LastCloseRunError = error;
            _closeRuns++;
            finished = _nextCloseRun;
            _nextCloseRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        finished.TrySetResult();
    }

    internal void CreditExpiryRunFinished() => Interlocked.Increment(ref _creditExpiryRuns);
}
