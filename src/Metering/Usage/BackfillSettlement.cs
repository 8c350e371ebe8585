using Metering.Storage;

namespace Metering;

/// <summary>
/// Settles closed periods after backfilled usage, once for <see cref="IUsageRecorder.BackfillAsync"/> and for the markers
/// a backfill left behind (<see cref="IPeriodCloser.CloseDueAsync"/>): one <see cref="IMeteringStore.AdjustPeriodAsync"/>
/// per period running <see cref="BillingEngine.DecideAdjustment"/>, which also removes the period's pending marker.
/// </summary>
internal sealed class BackfillSettlement(IMeteringStore store, MeteringCatalog catalog, BillingEngine engine, IClock clock)
{
    private readonly Dictionary<string, InvoiceApproval?> _approvals = new(StringComparer.Ordinal);

    /// <summary>
    /// Adjusts the period against <paramref name="live"/>, its live invoice, with <paramref name="reason"/>; returns how
    /// it was settled, or null when the store had nothing to decide on (the subscription is not stored).
    /// </summary>
    public async ValueTask<BackfillPeriod?> SettleAsync(string subscriptionId, Instant periodStart, Invoice live, string reason, CancellationToken cancellationToken)
    {
        var plan = await catalog.GetPlanAsync(live.PlanKey, live.PlanVersion, cancellationToken).ConfigureAwait(false);
        if (!_approvals.TryGetValue(live.CustomerId, out var approval))
        {
            approval = _approvals[live.CustomerId] = (await store.FindCustomerAsync(live.CustomerId, cancellationToken).ConfigureAwait(false))?.InvoiceApproval;
        }

        PeriodAdjustmentDecision? decided = null;
        var adjustment = await store.AdjustPeriodAsync(
            subscriptionId,
            periodStart,
            context => decided = engine.DecideAdjustment(context, plan, reason, clock.GetCurrentInstant(), approval),
            cancellationToken).ConfigureAwait(false);
        if (decided is null)
        {
            return null;
        }

        var notes = new List<CreditNote>(decided.CreditNotes.Count);
        foreach (var note in decided.CreditNotes)
        {
            notes.Add(await store.FindCreditNoteAsync(note.CreditNote.CreditNoteId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Credit note '{note.CreditNote.CreditNoteId}' of the adjustment of subscription '{subscriptionId}' period {periodStart} was not stored."));
        }

        return new BackfillPeriod(subscriptionId, periodStart, decided.Difference, adjustment) { CreditNotes = notes };
    }

    /// <summary>
    /// Settles a pending marker (<see cref="IMeteringStore.ListPendingAdjustmentsAsync"/>): adjusts its period against the
    /// period's live invoice, or, when the period has none (nothing to adjust), just removes the marker.
    /// </summary>
    public async ValueTask<BackfillPeriod?> SettleAsync(PendingAdjustment marker, CancellationToken cancellationToken)
    {
        if (await LiveInvoices.FindAsync(store, marker.SubscriptionId, marker.PeriodStart, cancellationToken).ConfigureAwait(false) is { } live)
        {
            return await SettleAsync(marker.SubscriptionId, marker.PeriodStart, live, marker.Reason, cancellationToken).ConfigureAwait(false);
        }

        var subscription = await store.FindSubscriptionAsync(marker.SubscriptionId, cancellationToken).ConfigureAwait(false);
        var currency = subscription is null ? null : (await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false)).Currency;
        await store.AdjustPeriodAsync(
            marker.SubscriptionId,
            marker.PeriodStart,
            _ => new PeriodAdjustmentDecision(null, new Money(0m, currency!), []),
            cancellationToken).ConfigureAwait(false);
        return null;
    }
}
