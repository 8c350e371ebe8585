namespace Metering;

/// <summary>
/// Records usage as billable things happen. Idempotent by the record's key: a retry with the same
/// key and content is a <c>Duplicate</c> (counted once), the same key with other content a
/// <c>Conflict</c>. Expected rejections are returned as outcomes, never thrown.
/// </summary>
public interface IUsageRecorder
{
    /// <summary>Records one usage record; the returned task completes once the outcome is durable in the store.</summary>
    ValueTask<UsageOutcome> RecordAsync(UsageRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a batch: each item gets its own outcome (same order as the input); the valid ones are
    /// stored, the invalid ones reported, and no item is half-stored.
    /// </summary>
    ValueTask<IReadOnlyList<UsageOutcome>> RecordBatchAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken = default);
}
