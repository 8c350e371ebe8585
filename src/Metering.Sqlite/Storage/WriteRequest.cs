namespace Metering.Sqlite.Storage;

/// <summary>
/// One caller's write, queued for the writer. It runs inside the writer's group transaction; its caller is told the
/// result only after COMMIT (or the error that stopped it).
/// </summary>
internal abstract class WriteRequest(int weight, bool usesSavepoint, CancellationToken cancellationToken)
{
    private Exception? _failure;

    /// <summary>The caller's token: a request still queued when it fires is dropped, never half-run.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>How much of a group's <see cref="SqliteStoreOptions.MaxBatchSize"/> it takes (records for usage).</summary>
    public int Weight { get; } = weight;

    /// <summary>True when it runs caller code (a decision callback) that may throw: it gets its own SAVEPOINT.</summary>
    public bool UsesSavepoint { get; } = usesSavepoint;

    /// <summary>Runs the write on the writer's connection, inside the group transaction.</summary>
    public abstract void Execute(SqliteWriter writer);

    /// <summary>Forgets a failure recorded in an attempt that was rolled back as a whole.</summary>
    public void Reset() => _failure = null;

    /// <summary>Records that this request alone failed (its savepoint was rolled back); reported after COMMIT.</summary>
    public void MarkFailed(Exception exception) => _failure = exception;

    /// <summary>After COMMIT: reports the result, or the failure recorded by <see cref="MarkFailed"/>.</summary>
    public void Complete()
    {
        if (_failure is { } failure)
        {
            Fail(failure);
        }
        else
        {
            Succeed();
        }
    }

    /// <summary>Fails the caller's task.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Cancels the caller's task (the request was never run).</summary>
    public abstract void Cancel();

    protected abstract void Succeed();
}

/// <summary>A write whose work is a delegate returning <typeparamref name="T"/>.</summary>
internal sealed class WriteRequest<T>(Func<SqliteWriter, T> work, int weight, bool usesSavepoint, CancellationToken cancellationToken)
    : WriteRequest(weight, usesSavepoint, cancellationToken)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _completion.Task;

    public override void Execute(SqliteWriter writer) => _result = work(writer);

    public override void Fail(Exception exception) => _completion.TrySetException(exception);

    public override void Cancel() => _completion.TrySetCanceled(CancellationToken);

    protected override void Succeed() => _completion.TrySetResult(_result!);
}
