namespace Metering;

/// <summary>The result of <see cref="IInvoiceService.VoidAndRegenerateAsync"/>.</summary>
/// <param name="Voided">The invoice voided (status <see cref="InvoiceStatus.Void"/>, <see cref="Invoice.ReplacedByInvoiceId"/> set).</param>
/// <param name="Replacement">The invoice that replaces it for the same period (<see cref="Invoice.ReplacesInvoiceId"/> set).</param>
public sealed record InvoiceRegeneration(Invoice Voided, Invoice Replacement)
{
    /// <summary>
    /// The backfill adjustment invoices of the period voided with <see cref="Voided"/> (the replacement bills the
    /// corrected usage they billed), in number order; empty when the period had none that were live.
    /// </summary>
    public IReadOnlyList<Invoice> VoidedAdjustments { get; init; } = [];

    /// <summary>Equal in every member; the voided adjustments compare element by element.</summary>
    public bool Equals(InvoiceRegeneration? other) =>
        other is not null && Voided.Equals(other.Voided) && Replacement.Equals(other.Replacement) && VoidedAdjustments.SequenceEqual(other.VoidedAdjustments);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Voided, Replacement, VoidedAdjustments.Count);
}
