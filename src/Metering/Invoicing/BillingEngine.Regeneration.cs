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
    /// would: Draft or Finalized, no credit notes) and pointing at its replacement; the replacement computed from the
    /// period's aggregates as they are now, on the original's plan version, covering the same service period, with the
    /// original's reason, the next revision's id, and status per <see cref="MeteringOptions.InvoiceApproval"/>. The credits
    /// applied to the voided invoice at invoice time are returned, then the credits available at <paramref name="now"/>
    /// are applied to the replacement, on the same ledger (never below zero).
    /// </summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is paid, void (perhaps already replaced) or
    /// uncollectible, or has credit notes, or its period has adjustment invoices that are not void.</exception>
    public InvoiceRegenerationDecision DecideRegeneration(InvoiceRegenerationContext context, Plan plan, Instant now, InvoiceApproval? customerApproval = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        var original = context.Invoice;
        InvoiceVoidRule.Check(original, "voided and regenerated");
        if (context.Adjustments.Where(a => a.Status != InvoiceStatus.Void).Select(a => a.InvoiceId).ToArray() is { Length: > 0 } adjustments)
        {
            // The replacement bills the period's corrected usage, which the adjustments bill in part already.
            throw new InvalidInvoiceTransitionException(
                original.InvoiceId,
                original.Status,
                "voided and regenerated",
                $"its period's adjustment invoices are void; void {string.Join(", ", adjustments.Select(a => $"'{a}'"))} first (VoidAsync), then regenerate: the replacement bills the period's corrected usage");
        }


        if (!string.Equals(plan.Key, original.PlanKey, StringComparison.Ordinal) || plan.Version != original.PlanVersion)
        {
            throw new InvalidOperationException($"Invoice '{original.InvoiceId}' was billed on plan '{original.PlanKey}' v{original.PlanVersion}, not '{plan.Key}' v{plan.Version}.");
        }

        var revision = original.Revision + 1;
        var replacementId = InvoiceIdFor(original.SubscriptionId, original.Period.Start, revision);
        var (returned, _) = context.Ledger.ReturnInvoiceCredits(original.InvoiceId, now);
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

        var events = new List<BillingEvent>
        {
            InvoiceEvents.Create(BillingEventType.InvoiceVoided, voided, now),
            InvoiceEvents.Create(BillingEventType.InvoiceCreated, replacement, now),
        };
        if (!manual)
        {
            events.Add(InvoiceEvents.Create(BillingEventType.InvoiceFinalized, replacement, now));
        }

        bool ledgerChanged = ledgerAfter.LastSequence != context.Ledger.LastSequence;
        if (ledgerChanged)
        {
            events.AddRange(CreditAlerts.Crossings(context.Ledger, ledgerAfter, _thresholds, now));
        }

        return new InvoiceRegenerationDecision(voided, replacement, ledgerChanged ? ledgerAfter : null, events);
    }
}
