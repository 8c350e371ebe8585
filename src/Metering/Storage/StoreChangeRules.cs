namespace Metering.Storage;

/// <summary>
/// The checks every store runs around the changes the runtime decides (a period close, a ledger change), so that all
/// stores accept and refuse the same things. Pure: each store loads and locks, calls these, then writes.
/// </summary>
public static partial class StoreChangeRules
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

        if (decision.Invoice is null)
        {
            if (!context.Plan.IsCreditRateCard || decision.LedgerAfter is not null)
            {
                throw new InvalidOperationException(
                    $"The close of '{subscription.SubscriptionId}' returned no invoice; only the period of a credit rate card closes without one, and without changing the ledger.");
            }
        }
        else if (!string.Equals(decision.Invoice.SubscriptionId, subscription.SubscriptionId, StringComparison.Ordinal)
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
    /// <exception cref="ArgumentException">The decision has no invoice (a credit rate card's close takes no number).</exception>
    public static PeriodCloseDecision WithInvoiceNumber(PeriodCloseDecision decision, long number)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        var invoice = (decision.Invoice ?? throw new ArgumentException("A close without an invoice (a credit rate card's period) takes no invoice number; write it without numbering.", nameof(decision))) with { Number = number };
        return decision with { Invoice = invoice, Events = WithInvoiceEventNumbers(decision.Events, invoice.InvoiceId, number) };
    }

    /// <summary>
    /// Runs an invoice <paramref name="transition"/> on the stored (locked) invoice and checks it keeps the invoice's
    /// identity (id, number, customer, subscription, period) and its credited amount. When the result has a
    /// <see cref="InvoiceTransition.LedgerChange"/>, the store then runs it on the customer's locked ledger with
    /// <see cref="DecideLedgerChange"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The transition returned another invoice.</exception>
    public static InvoiceTransition DecideInvoiceTransition(Invoice stored, Func<Invoice, InvoiceTransition> transition)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(transition);
        var result = transition(stored);
        CheckSameInvoice(stored, result.Updated);
        if (result.Updated.CreditedAmount != stored.CreditedAmount)
        {
            throw new InvalidOperationException($"A transition of invoice '{stored.InvoiceId}' changed its credited amount from {stored.CreditedAmount} to {result.Updated.CreditedAmount}; only a credit note (IssueCreditNoteAsync) credits an invoice.");
        }

        return result;
    }

    private static void CheckSameInvoice(Invoice stored, Invoice updated)
    {
        if (!string.Equals(updated.InvoiceId, stored.InvoiceId, StringComparison.Ordinal) || updated.Number != stored.Number
            || !string.Equals(updated.CustomerId, stored.CustomerId, StringComparison.Ordinal)
            || !string.Equals(updated.SubscriptionId, stored.SubscriptionId, StringComparison.Ordinal) || updated.Period != stored.Period)
        {
            throw new InvalidOperationException($"A transition of invoice '{stored.InvoiceId}' (number {stored.Number}) returned invoice '{updated.InvoiceId}' (number {updated.Number}); a transition changes an invoice's state, not its identity.");
        }
    }

    /// <summary>
    /// Runs the credit note <paramref name="decide"/> on the locked invoice and its notes, and checks the decision before
    /// anything is written: the note is for this invoice and customer, in its currency, with a new id and no number yet;
    /// the invoice keeps its identity and is credited by exactly the note's amount, never past its total. A decision
    /// with <see cref="CreditNoteDecision.AlreadyIssued"/> must return one of the issued notes (the store then writes nothing).
    /// </summary>
    /// <exception cref="InvalidOperationException">The decision breaks one of these rules (a bug in the caller's decide).</exception>
    public static CreditNoteDecision DecideCreditNote(CreditNoteContext context, Func<CreditNoteContext, CreditNoteDecision> decide)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(decide);
        var decision = decide(context);
        var stored = context.Invoice;
        var note = decision.CreditNote;
        if (decision.AlreadyIssued)
        {
            if (!context.Issued.Contains(note))
            {
                throw new InvalidOperationException($"A credit note decision on invoice '{stored.InvoiceId}' says note '{note.CreditNoteId}' was already issued, but it is not one of the invoice's notes.");
            }

            return decision;
        }

        CheckSameInvoice(stored, decision.Invoice);
        if (!string.Equals(note.InvoiceId, stored.InvoiceId, StringComparison.Ordinal) || !string.Equals(note.CustomerId, stored.CustomerId, StringComparison.Ordinal)
            || note.InvoiceNumber != stored.Number || note.Number != 0 || note.Amount.Currency != stored.Total.Currency || note.Amount.Amount <= 0m)
        {
            throw new InvalidOperationException($"A credit note decision on invoice '{stored.InvoiceId}' returned note '{note.CreditNoteId}' for invoice '{note.InvoiceId}' of '{note.CustomerId}' with number {note.Number} and amount {note.Amount}; a new note credits a positive amount in the invoice currency and is numbered by the store.");
        }

        if (context.Issued.Any(n => string.Equals(n.CreditNoteId, note.CreditNoteId, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"A credit note decision on invoice '{stored.InvoiceId}' returned note '{note.CreditNoteId}' as new, but it was already issued.");
        }

        if (decision.Invoice.CreditedAmount != stored.CreditedAmount + note.Amount.Amount || decision.Invoice.CreditedAmount > stored.Total.Amount)
        {
            throw new InvalidOperationException($"A credit note of {note.Amount} on invoice '{stored.InvoiceId}' (total {stored.Total}, {stored.CreditedAmount} credited) returned the invoice with {decision.Invoice.CreditedAmount} credited.");
        }

        return decision;
    }

    /// <summary>
    /// The decision with its note numbered <paramref name="number"/>: the store calls this inside the transaction once it
    /// has taken the next credit note number, and writes what it returns. The note's <see cref="CreditNoteEventPayload"/>
    /// events get the number too, so every store stores the same events.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="number"/> is not positive.</exception>
    public static CreditNoteDecision WithCreditNoteNumber(CreditNoteDecision decision, long number)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        var note = decision.CreditNote with { Number = number };
        var events = WithPayloads(decision.Events, p => p is CreditNoteEventPayload payload && string.Equals(payload.CreditNoteId, note.CreditNoteId, StringComparison.Ordinal)
            ? payload with { Number = number }
            : null);
        return decision with { CreditNote = note, Events = events };
    }

    /// <summary>The error a store throws when a new credit note's id is already used by a note of another invoice.</summary>
    public static MeteringException CreditNoteIdTaken(string creditNoteId) =>
        new(MeteringErrorCode.AlreadyExists, $"Credit note id '{creditNoteId}' is already used by a credit note of another invoice; give each credit note its own id, or leave it null for a new one.");

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

    /// <summary>The events with the <see cref="InvoiceEventPayload"/>s of <paramref name="invoiceId"/> numbered <paramref name="number"/>.</summary>
    private static BillingEvent[] WithInvoiceEventNumbers(IReadOnlyList<BillingEvent> events, string invoiceId, long number) =>
        WithPayloads(events, p => p is InvoiceEventPayload payload && string.Equals(payload.InvoiceId, invoiceId, StringComparison.Ordinal)
            ? payload with { Number = number }
            : null);

    /// <summary>The events, each with the payload <paramref name="replace"/> gives for it (null: unchanged).</summary>
    private static BillingEvent[] WithPayloads(IReadOnlyList<BillingEvent> events, Func<BillingEventPayload, BillingEventPayload?> replace)
    {
        var result = new BillingEvent[events.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var e = events[i];
            result[i] = replace(e.Payload) is { } payload ? new BillingEvent(e.EventId, e.Type, e.CustomerId, e.SubjectId, e.OccurredAt, payload) : e;
        }

        return result;
    }
}
