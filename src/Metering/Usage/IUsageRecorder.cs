namespace Metering;

/// <summary>
/// Records usage as billable things happen. Idempotent by the record's key: a retry with the same
/// key and content is a <c>Duplicate</c> (counted once), the same key with other content a
/// <c>Conflict</c>. Expected rejections are returned as outcomes, never thrown.
/// </summary>
/// <remarks>
/// <para>Text (ids, keys, property names and values) with a NUL or an unpaired UTF-16 surrogate is rejected as
/// <see cref="UsageRejectionReason.InvalidText"/>, and quantities beyond <see cref="MeteringLimits.MaxQuantity"/> as
/// <see cref="UsageRejectionReason.QuantityOutOfRange"/>, identically on every store.</para>
/// <para><b>Cancellation</b>: a call canceled through its token ends with an <see cref="OperationCanceledException"/>,
/// and on every store the record is then either stored exactly once or not at all (a store may already have committed
/// it when the cancellation arrived). Send the same record again with the same idempotency key to learn which:
/// <c>Duplicate</c> means it had been stored, <c>Accepted</c> that it is stored now.</para>
/// </remarks>
public interface IUsageRecorder
{
    /// <summary>Records one usage record; the returned task completes once the outcome is durable in the store.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="OperationCanceledException">Canceled; the record may or may not be stored (see remarks).</exception>
    ValueTask<UsageOutcome> RecordAsync(UsageRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a batch: each item gets its own outcome (same order as the input); the valid ones are
    /// stored, the invalid ones reported, and no item is half-stored. One bad item never affects the others.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="records"/> is null.</exception>
    /// <exception cref="OperationCanceledException">Canceled; each item may or may not be stored (see remarks).</exception>
    ValueTask<IReadOnlyList<UsageOutcome>> RecordBatchAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken = default);
}
