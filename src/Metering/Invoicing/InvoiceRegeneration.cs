namespace Metering;

/// <summary>The result of <see cref="IInvoiceService.VoidAndRegenerateAsync"/>.</summary>
/// <param name="Voided">The invoice voided (status <see cref="InvoiceStatus.Void"/>, <see cref="Invoice.ReplacedByInvoiceId"/> set).</param>
/// <param name="Replacement">The invoice that replaces it for the same period (<see cref="Invoice.ReplacesInvoiceId"/> set).</param>
public sealed record InvoiceRegeneration(Invoice Voided, Invoice Replacement);
