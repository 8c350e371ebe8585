namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    /// <inheritdoc/>
    public ValueTask<InvoiceRegeneration?> RegenerateInvoiceAsync(string invoiceId, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoiceId);
        ArgumentNullException.ThrowIfNull(decide);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_invoices.TryGetValue(invoiceId, out var current))
            {
                return new((InvoiceRegeneration?)null);
            }

            var subscription = _subscriptions.GetValueOrDefault(current.SubscriptionId)?.Subscription
                ?? throw new InvalidOperationException($"Invoice '{invoiceId}' belongs to subscription '{current.SubscriptionId}', which is not stored.");
            var ledger = LedgerOf(current.CustomerId);
            var context = new InvoiceRegenerationContext(current, subscription, AggregatesOf(current.SubscriptionId, current.Period.Start), ledger)
            {
                Adjustments = [.. _invoicesByCustomer[current.CustomerId].Select(id => _invoices[id])
                    .Where(i => i.Reason == InvoiceReason.Adjustment && string.Equals(i.SubscriptionId, current.SubscriptionId, StringComparison.Ordinal) && i.Period.Start == current.Period.Start)
                    .OrderBy(i => i.Number)],
            };

            // Everything that can throw runs before the first write, so a refused regeneration uses no number.
            var decided = StoreChangeRules.DecideRegeneration(context, decide);
            if (_invoices.ContainsKey(decided.Replacement.InvoiceId))
            {
                throw new InvalidOperationException($"Invoice id '{decided.Replacement.InvoiceId}' of the replacement of '{invoiceId}' is already used.");
            }

            var decision = StoreChangeRules.WithReplacementNumber(decided, ++_lastInvoiceNumber);
            var replacement = decision.Replacement;
            _invoices[invoiceId] = decision.Voided;
            foreach (var adjustment in decision.VoidedAdjustments)
            {
                _invoices[adjustment.InvoiceId] = adjustment;
            }

            _invoices.Add(replacement.InvoiceId, replacement);
            _invoicesByCustomer[replacement.CustomerId].Add(replacement.InvoiceId);
            if (decision.LedgerAfter is { } ledgerAfter)
            {
                _ledgers[current.CustomerId] = ledgerAfter;
            }

            AppendEvents(decision.Events);
            return new(new InvoiceRegeneration(decision.Voided, replacement) { VoidedAdjustments = decision.VoidedAdjustments });
        }
    }
}
