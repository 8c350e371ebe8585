namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    /// <inheritdoc/>
    public ValueTask<Invoice?> AdjustPeriodAsync(string subscriptionId, Instant periodStart, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentNullException.ThrowIfNull(decide);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_subscriptions.GetValueOrDefault(subscriptionId)?.Subscription is not { } subscription)
            {
                _pendingAdjustments.Remove((subscriptionId, periodStart));
                return new((Invoice?)null);
            }

            var invoices = _invoicesByCustomer.GetValueOrDefault(subscription.CustomerId) is { } ids
                ? ids.Select(id => _invoices[id])
                    .Where(i => string.Equals(i.SubscriptionId, subscriptionId, StringComparison.Ordinal) && i.Period.Start == periodStart)
                    .OrderBy(i => i.Number)
                    .ToArray()
                : [];
            var context = new PeriodAdjustmentContext(subscription, periodStart, invoices, AggregatesOf(subscriptionId, periodStart))
            {
                CreditNotes = [.. NotesOf(subscription.CustomerId).Where(n => invoices.Any(i => string.Equals(i.InvoiceId, n.InvoiceId, StringComparison.Ordinal)))],
            };

            // Everything that can throw runs before the first write, so a refused adjustment uses no number.
            var decided = StoreChangeRules.DecideAdjustment(context, decide);
            var notes = new List<(CreditNoteDecision Decision, LedgerChange? Ledger)>();
            var ledger = LedgerOf(subscription.CustomerId);
            foreach (var noteDecision in decided.CreditNotes)
            {
                var invoice = invoices.FirstOrDefault(i => string.Equals(i.InvoiceId, noteDecision.CreditNote.InvoiceId, StringComparison.Ordinal))
                    ?? throw new InvalidOperationException($"An adjustment decision credited invoice '{noteDecision.CreditNote.InvoiceId}', which is not an invoice of subscription '{subscriptionId}' period {periodStart}.");
                var noteDecided = DecideCreditNote(invoice, [.. context.CreditNotes.Where(n => string.Equals(n.InvoiceId, invoice.InvoiceId, StringComparison.Ordinal))], _ => noteDecision);
                LedgerChange? change = noteDecided.LedgerChange is { } ledgerChange ? StoreChangeRules.DecideLedgerChange(ledger, ledgerChange) : null;
                ledger = change?.Updated ?? ledger;
                notes.Add((noteDecided, change));
            }

            _pendingAdjustments.Remove((subscriptionId, periodStart));
            foreach (var (noteDecision, change) in notes)
            {
                WriteCreditNote(noteDecision, change);
            }

            if (decided.Adjustment is null)
            {
                return new((Invoice?)null);
            }

            var decision = StoreChangeRules.WithAdjustmentNumber(decided, ++_lastInvoiceNumber);
            var adjustment = decision.Adjustment!;
            _invoices.Add(adjustment.InvoiceId, adjustment);
            _invoicesByCustomer[adjustment.CustomerId].Add(adjustment.InvoiceId);
            AppendEvents(decision.Events);
            return new(adjustment);
        }
    }
}
