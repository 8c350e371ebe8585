namespace Metering;

/// <summary>Lifecycle of a stored invoice: <c>Draft</c> -&gt; <c>Finalized</c> -&gt; <c>Paid</c> | <c>Void</c> | <c>Uncollectible</c>.</summary>
public enum InvoiceStatus
{
    /// <summary>Held for manual approval; can still be voided or approved.</summary>
    Draft,

    /// <summary>Final and due.</summary>
    Finalized,

    /// <summary>Paid.</summary>
    Paid,

    /// <summary>Canceled; never to be paid.</summary>
    Void,

    /// <summary>Payment failed and was given up on.</summary>
    Uncollectible,
}

/// <summary>Why an invoice was created.</summary>
public enum InvoiceReason
{
    /// <summary>A billing period ended.</summary>
    PeriodEnd,

    /// <summary>The plan changed mid-period; the running period was invoiced on the old plan.</summary>
    PlanChange,

    /// <summary>The subscription was canceled immediately.</summary>
    Cancellation,

    /// <summary>
    /// Usage was backfilled into an already invoiced period: the invoice bills the difference between the period's
    /// corrected usage and what its invoices billed already (see <c>Invoice.AdjustsInvoiceId</c>).
    /// </summary>
    Adjustment,
}
