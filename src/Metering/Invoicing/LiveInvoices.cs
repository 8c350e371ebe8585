using Metering.Storage;

namespace Metering;

/// <summary>Finds the live invoice of a period: the close's invoice, or the last replacement of it.</summary>
internal static class LiveInvoices
{
    /// <summary>
    /// The period's invoice (<see cref="BillingEngine.InvoiceIdFor(string, Instant)"/>) followed along
    /// <see cref="Invoice.ReplacedByInvoiceId"/> to its latest replacement; null when the period has no invoice.
    /// </summary>
    public static async ValueTask<Invoice?> FindAsync(IMeteringStore store, string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
    {
        var invoice = await store.FindInvoiceAsync(BillingEngine.InvoiceIdFor(subscriptionId, periodStart), cancellationToken).ConfigureAwait(false);
        while (invoice?.ReplacedByInvoiceId is { } next)
        {
            invoice = await store.FindInvoiceAsync(next, cancellationToken).ConfigureAwait(false) ?? invoice;
            if (!string.Equals(invoice.InvoiceId, next, StringComparison.Ordinal))
            {
                break;
            }
        }

        return invoice;
    }
}
