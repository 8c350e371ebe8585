using Metering.Storage;

namespace Metering;

/// <summary>Implements <see cref="IInvoiceService"/>.</summary>
internal sealed class InvoiceService(IMeteringStore store, MeteringCatalog catalog, IUsageQuery usage, IClock clock) : IInvoiceService
{
    public async ValueTask<CalculatedInvoice> PreviewAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        (await usage.GetCurrentAsync(subscriptionId, cancellationToken).ConfigureAwait(false)).Estimate;

    public async ValueTask<Invoice?> GetAsync(string invoiceId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(invoiceId, "invoice id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.FindInvoiceAsync(invoiceId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Page<Invoice>> ListAsync(string customerId, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListInvoicesAsync(customerId, cursor, limit, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Invoice> ApproveAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        TransitionAsync(invoiceId, "approved", "it is a Draft", s => s == InvoiceStatus.Draft, (i, now) => i with { Status = InvoiceStatus.Finalized, FinalizedAt = now }, BillingEventType.InvoiceFinalized, cancellationToken);

    // Voiding gives back the credits applied to the invoice at close (in the same transaction), as Lago and Stripe do.
    public ValueTask<Invoice> VoidAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        TransitionAsync(invoiceId, "voided", "it is a Draft or Finalized", s => s is InvoiceStatus.Draft or InvoiceStatus.Finalized, (i, now) => i with { Status = InvoiceStatus.Void, SettledAt = now }, BillingEventType.InvoiceVoided, cancellationToken, returnsCredits: true);

    public ValueTask<Invoice> MarkPaidAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        TransitionAsync(invoiceId, "marked paid", "it is Finalized", s => s == InvoiceStatus.Finalized, (i, now) => i with { Status = InvoiceStatus.Paid, SettledAt = now }, BillingEventType.InvoicePaid, cancellationToken);

    public ValueTask<Invoice> MarkPaymentFailedAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        TransitionAsync(invoiceId, "marked as a failed payment", "it is Finalized", s => s == InvoiceStatus.Finalized, (i, _) => i with { PaymentFailures = i.PaymentFailures + 1 }, BillingEventType.InvoicePaymentFailed, cancellationToken);

    public ValueTask<Invoice> MarkUncollectibleAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        TransitionAsync(invoiceId, "marked uncollectible", "it is Finalized", s => s == InvoiceStatus.Finalized, (i, now) => i with { Status = InvoiceStatus.Uncollectible, SettledAt = now }, BillingEventType.InvoiceUncollectible, cancellationToken);

    private async ValueTask<Invoice> TransitionAsync(
        string invoiceId,
        string action,
        string allowedFrom,
        Func<InvoiceStatus, bool> allowed,
        Func<Invoice, Instant, Invoice> apply,
        BillingEventType eventType,
        CancellationToken cancellationToken,
        bool returnsCredits = false)
    {
        InputChecks.Required(invoiceId, "invoice id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var updated = await store.UpdateInvoiceAsync(invoiceId, current =>
        {
            if (!allowed(current.Status))
            {
                throw new InvalidInvoiceTransitionException(invoiceId, current.Status, action, allowedFrom);
            }

            var changed = apply(current, now);
            var transition = new InvoiceTransition(changed, [InvoiceEvents.Create(eventType, changed, now)]);
            return returnsCredits
                ? transition with { LedgerChange = ledger => new LedgerChange(ledger.ReturnInvoiceCredits(invoiceId, now).Ledger, []) }
                : transition;
        }, cancellationToken).ConfigureAwait(false);
        return updated ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Invoice '{invoiceId}' does not exist; list a customer's invoices with ListAsync.");
    }
}
