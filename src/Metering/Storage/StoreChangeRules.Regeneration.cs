namespace Metering.Storage;

// Void-and-regenerate: the checks every store runs on the decision before writing, and the numbering of the replacement.
public static partial class StoreChangeRules
{
    /// <summary>
    /// Runs the regeneration <paramref name="decide"/> on what the store loaded under the invoice's lock, and checks the
    /// decision before anything is written: the voided invoice keeps its identity and credited amount, is
    /// <see cref="InvoiceStatus.Void"/> and points at the replacement; the replacement is a new invoice (another id, no
    /// number yet) of the same customer, subscription and period that points back at the voided one; each voided
    /// adjustment was one of the period's live adjustments and is now Void; a ledger change only appends.
    /// </summary>
    /// <exception cref="InvalidOperationException">The decision breaks one of these rules (a bug in the caller's decide).</exception>
    public static InvoiceRegenerationDecision DecideRegeneration(InvoiceRegenerationContext context, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(decide);
        var decision = decide(context);
        var stored = context.Invoice;
        var voided = decision.Voided;
        var replacement = decision.Replacement;
        CheckSameInvoice(stored, voided);
        if (stored.Status == InvoiceStatus.Void || stored.ReplacedByInvoiceId is not null)
        {
            throw new InvalidOperationException($"A regeneration decision replaced invoice '{stored.InvoiceId}', which is already {stored.Status} (replaced by '{stored.ReplacedByInvoiceId}').");
        }

        if (voided.Status != InvoiceStatus.Void || voided.CreditedAmount != stored.CreditedAmount
            || !string.Equals(voided.ReplacedByInvoiceId, replacement.InvoiceId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"A regeneration decision left invoice '{stored.InvoiceId}' {voided.Status} (replaced by '{voided.ReplacedByInvoiceId}'); it must be Void, keep its credited amount and name its replacement '{replacement.InvoiceId}'.");
        }

        if (string.Equals(replacement.InvoiceId, stored.InvoiceId, StringComparison.Ordinal) || replacement.Number != 0
            || !string.Equals(replacement.CustomerId, stored.CustomerId, StringComparison.Ordinal)
            || !string.Equals(replacement.SubscriptionId, stored.SubscriptionId, StringComparison.Ordinal)
            || replacement.Period.Start != stored.Period.Start
            || !string.Equals(replacement.ReplacesInvoiceId, stored.InvoiceId, StringComparison.Ordinal)
            || replacement.ReplacedByInvoiceId is not null || replacement.CreditedAmount != 0m)
        {
            throw new InvalidOperationException($"A regeneration decision for invoice '{stored.InvoiceId}' returned replacement '{replacement.InvoiceId}' (number {replacement.Number}, period {replacement.Period}); a replacement is a new, unnumbered, uncredited invoice of the same customer, subscription and period that names the invoice it replaces.");
        }

        foreach (var adjustment in decision.VoidedAdjustments)
        {
            var before = context.Adjustments.FirstOrDefault(a => string.Equals(a.InvoiceId, adjustment.InvoiceId, StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"A regeneration decision for invoice '{stored.InvoiceId}' voided '{adjustment.InvoiceId}', which is not an adjustment invoice of its period.");
            CheckSameInvoice(before, adjustment);
            if (before.Status == InvoiceStatus.Void || adjustment.Status != InvoiceStatus.Void || adjustment.CreditedAmount != before.CreditedAmount)
            {
                throw new InvalidOperationException($"A regeneration decision for invoice '{stored.InvoiceId}' left adjustment '{adjustment.InvoiceId}' {adjustment.Status} (it was {before.Status}); a voided adjustment was live, is Void and keeps its credited amount.");
            }
        }

        if (decision.LedgerAfter is { } ledgerAfter)
        {
            CheckLedgerChange(context.Ledger, ledgerAfter);
        }

        return decision;
    }

    /// <summary>
    /// The decision with its replacement numbered <paramref name="number"/>: the store calls this inside the transaction
    /// once it has taken the next invoice number, and writes what it returns. The replacement's
    /// <see cref="InvoiceEventPayload"/> events get the number too, so every store stores the same events.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="number"/> is not positive.</exception>
    public static InvoiceRegenerationDecision WithReplacementNumber(InvoiceRegenerationDecision decision, long number)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        var replacement = decision.Replacement with { Number = number };
        return decision with { Replacement = replacement, Events = WithInvoiceEventNumbers(decision.Events, replacement.InvoiceId, number) };
    }
}
