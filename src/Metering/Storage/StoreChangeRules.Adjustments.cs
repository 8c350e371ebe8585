namespace Metering.Storage;

// Backfill: the checks every store runs on an adjustment decision before writing, and the numbering of the adjustment.
public static partial class StoreChangeRules
{
    /// <summary>
    /// Runs the adjustment <paramref name="decide"/> on what the store loaded under the subscription's lock, and checks
    /// the decision before anything is written: an adjustment is a new, unnumbered, uncredited
    /// <see cref="InvoiceReason.Adjustment"/> invoice of the subscription's customer for the same period that names one of
    /// the period's invoices in <see cref="Invoice.AdjustsInvoiceId"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The decision breaks one of these rules (a bug in the caller's decide).</exception>
    public static PeriodAdjustmentDecision DecideAdjustment(PeriodAdjustmentContext context, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(decide);
        var decision = decide(context);
        if (decision.Adjustment is not { } adjustment)
        {
            return decision;
        }

        var subscription = context.Subscription;
        bool adjustsOne = context.Invoices.Any(i => string.Equals(i.InvoiceId, adjustment.AdjustsInvoiceId, StringComparison.Ordinal));
        bool idTaken = context.Invoices.Any(i => string.Equals(i.InvoiceId, adjustment.InvoiceId, StringComparison.Ordinal));
        if (adjustment.Reason != InvoiceReason.Adjustment || adjustment.Number != 0 || idTaken || !adjustsOne
            || !string.Equals(adjustment.SubscriptionId, subscription.SubscriptionId, StringComparison.Ordinal)
            || !string.Equals(adjustment.CustomerId, subscription.CustomerId, StringComparison.Ordinal)
            || adjustment.Period.Start != context.PeriodStart
            || adjustment.ReplacesInvoiceId is not null || adjustment.ReplacedByInvoiceId is not null || adjustment.CreditedAmount != 0m)
        {
            throw new InvalidOperationException($"An adjustment decision for subscription '{subscription.SubscriptionId}' period {context.PeriodStart} returned invoice '{adjustment.InvoiceId}' ({adjustment.Reason}, number {adjustment.Number}, adjusting '{adjustment.AdjustsInvoiceId}'); an adjustment is a new, unnumbered, uncredited Adjustment invoice of the same customer, subscription and period that names one of the period's invoices.");
        }

        return decision;
    }

    /// <summary>
    /// The decision with its adjustment numbered <paramref name="number"/>: the store calls this inside the transaction
    /// once it has taken the next invoice number, and writes what it returns (the events get the number too).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="number"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The decision has no adjustment.</exception>
    public static PeriodAdjustmentDecision WithAdjustmentNumber(PeriodAdjustmentDecision decision, long number)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        var adjustment = (decision.Adjustment ?? throw new ArgumentException("The decision has no adjustment invoice to number.", nameof(decision))) with { Number = number };
        return decision with { Adjustment = adjustment, Events = WithInvoiceEventNumbers(decision.Events, adjustment.InvoiceId, number) };
    }
}
