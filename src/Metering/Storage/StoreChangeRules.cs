namespace Metering.Storage;

/// <summary>
/// The checks every store runs around the changes the runtime decides (a period close, a ledger change), so that all
/// stores accept and refuse the same things. Pure: each store loads and locks, calls these, then writes.
/// </summary>
public static class StoreChangeRules
{
    /// <summary>
    /// Whether the period starting at <paramref name="expectedPeriodStart"/> can be closed now, against the subscription
    /// as stored (locked) and whether an invoice exists for the period. Null when it can; otherwise the status to return
    /// without calling the decision: <see cref="PeriodCloseStatus.NotFound"/> when there is no subscription,
    /// <see cref="PeriodCloseStatus.AlreadyClosed"/> when the period was closed (or the subscription moved on, ended,
    /// or is billed on another plan version than <paramref name="plan"/>) since the caller read it.
    /// </summary>
    public static PeriodCloseStatus? CheckClose(Subscription? stored, Instant expectedPeriodStart, Plan plan, bool periodInvoiced)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (stored is null)
        {
            return PeriodCloseStatus.NotFound;
        }

        return stored.CurrentPeriod.Start != expectedPeriodStart
            || stored.EndedAt is not null
            || periodInvoiced
            || !string.Equals(stored.PlanKey, plan.Key, StringComparison.Ordinal)
            || stored.PlanVersion != plan.Version
                ? PeriodCloseStatus.AlreadyClosed
                : null;
    }

    /// <summary>
    /// Runs the customer <paramref name="change"/> on what the store loaded and checks it before anything is written:
    /// the customer keeps its id and creation instant, and every subscription returned is one of
    /// <paramref name="subscriptions"/> at its next revision.
    /// </summary>
    /// <exception cref="InvalidOperationException">The change breaks one of these rules (a bug in the caller's change).</exception>
    public static CustomerChange CheckCustomerChange(Customer current, IReadOnlyList<Subscription> subscriptions, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(subscriptions);
        ArgumentNullException.ThrowIfNull(change);
        var result = change(current, subscriptions);
        if (!string.Equals(result.Updated.CustomerId, current.CustomerId, StringComparison.Ordinal) || result.Updated.CreatedAt != current.CreatedAt)
        {
            throw new InvalidOperationException($"A change of customer '{current.CustomerId}' returned customer '{result.Updated.CustomerId}' created at {result.Updated.CreatedAt}; keep the id and creation instant.");
        }

        foreach (var updated in result.Subscriptions)
        {
            var stored = subscriptions.FirstOrDefault(s => string.Equals(s.SubscriptionId, updated.SubscriptionId, StringComparison.Ordinal));
            if (stored is null || updated.Revision != stored.Revision + 1 || !string.Equals(updated.CustomerId, current.CustomerId, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"A change of customer '{current.CustomerId}' returned subscription '{updated.SubscriptionId}' revision {updated.Revision}, which is not the next revision of one of the customer's subscriptions.");
            }
        }

        return result;
    }

    /// <summary>
    /// Runs the close <paramref name="decide"/> on what the store loaded and checks the decision before anything is
    /// written: the invoice is for this subscription and period, the next state is the next revision of the same
    /// subscription, and a ledger change only appends to the customer's ledger.
    /// </summary>
    /// <exception cref="InvalidOperationException">The decision breaks one of these rules (a bug in the caller's decide).</exception>
    public static PeriodCloseDecision DecideClose(PeriodCloseContext context, Func<PeriodCloseContext, PeriodCloseDecision> decide)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(decide);
        var decision = decide(context);
        var subscription = context.Subscription;
        if (!string.Equals(decision.Next.SubscriptionId, subscription.SubscriptionId, StringComparison.Ordinal)
            || decision.Next.Revision != subscription.Revision + 1)
        {
            throw new InvalidOperationException(
                $"The close of '{subscription.SubscriptionId}' must move it to revision {subscription.Revision + 1}; it returned '{decision.Next.SubscriptionId}' revision {decision.Next.Revision}.");
        }

        if (!string.Equals(decision.Invoice.SubscriptionId, subscription.SubscriptionId, StringComparison.Ordinal)
            || decision.Invoice.Period.Start != subscription.CurrentPeriod.Start)
        {
            throw new InvalidOperationException(
                $"The close of '{subscription.SubscriptionId}' period {subscription.CurrentPeriod.Start} returned an invoice of '{decision.Invoice.SubscriptionId}' period {decision.Invoice.Period.Start}.");
        }

        if (decision.LedgerAfter is { } ledgerAfter)
        {
            CheckLedgerChange(context.Ledger, ledgerAfter);
        }

        return decision;
    }

    /// <summary>
    /// The decision with its invoice numbered <paramref name="number"/>: the store calls this inside the close
    /// transaction once it has taken the next number, and writes what it returns. The decision's invoice events
    /// (<see cref="InvoiceEventPayload"/> of that invoice, decided before the number existed) get the number too, so
    /// every store stores the same events.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="number"/> is not positive.</exception>
    public static PeriodCloseDecision WithInvoiceNumber(PeriodCloseDecision decision, long number)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        var invoice = decision.Invoice with { Number = number };
        var events = new BillingEvent[decision.Events.Count];
        for (int i = 0; i < events.Length; i++)
        {
            var e = decision.Events[i];
            events[i] = e.Payload is InvoiceEventPayload payload && string.Equals(payload.InvoiceId, invoice.InvoiceId, StringComparison.Ordinal)
                ? new BillingEvent(e.EventId, e.Type, e.CustomerId, e.SubjectId, e.OccurredAt, payload with { Number = number })
                : e;
        }

        return decision with { Invoice = invoice, Events = events };
    }

    /// <summary>
    /// Runs an invoice <paramref name="transition"/> on the stored (locked) invoice and checks it keeps the invoice's
    /// identity (id, number, customer, subscription, period). When the result has a
    /// <see cref="InvoiceTransition.LedgerChange"/>, the store then runs it on the customer's locked ledger with
    /// <see cref="DecideLedgerChange"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The transition returned another invoice.</exception>
    public static InvoiceTransition DecideInvoiceTransition(Invoice stored, Func<Invoice, InvoiceTransition> transition)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(transition);
        var result = transition(stored);
        var updated = result.Updated;
        if (!string.Equals(updated.InvoiceId, stored.InvoiceId, StringComparison.Ordinal) || updated.Number != stored.Number
            || !string.Equals(updated.CustomerId, stored.CustomerId, StringComparison.Ordinal)
            || !string.Equals(updated.SubscriptionId, stored.SubscriptionId, StringComparison.Ordinal) || updated.Period != stored.Period)
        {
            throw new InvalidOperationException($"A transition of invoice '{stored.InvoiceId}' (number {stored.Number}) returned invoice '{updated.InvoiceId}' (number {updated.Number}); a transition changes an invoice's state, not its identity.");
        }

        return result;
    }

    /// <summary>Runs a ledger <paramref name="change"/> on the stored (locked) ledger and checks it only appends.</summary>
    /// <exception cref="InvalidOperationException">The change returned another customer's ledger or dropped transactions.</exception>
    public static LedgerChange DecideLedgerChange(CreditLedger stored, Func<CreditLedger, LedgerChange> change)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(change);
        var result = change(stored);
        CheckLedgerChange(stored, result.Updated);
        return result;
    }

    /// <summary>Checks that <paramref name="updated"/> is <paramref name="stored"/> with transactions appended.</summary>
    /// <exception cref="InvalidOperationException">It is another customer's ledger, or transactions were dropped.</exception>
    public static void CheckLedgerChange(CreditLedger stored, CreditLedger updated)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(updated);
        if (!string.Equals(stored.CustomerId, updated.CustomerId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"A credit ledger change for customer '{stored.CustomerId}' returned the ledger of '{updated.CustomerId}'.");
        }

        if (updated.Transactions.Count < stored.Transactions.Count || updated.LastSequence < stored.LastSequence)
        {
            throw new InvalidOperationException("A credit ledger change must only append transactions.");
        }
    }
}
