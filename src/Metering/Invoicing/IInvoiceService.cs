using Metering.Storage;

namespace Metering;

/// <summary>Thrown when an invoice cannot move to the requested status from the one it is in.</summary>
public sealed class InvalidInvoiceTransitionException : MeteringException
{
    /// <summary>Creates the exception.</summary>
    public InvalidInvoiceTransitionException(string invoiceId, InvoiceStatus from, string action, string allowedFrom)
        : base(MeteringErrorCode.InvalidState, $"Invoice '{invoiceId}' is {from}; it can be {action} only when {allowedFrom}.")
    {
        InvoiceId = invoiceId;
        From = from;
    }

    /// <summary>The invoice.</summary>
    public string InvoiceId { get; }

    /// <summary>Its status when the change was asked for.</summary>
    public InvoiceStatus From { get; }
}

/// <summary>Invoices: preview of the running period, listing, approval of drafts, voiding and payment status.</summary>
public interface IInvoiceService
{
    /// <summary>The invoice the subscription's open period would produce if it closed now (not stored).</summary>
    ValueTask<CalculatedInvoice> PreviewAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>An invoice by id, or null.</summary>
    ValueTask<Invoice?> GetAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>A customer's invoices, newest first, paginated by cursor.</summary>
    ValueTask<Page<Invoice>> ListAsync(string customerId, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every customer's invoices in <paramref name="status"/>, oldest first, paginated by cursor: the review queue of
    /// drafts held for approval (<see cref="InvoiceStatus.Draft"/>), or the invoices whose payment is due
    /// (<see cref="InvoiceStatus.Finalized"/>). An invoice that changes status while you page moves out of the list;
    /// the others keep their place.
    /// </summary>
    ValueTask<Page<Invoice>> ListByStatusAsync(InvoiceStatus status, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default);

    /// <summary>
    /// A customer's invoices, newest first, one page of <paramref name="request"/> (default 20 per page), with
    /// <see cref="Page{T}.TotalCount"/> (every invoice of the customer, void ones included) when it asks for it.
    /// </summary>
    ValueTask<Page<Invoice>> ListAsync(string customerId, PageRequest request, CancellationToken cancellationToken = default);

    /// <summary>Finalizes a draft held for manual approval.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not a draft.</exception>
    ValueTask<Invoice> ApproveAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Voids a draft or finalized invoice that has no credit notes.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is paid, void or uncollectible, or has credit notes
    /// (a credited invoice stays; credit the rest of it with another credit note instead).</exception>
    ValueTask<Invoice> VoidAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Voids an invoice and issues its replacement for the same period, atomically and exactly once (Lago's "void and
    /// regenerate"): the replacement is computed from the period's usage as it is now (so corrected usage shows), on
    /// the same plan version, service period and reason, with the next invoice number (gap-free, the same sequence),
    /// <see cref="Invoice.ReplacesInvoiceId"/> naming the voided invoice (which gets <see cref="Invoice.ReplacedByInvoiceId"/>)
    /// and status per <see cref="MeteringOptions.InvoiceApproval"/>. The credits applied to the voided invoice at
    /// invoice time are returned and the credits then available are applied to the replacement, in the same
    /// transaction. Events: <see cref="BillingEventType.InvoiceVoided"/>, <see cref="BillingEventType.InvoiceCreated"/>
    /// and, unless held for approval, <see cref="BillingEventType.InvoiceFinalized"/>. Usage history then shows the
    /// replacement as the period's invoice. Two concurrent calls make one replacement; the other is refused. Seats and
    /// trial are read from the subscription as it is now; credits are those available now. When usage was backfilled
    /// into the period, its live (Draft or Finalized) adjustment invoices are voided in the same transaction
    /// (<see cref="InvoiceRegeneration.VoidedAdjustments"/>, an InvoiceVoided event each, their credits returned) and the
    /// replacement bills the whole corrected usage once.
    /// </summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is paid, void (also when it was already
    /// regenerated: regenerate its replacement) or uncollectible, or has credit notes; or it is itself an adjustment
    /// invoice (regenerate the period's invoice); or an adjustment of its period is paid, uncollectible or credited
    /// (the message names it; correct the period with a credit note instead).</exception>
    /// <exception cref="MeteringException">No such invoice (<see cref="MeteringErrorCode.NotFound"/>).</exception>
    ValueTask<InvoiceRegeneration> VoidAndRegenerateAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Marks a finalized invoice paid.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not finalized.</exception>
    ValueTask<Invoice> MarkPaidAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Records a failed payment attempt on a finalized invoice (it stays due).</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not finalized.</exception>
    ValueTask<Invoice> MarkPaymentFailedAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Gives up collecting a finalized invoice.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not finalized.</exception>
    ValueTask<Invoice> MarkUncollectibleAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issues a credit note against a Finalized or Paid invoice, atomically and exactly once: the whole invoice (what is
    /// still creditable), chosen lines, or an amount. The notes of an invoice never add up to more than its total, even
    /// when issued concurrently; the note gets the next credit note number (gap-free, its own sequence). Outcome
    /// <see cref="CreditNoteOutcome.CustomerBalance"/> grants the amount to the customer's credit ledger (category Paid,
    /// invoice currency) in the same transaction; <see cref="CreditNoteOutcome.Refund"/> records a refund for the host to
    /// make. A <see cref="BillingEventType.CreditNoteIssued"/> event is stored with it. Retrying with the same
    /// <see cref="CreditNoteRequest.CreditNoteId"/> returns the note already issued.
    /// </summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is a draft (approve it first), void or
    /// uncollectible; or a refund is asked of an invoice that is not paid.</exception>
    /// <exception cref="CreditNoteExceedsInvoiceException">The note would take the invoice (or a line) past its amount; the message names what is still creditable.</exception>
    /// <exception cref="MeteringException">No such invoice (<see cref="MeteringErrorCode.NotFound"/>), or a malformed request (<see cref="MeteringErrorCode.InvalidArgument"/>).</exception>
    ValueTask<CreditNote> IssueCreditNoteAsync(CreditNoteRequest request, CancellationToken cancellationToken = default);

    /// <summary>A credit note by id, or null.</summary>
    ValueTask<CreditNote?> GetCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken = default);

    /// <summary>A customer's credit notes, newest number first, paginated by cursor.</summary>
    ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default);

    /// <summary>The credit notes of one invoice, newest number first, paginated by cursor.</summary>
    /// <exception cref="MeteringException">No such invoice (<see cref="MeteringErrorCode.NotFound"/>).</exception>
    ValueTask<Page<CreditNote>> ListInvoiceCreditNotesAsync(string invoiceId, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default);
}
