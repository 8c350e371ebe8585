using System.Globalization;

namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return new(Array.Empty<string>());
        }

        lock (_gate)
        {
            // The first `limit` due subscriptions by (period end, id), kept in a bounded max-heap: one pass over all
            // subscriptions, O(n log limit), instead of sorting every due subscription on every call of the closer.
            var firstDue = new PriorityQueue<Subscription, Subscription>(limit + 1, DueOrder.Descending);
            foreach (var state in _subscriptions.Values)
            {
                var subscription = state.Subscription;
                if (subscription.EndedAt is not null || subscription.CurrentPeriod.End > periodEndAtOrBefore)
                {
                    continue;
                }

                if (firstDue.Count < limit)
                {
                    firstDue.Enqueue(subscription, subscription);
                }
                else if (DueOrder.Ascending.Compare(subscription, firstDue.Peek()) < 0)
                {
                    firstDue.EnqueueDequeue(subscription, subscription);
                }
            }

            var due = new string[firstDue.Count];
            for (int i = due.Length - 1; i >= 0; i--)
            {
                due[i] = firstDue.Dequeue().SubscriptionId;
            }

            return new(due);
        }
    }

    /// <inheritdoc/>
    public ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var state = _subscriptions.GetValueOrDefault(subscriptionId);
            var subscription = state?.Subscription;
            if (StoreChangeRules.CheckClose(subscription, expectedPeriodStart, plan, _invoicedPeriods.Contains((subscriptionId, expectedPeriodStart))) is { } status)
            {
                return new(new PeriodCloseResult(status, null, subscription));
            }

            var ledger = LedgerOf(subscription!.CustomerId);
            var decided = StoreChangeRules.DecideClose(new PeriodCloseContext(subscription, plan, AggregatesOf(subscriptionId, expectedPeriodStart), ledger), decide);
            if (decided.Invoice is null)
            {
                // A credit rate card's period: no invoice and no number; the period closes all the same.
                state!.ClosedPeriods.Add(expectedPeriodStart);
                state.Subscription = decided.Next;
                AppendEvents(decided.Events);
                return new(new PeriodCloseResult(PeriodCloseStatus.Closed, null, decided.Next));
            }

            var decision = StoreChangeRules.WithInvoiceNumber(decided, ++_lastInvoiceNumber);
            var invoice = decision.Invoice!;
            _invoices.Add(invoice.InvoiceId, invoice);
            _invoicedPeriods.Add((subscriptionId, expectedPeriodStart));
            if (!_invoicesByCustomer.TryGetValue(invoice.CustomerId, out var customerInvoices))
            {
                _invoicesByCustomer[invoice.CustomerId] = customerInvoices = [];
            }

            customerInvoices.Add(invoice.InvoiceId);
            state!.ClosedPeriods.Add(expectedPeriodStart);
            state.Subscription = decision.Next;
            if (decision.LedgerAfter is { } ledgerAfter)
            {
                _ledgers[subscription.CustomerId] = ledgerAfter;
            }

            AppendEvents(decision.Events);
            return new(new PeriodCloseResult(PeriodCloseStatus.Closed, invoice, decision.Next));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_invoices.GetValueOrDefault(invoiceId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var before = PageCursor.Decode(cursor, long.MaxValue);
            var invoices = (_invoicesByCustomer.GetValueOrDefault(customerId) ?? [])
                .Select(id => _invoices[id])
                .Where(i => i.Number < before)
                .OrderByDescending(i => i.Number)
                .Take(limit + 1)
                .ToList();
            return new(PageOf(invoices, limit, i => i.Number.ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesByStatusAsync(InvoiceStatus status, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            var after = PageCursor.Decode(cursor, 0);
            var invoices = _invoices.Values
                .Where(i => i.Status == status && i.Number > after)
                .OrderBy(i => i.Number)
                .Take(limit + 1)
                .ToList();
            return new(PageOf(invoices, limit, i => i.Number.ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<long> CountInvoicesAsync(string customerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_invoicesByCustomer.GetValueOrDefault(customerId)?.Count ?? 0);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_invoices.TryGetValue(invoiceId, out var current))
            {
                return new((Invoice?)null);
            }

            var change = StoreChangeRules.DecideInvoiceTransition(current, transition);
            if (change.LedgerChange is { } ledgerChange)
            {
                var ledger = StoreChangeRules.DecideLedgerChange(LedgerOf(current.CustomerId), ledgerChange);
                _ledgers[current.CustomerId] = ledger.Updated;
                AppendEvents(ledger.Events);
            }

            _invoices[invoiceId] = change.Updated;
            AppendEvents(change.Events);
            return new(change.Updated);
        }
    }

    /// <summary>Order in which due periods are closed: earliest period end first, then subscription id (ordinal).</summary>
    private sealed class DueOrder(int sign) : IComparer<Subscription>
    {
        public static readonly DueOrder Ascending = new(1);
        public static readonly DueOrder Descending = new(-1);

        public int Compare(Subscription? x, Subscription? y)
        {
            int byEnd = x!.CurrentPeriod.End.CompareTo(y!.CurrentPeriod.End);
            return sign * (byEnd != 0 ? byEnd : string.CompareOrdinal(x.SubscriptionId, y.SubscriptionId));
        }
    }
}
