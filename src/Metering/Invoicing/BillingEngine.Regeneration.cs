using System.Globalization;
using Metering.Storage;

namespace Metering;

// Void and regenerate (issue #16): the decision every store runs under the invoice's lock.
internal sealed partial class BillingEngine
{
    /// <summary>
    /// The id of revision <paramref name="revision"/> of the invoice of a period: the close's id
    /// (<see cref="InvoiceIdFor(string, Instant)"/>) for revision 0, that id with <c>_r{revision}</c> for its replacements.
    /// </summary>
    public static string InvoiceIdFor(string subscriptionId, Instant periodStart, int revision) =>
        revision == 0
            ? InvoiceIdFor(subscriptionId, periodStart)
            : string.Create(CultureInfo.InvariantCulture, $"{InvoiceIdFor(subscriptionId, periodStart)}_r{revision}");

    /// <summary>
    /// Decides a void-and-regenerate of <c>context.Invoice</c>: the invoice voided (as <see cref="IInvoiceService.VoidAsync"/>
    /// would: Draft or Finalized, no credit notes) and pointing at its replacement, with every adjustment invoice of its
    /// period that is not void yet (backfill; each Draft or Finalized and not credited) voided too, so the replacement
    /// bills the period's corrected usage once; the replacement computed from the
    /// period's aggregates as they are now, on the original's plan version, covering the same service period, with the
    /// original's reason, the next revision's id, and status per <see cref="MeteringOptions.InvoiceApproval"/>. The credits
    /// applied to the voided invoices at invoice time are returned, then the credits available at <paramref name="now"/>
    /// are applied to the replacement, on the same ledger (never below zero).
    /// </summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is paid, void (perhaps already replaced) or
    /// uncollectible, or has credit notes, or is itself an adjustment invoice, or an adjustment of its period is paid,
    /// uncollectible or credited.</exception>
    public InvoiceRegenerationDecision DecideRegeneration(InvoiceRegenerationContext context, Plan plan, Instant now, InvoiceApproval? customerApproval = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        var original = context.Invoice;
        if (original.Reason == InvoiceReason.Adjustment)
        {
            throw new InvalidInvoiceTransitionException(
                original.InvoiceId,
                original.Status,
                "voided and regenerated",
                $"it is a period's invoice, not a backfill adjustment; regenerate the period's invoice '{original.AdjustsInvoiceId}' (or its latest replacement) instead, which voids this adjustment with it and bills the corrected usage once, or void the adjustment alone (VoidAsync)");
        }

        InvoiceVoidRule.Check(original, "voided and regenerated");
        var adjustments = context.Adjustments.Where(a => a.Status != InvoiceStatus.Void).ToArray();
        if (adjustments.FirstOrDefault(a => a.Status is not (InvoiceStatus.Draft or InvoiceStatus.Finalized) || a.CreditedAmount > 0m) is { } settled)
        {
            // The replacement bills the period's corrected usage, which a paid or credited adjustment bills in part for good.
            throw new InvalidInvoiceTransitionException(
                original.InvoiceId,
                original.Status,
                "voided and regenerated",
                $"its period's adjustment invoices can be voided with it; adjustment '{settled.InvoiceId}' is {settled.Status}{(settled.CreditedAmount > 0m ? $" with {new Money(settled.CreditedAmount, settled.Total.Currency)} credited" : string.Empty)}, so correct the period with a credit note (IssueCreditNoteAsync) or a backfill instead");
        }

        if (!string.Equals(plan.Key, original.PlanKey, StringComparison.Ordinal) || plan.Version != original.PlanVersion)
        {
            throw new InvalidOperationException($"Invoice '{original.InvoiceId}' was billed on plan '{original.PlanKey}' v{original.PlanVersion}, not '{plan.Key}' v{plan.Version}.");
        }

        var revision = original.Revision + 1;
        var replacementId = InvoiceIdFor(original.SubscriptionId, original.Period.Start, revision);
        var (returned, _) = context.Ledger.ReturnInvoiceCredits(original.InvoiceId, now);
        foreach (var adjustment in adjustments)
        {
            (returned, _) = returned.ReturnInvoiceCredits(adjustment.InvoiceId, now);
        }

        var content = Calculate(context.Subscription, plan, original.Content.Period, original.Period.End, context.Aggregates, CreditsAvailable(returned, plan.Currency, now));
        var ledgerAfter = returned;
        var invoiceTimeCredits = InvoiceTimeCredits(content);
        if (invoiceTimeCredits > 0m)
        {
            (ledgerAfter, _) = returned.Consume(new Money(invoiceTimeCredits, plan.Currency), now, invoiceId: replacementId, description: "Applied to invoice");
        }

        bool manual = IsManual(customerApproval);
        var voided = original with { Status = InvoiceStatus.Void, SettledAt = now, ReplacedByInvoiceId = replacementId };
        var replacement = new Invoice
        {
            InvoiceId = replacementId,
            Number = 0,
            SubscriptionId = original.SubscriptionId,
            CustomerId = original.CustomerId,
            PlanKey = original.PlanKey,
            PlanVersion = original.PlanVersion,
            Period = original.Period,
            Reason = original.Reason,
            Status = manual ? InvoiceStatus.Draft : InvoiceStatus.Finalized,
            Content = content,
            CreatedAt = now,
            FinalizedAt = manual ? null : now,
            Revision = revision,
            ReplacesInvoiceId = original.InvoiceId,
        };

        var voidedAdjustments = adjustments.Select(a => a with { Status = InvoiceStatus.Void, SettledAt = now }).ToArray();
        var events = new List<BillingEvent> { InvoiceEvents.Create(BillingEventType.InvoiceVoided, voided, now) };
        events.AddRange(voidedAdjustments.Select(a => InvoiceEvents.Create(BillingEventType.InvoiceVoided, a, now)));
        events.AddRange(InvoiceEvents.Issued(replacement, now));

        bool ledgerChanged = ledgerAfter.LastSequence != context.Ledger.LastSequence;
        if (ledgerChanged)
        {
            events.AddRange(CreditAlerts.Crossings(context.Ledger, ledgerAfter, _thresholds, now));
        }

        return new InvoiceRegenerationDecision(voided, replacement, ledgerChanged ? ledgerAfter : null, events) { VoidedAdjustments = voidedAdjustments };
    }
}
