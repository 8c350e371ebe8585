namespace Metering;

/// <summary>Invoice events and their payloads, built from the invoice as it is after the change they report.</summary>
internal static class InvoiceEvents
{
    /// <summary>A new invoice event about <paramref name="invoice"/> at <paramref name="at"/>.</summary>
    public static BillingEvent Create(BillingEventType type, Invoice invoice, Instant at) =>
        BillingEvent.Create(type, invoice.CustomerId, invoice.InvoiceId, at, Payload(invoice));

    /// <summary>
    /// The events of an invoice issued at <paramref name="at"/>: <see cref="BillingEventType.InvoiceCreated"/>, then
    /// <see cref="BillingEventType.InvoiceFinalized"/> unless it is a Draft held for approval.
    /// </summary>
    public static IEnumerable<BillingEvent> Issued(Invoice invoice, Instant at)
    {
        yield return Create(BillingEventType.InvoiceCreated, invoice, at);
        if (invoice.Status == InvoiceStatus.Finalized)
        {
            yield return Create(BillingEventType.InvoiceFinalized, invoice, at);
        }
    }

    /// <summary>
    /// The payload of <paramref name="invoice"/>. An invoice being closed has number 0 until the store assigns one in
    /// the close transaction (<see cref="Storage.StoreChangeRules.WithInvoiceNumber"/>); until then the payload's number is null.
    /// </summary>
    public static InvoiceEventPayload Payload(Invoice invoice)
    {
        var lines = new InvoiceLineSummary[invoice.Content.Lines.Count];
        for (int i = 0; i < lines.Length; i++)
        {
            var line = invoice.Content.Lines[i];
            lines[i] = new InvoiceLineSummary(line.Kind, line.ChargeKey, line.Amount);
        }

        return new InvoiceEventPayload(
            invoice.InvoiceId,
            invoice.Number > 0 ? invoice.Number : null,
            invoice.SubscriptionId,
            invoice.Period,
            invoice.Reason,
            invoice.Status,
            invoice.Total,
            invoice.PaymentFailures,
            lines);
    }
}
