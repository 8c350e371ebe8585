namespace Metering;

/// <summary>
/// When an invoice may be voided, decided once for <see cref="IInvoiceService.VoidAsync"/> and
/// <see cref="IInvoiceService.VoidAndRegenerateAsync"/>: it is a Draft or Finalized, and no credit note credits it (the
/// notes would credit an invoice that no longer counts; what is left of it is credited with another note instead).
/// </summary>
internal static class InvoiceVoidRule
{
    /// <summary>Throws when <paramref name="invoice"/> cannot be <paramref name="action"/> (e.g. "voided").</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is paid, void (perhaps replaced) or uncollectible, or credited.</exception>
    public static void Check(Invoice invoice, string action)
    {
        if (invoice.Status is not (InvoiceStatus.Draft or InvoiceStatus.Finalized))
        {
            throw new InvalidInvoiceTransitionException(
                invoice.InvoiceId,
                invoice.Status,
                action,
                invoice.ReplacedByInvoiceId is { } replacedBy
                    ? $"it is a Draft or Finalized; it was already replaced by '{replacedBy}', so use that one"
                    : "it is a Draft or Finalized; correct a paid invoice with a credit note (IssueCreditNoteAsync)");
        }

        if (invoice.CreditedAmount > 0m)
        {
            throw new InvalidInvoiceTransitionException(
                invoice.InvoiceId,
                invoice.Status,
                action,
                $"it has no credit notes; it has {new Money(invoice.CreditedAmount, invoice.Total.Currency)} credited, so credit the remaining {invoice.CreditableAmount} with another credit note instead");
        }
    }
}
