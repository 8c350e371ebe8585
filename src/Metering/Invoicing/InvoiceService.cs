using Metering.Storage;

namespace Metering;

/// <summary>Implements <see cref="IInvoiceService"/>.</summary>
internal sealed class InvoiceService(IMeteringStore store, MeteringCatalog catalog, IUsageQuery usage, BillingEngine engine, IClock clock, SubscriptionCache cache) : IInvoiceService
{
    public async ValueTask<CalculatedInvoice> PreviewAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        (await usage.GetCurrentAsync(subscriptionId, cancellationToken).ConfigureAwait(false)).Estimate;

    public async ValueTask<Invoice?> GetAsync(string invoiceId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(invoiceId, "invoice id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.FindInvoiceAsync(invoiceId, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Page<Invoice>> ListAsync(string customerId, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default) =>
        ListAsync(customerId, new PageRequest { Cursor = cursor, Limit = limit }, cancellationToken);

    public async ValueTask<Page<Invoice>> ListAsync(string customerId, PageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        int limit = request.Limit ?? 20;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var page = await store.ListInvoicesAsync(customerId, request.Cursor, limit, cancellationToken).ConfigureAwait(false);
        return request.IncludeTotalCount
            ? page with { TotalCount = await store.CountInvoicesAsync(customerId, cancellationToken).ConfigureAwait(false) }
            : page;
    }

    public async ValueTask<Page<Invoice>> ListByStatusAsync(InvoiceStatus status, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (!Enum.IsDefined(status))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Invoice status {(int)status} is not defined; pass one of {string.Join(", ", Enum.GetNames<InvoiceStatus>())}.");
        }

        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListInvoicesByStatusAsync(status, cursor, limit, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Invoice> ApproveAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        TransitionAsync(invoiceId, "approved", From(InvoiceStatus.Draft, "it is a Draft"), (i, now) => i with { Status = InvoiceStatus.Finalized, FinalizedAt = now }, BillingEventType.InvoiceFinalized, cancellationToken);

    // Voiding gives back the credits applied to the invoice at close (in the same transaction), as Lago and Stripe do.
    public async ValueTask<Invoice> VoidAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        await TrackPaymentAsync(await TransitionAsync(invoiceId, "voided", InvoiceVoidRule.Check, (i, now) => i with { Status = InvoiceStatus.Void, SettledAt = now }, BillingEventType.InvoiceVoided, cancellationToken, returnsCredits: true).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    // Lago's "void and regenerate": the same statuses as a void (Draft, Finalized; no credit notes). The plan version
    // is read from the catalog first; the store then locks the invoice and decides on what it holds.
    public async ValueTask<InvoiceRegeneration> VoidAndRegenerateAsync(string invoiceId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(invoiceId, "invoice id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var invoice = await store.FindInvoiceAsync(invoiceId, cancellationToken).ConfigureAwait(false) ?? throw InvoiceNotFound(invoiceId);
        var plan = await catalog.GetPlanAsync(invoice.PlanKey, invoice.PlanVersion, cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var customer = await store.FindCustomerAsync(invoice.CustomerId, cancellationToken).ConfigureAwait(false);
        var result = await store.RegenerateInvoiceAsync(invoiceId, context => engine.DecideRegeneration(context, plan, now, customer?.InvoiceApproval), cancellationToken).ConfigureAwait(false)
            ?? throw InvoiceNotFound(invoiceId);
        await TrackPaymentAsync(result.Voided, cancellationToken).ConfigureAwait(false);
        foreach (var adjustment in result.VoidedAdjustments)
        {
            await TrackPaymentAsync(adjustment, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public async ValueTask<Invoice> MarkPaidAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        await TrackPaymentAsync(await TransitionAsync(invoiceId, "marked paid", From(InvoiceStatus.Finalized, "it is Finalized"), (i, now) => i with { Status = InvoiceStatus.Paid, SettledAt = now }, BillingEventType.InvoicePaid, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async ValueTask<Invoice> MarkPaymentFailedAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        await TrackPaymentAsync(await TransitionAsync(invoiceId, "marked as a failed payment", From(InvoiceStatus.Finalized, "it is Finalized"), (i, _) => i with { PaymentFailures = i.PaymentFailures + 1 }, BillingEventType.InvoicePaymentFailed, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public ValueTask<Invoice> MarkUncollectibleAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        TransitionAsync(invoiceId, "marked uncollectible", From(InvoiceStatus.Finalized, "it is Finalized"), (i, now) => i with { Status = InvoiceStatus.Uncollectible, SettledAt = now }, BillingEventType.InvoiceUncollectible, cancellationToken);

    public async ValueTask<CreditNote> IssueCreditNoteAsync(CreditNoteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        InputChecks.Required(request.InvoiceId, "invoice id");
        InputChecks.Optional(request.CreditNoteId, "credit note id");
        InputChecks.Optional(request.Memo, "credit note memo");
        if (!Enum.IsDefined(request.Outcome) || !Enum.IsDefined(request.Reason))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Credit note outcome {request.Outcome} or reason {request.Reason} is not defined; use a CreditNoteOutcome and a CreditNoteReason member.");
        }

        if (request.Reason == CreditNoteReason.Backfill)
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, "Credit note reason Backfill is kept for the notes IUsageRecorder.BackfillAsync issues when backfilled usage lowers a period's price; record the usage with BackfillAsync, or give another reason (BillingError for usage billed in error).");
        }

        if (request.Amount is not null && request.Lines is { Count: > 0 })
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, "A credit note request has both an Amount and Lines; give lines (each with its amount) or a plain amount, or neither for the whole invoice.");
        }

        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var creditNoteId = request.CreditNoteId ?? "cn_" + Guid.NewGuid().ToString("N");
        var result = await store.IssueCreditNoteAsync(request.InvoiceId, context => CreditNoteRules.Decide(context, request, creditNoteId, now), cancellationToken).ConfigureAwait(false);
        return result?.CreditNote ?? throw InvoiceNotFound(request.InvoiceId);
    }

    public async ValueTask<CreditNote?> GetCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(creditNoteId, "credit note id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.FindCreditNoteAsync(creditNoteId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListCreditNotesAsync(customerId, null, cursor, limit, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Page<CreditNote>> ListInvoiceCreditNotesAsync(string invoiceId, string? cursor = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        InputChecks.Required(invoiceId, "invoice id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var invoice = await store.FindInvoiceAsync(invoiceId, cancellationToken).ConfigureAwait(false) ?? throw InvoiceNotFound(invoiceId);
        return await store.ListCreditNotesAsync(invoice.CustomerId, invoiceId, cursor, limit, cancellationToken).ConfigureAwait(false);
    }

    private static MeteringException InvoiceNotFound(string invoiceId) =>
        new(MeteringErrorCode.NotFound, $"Invoice '{invoiceId}' does not exist; list a customer's invoices with ListAsync.");

    /// <summary>A transition check: the invoice must have status <paramref name="from"/>.</summary>
    private static Action<Invoice, string> From(InvoiceStatus from, string allowedFrom) => (invoice, action) =>
    {
        if (invoice.Status != from)
        {
            throw new InvalidInvoiceTransitionException(invoice.InvoiceId, invoice.Status, action, allowedFrom);
        }
    };

    private async ValueTask<Invoice> TransitionAsync(
        string invoiceId,
        string action,
        Action<Invoice, string> check,
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
            check(current, action);

            var changed = apply(current, now);
            var transition = new InvoiceTransition(changed, [InvoiceEvents.Create(eventType, changed, now)]);
            return returnsCredits
                ? transition with { LedgerChange = ledger => new LedgerChange(ledger.ReturnInvoiceCredits(invoiceId, now).Ledger, []) }
                : transition;
        }, cancellationToken).ConfigureAwait(false);
        return updated ?? throw InvoiceNotFound(invoiceId);
    }

    // Entitlements read a failed payment from the subscription (one cheap read per check): the invoice transition is
    // stored first, then its subscription records (or forgets) the failure. EntitlementRules.AfterPayment decides.
    private async ValueTask<Invoice> TrackPaymentAsync(Invoice invoice, CancellationToken cancellationToken)
    {
        var at = clock.GetCurrentInstant();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var subscription = await store.FindSubscriptionAsync(invoice.SubscriptionId, cancellationToken).ConfigureAwait(false);
            var updated = subscription is null ? null : EntitlementRules.AfterPayment(subscription, invoice, at);
            if (updated is null || updated == subscription)
            {
                return invoice;
            }

            if (await store.UpdateSubscriptionAsync(updated with { Revision = subscription!.Revision + 1 }, [], cancellationToken).ConfigureAwait(false))
            {
                cache.Invalidate(invoice.CustomerId);
                return invoice;
            }
        }

        throw new MeteringException(MeteringErrorCode.ConcurrencyConflict, $"Invoice '{invoice.InvoiceId}' was updated, but subscription '{invoice.SubscriptionId}' kept changing while its payment state was recorded for entitlements; repeat the call.");
    }
}
