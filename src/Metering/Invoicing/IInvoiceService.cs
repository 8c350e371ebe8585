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

    /// <summary>Finalizes a draft held for manual approval.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not a draft.</exception>
    ValueTask<Invoice> ApproveAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Voids a draft or finalized invoice.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is paid, void or uncollectible.</exception>
    ValueTask<Invoice> VoidAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Marks a finalized invoice paid.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not finalized.</exception>
    ValueTask<Invoice> MarkPaidAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Records a failed payment attempt on a finalized invoice (it stays due).</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not finalized.</exception>
    ValueTask<Invoice> MarkPaymentFailedAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Gives up collecting a finalized invoice.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not finalized.</exception>
    ValueTask<Invoice> MarkUncollectibleAsync(string invoiceId, CancellationToken cancellationToken = default);
}
