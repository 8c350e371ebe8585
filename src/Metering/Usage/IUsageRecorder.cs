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

    /// <summary>
    /// Records usage into periods that are already closed and invoiced, and bills the difference. Each record is checked
    /// as <see cref="RecordBatchAsync"/> checks it (same validation, limits and idempotency keys, shared with normal
    /// records: the same key and content is a <c>Duplicate</c>, other content a <c>Conflict</c>), but must fall in a
    /// closed period: a record for an open period is rejected as <see cref="UsageRejectionReason.PeriodNotClosed"/>
    /// (record it with <see cref="RecordAsync"/>). <see cref="RecordAsync"/> keeps rejecting closed periods as
    /// <c>PeriodClosed</c>.
    /// </summary>
    /// <remarks>
    /// <para>Then, for every closed period a record of the call is counted in, one store transaction under the
    /// subscription's lock prices the period's corrected aggregates on the plan version its invoice was billed on and
    /// subtracts what the period's invoices that are not void bill already (usage lines only; base fees are not
    /// usage): a positive difference is billed by an <see cref="InvoiceReason.Adjustment"/> invoice (id
    /// <c>{periodInvoiceId}_a{n}</c>, the next invoice number, <see cref="Invoice.AdjustsInvoiceId"/> naming the live
    /// invoice, <see cref="Invoice.AdjustmentReason"/> = <paramref name="reason"/>, no credits applied, Draft or
    /// Finalized per <see cref="MeteringOptions.InvoiceApproval"/>, InvoiceCreated/InvoiceFinalized events). Concurrent
    /// backfills of a period bill each unit exactly once: the second finds it billed. A negative difference (a cheaper
    /// volume tier, a lowered Last or Set meter) is credited in the same transaction by
    /// <see cref="CreditNoteReason.Backfill"/> credit notes on the period's latest Finalized or Paid invoices (never more
    /// than they still have creditable; the customer's balance is credited; memo = <paramref name="reason"/>; the credit note
    /// sequence; CreditNoteIssued events), returned in <see cref="BackfillPeriod.CreditNotes"/>; a Draft is not credited
    /// (regenerate it).</para>
    /// <para>The records and the adjustment are two transactions. Each period is marked pending adjustment
    /// (<see cref="Storage.IMeteringStore.MarkPendingAdjustmentsAsync"/>) before the records are appended, and its
    /// adjustment removes the marker: when a call fails between them (a crash, a canceled token), the records are stored
    /// and the period is billed by the next backfill counted in it (the same call sent again: its records are then
    /// Duplicates) or, at the latest, by the next <see cref="IPeriodCloser.CloseDueAsync"/> run once the marker is a
    /// minute old, with this call's <paramref name="reason"/>; exactly once either way.</para>
    /// <para>Not supported, rejected as <see cref="UsageRejectionReason.InvalidRecord"/>: plans that burn credits in real
    /// time, and periods billed on another plan version than the subscription's current one.</para>
    /// </remarks>
    /// <param name="records">The records, each with a timestamp in a closed period.</param>
    /// <param name="reason">Why the usage is backfilled (kept on the adjustment invoices).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One outcome per record, and how each period was settled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="records"/> is null.</exception>
    /// <exception cref="MeteringException"><paramref name="reason"/> is blank or ill-formed text (InvalidArgument).</exception>
    ValueTask<BackfillResult> BackfillAsync(IReadOnlyList<UsageRecord> records, string reason, CancellationToken cancellationToken = default);
}
