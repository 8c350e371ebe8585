namespace Metering;

/// <summary>Why a credit note was issued (the reasons Stripe offers, plus <see cref="Other"/> with a memo).</summary>
public enum CreditNoteReason
{
    /// <summary>Another reason; say which in the memo.</summary>
    Other,

    /// <summary>The customer was charged twice for the same thing.</summary>
    Duplicate,

    /// <summary>The charge was fraudulent.</summary>
    Fraudulent,

    /// <summary>The order changed after it was invoiced (less delivered, a discount agreed).</summary>
    OrderChange,

    /// <summary>The customer was not satisfied with what was delivered.</summary>
    ProductUnsatisfactory,

    /// <summary>The invoice was wrong (a billing mistake, e.g. usage reported in error).</summary>
    BillingError,

    /// <summary>
    /// Usage backfilled into the closed period made it cheaper (a volume tier, a lowered Last or Set meter): issued by
    /// <c>IUsageRecorder.BackfillAsync</c> only, with the backfill's reason as the memo and the credited usage lines;
    /// the period's later adjustments count these notes as billing taken back.
    /// </summary>
    Backfill,
}

/// <summary>What a credit note gives the customer back.</summary>
public enum CreditNoteOutcome
{
    /// <summary>
    /// Money to pay back: the credit note records the refund, which the host makes through its payment provider.
    /// Only a paid invoice can be refunded.
    /// </summary>
    Refund,

    /// <summary>
    /// A credit on the customer's balance: a <see cref="CreditCategory.Paid"/> grant of the amount, in the invoice
    /// currency, added to the customer's credit ledger in the same transaction as the credit note.
    /// </summary>
    CustomerBalance,
}
