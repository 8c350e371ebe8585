namespace Metering.Storage.Conformance.Simulation;

/// <summary>The invariants checked against the oracle while the workload runs.</summary>
public sealed partial class SimulationDriver
{
    /// <summary>
    /// Every invoice equals the oracle's (period, plan, total, billable quantities) and lines add up to the total;
    /// each period is invoiced once; open-period usage equals the oracle's; credit balances equal the oracle's ledger
    /// and the stored ledger holds its invariants; the reconciler finds every usage period consistent.
    /// </summary>
    private async Task CheckAsync()
    {
        _faults.Enabled = false;
        try
        {
            foreach (var customerId in _customers)
            {
                await CheckInvoicesAsync(customerId);
                await CheckCreditsAsync(customerId);
            }

            foreach (var subscription in _oracle.Subscriptions)
            {
                await CheckUsageAsync(subscription);
            }
        }
        finally
        {
            _faults.Enabled = true;
        }
    }

    private async Task CheckInvoicesAsync(string customerId)
    {
        var invoices = new List<Invoice>();
        string? cursor = null;
        do
        {
            var page = await _billing.Invoices.ListAsync(customerId, cursor, 100);
            invoices.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        invoices.Select(i => (i.SubscriptionId, i.Period.Start)).Should().OnlyHaveUniqueItems($"each period of {customerId} is invoiced once");
        var expected = _oracle.Invoices.Where(i => _oracle.Customers[customerId]?.SubscriptionId == i.SubscriptionId).ToList();
        invoices.Select(i => $"{i.SubscriptionId} {i.Period.Start}").Should().BeEquivalentTo(expected.Select(i => $"{i.SubscriptionId} {i.Start}"), $"the invoices of {customerId}");
        foreach (var want in expected)
        {
            var invoice = invoices.Single(i => i.SubscriptionId == want.SubscriptionId && i.Period.Start == want.Start);
            var what = $"invoice {invoice.InvoiceId} of {want.SubscriptionId} for [{want.Start}, {want.End})";
            invoice.Period.End.Should().Be(want.End, what);
            invoice.PlanKey.Should().Be(want.PlanKey, what);
            invoice.Content.Lines.Sum(l => l.Amount.Amount).Should().Be(invoice.Total.Amount, $"{what}: lines add up to the total");
            foreach (var (meterKey, quantity) in want.Quantities)
            {
                var line = invoice.Content.Lines.SingleOrDefault(l => l.Kind == InvoiceLineKind.Usage && l.ChargeKey == meterKey);
                (line?.Quantity ?? 0m).Should().Be(quantity, $"{what}: billable {meterKey}");
            }

            invoice.Total.Amount.Should().Be(want.Total, $"{what}: total priced by hand");
        }
    }

    private async Task CheckCreditsAsync(string customerId)
    {
        var ledger = await _billing.Store.LoadLedgerAsync(customerId, CancellationToken.None);
        ledger.FindViolations().Should().BeEmpty($"the ledger of {customerId} holds its invariants");
        if (!_oracle.Credits.TryGetValue(customerId, out var credits))
        {
            return;
        }

        var (granted, consumed, voided, remaining) = credits.BalanceAt(Now);
        var balance = (await _billing.Credits.GetBalancesAsync(customerId)).Single(b => b.Unit == SimulationWorld.Credits);
        balance.Granted.Should().Be(granted, $"credits granted to {customerId}");
        balance.Consumed.Should().Be(consumed, $"credits consumed by {customerId}");
        balance.Voided.Should().Be(voided, $"credits voided for {customerId}");
        balance.Remaining.Should().Be(remaining, $"credits remaining for {customerId} at {Now}");

        // The balance equals its ledger: the sum of the transactions of the grants still usable now.
        var usable = ledger.Grants.Where(g => !g.IsExpiredAt(Now)).Select(g => g.GrantId).ToHashSet(StringComparer.Ordinal);
        ledger.Transactions.Where(t => usable.Contains(t.GrantId)).Sum(t => t.Effect).Should().Be(balance.Remaining, $"the balance of {customerId} is the sum of its ledger");
    }

    private async Task CheckUsageAsync(OracleSubscription subscription)
    {
        string? cursor = null;
        do
        {
            var page = await _billing.Store.ListUsagePeriodsAsync(subscription.SubscriptionId, cursor, 100, CancellationToken.None);
            foreach (var periodStart in page.Items)
            {
                var report = await _billing.Reconciler.ReconcileAsync(subscription.SubscriptionId, periodStart);
                report.IsConsistent.Should().BeTrue($"{subscription.SubscriptionId} period {periodStart} reconciles: {string.Join("; ", report.Differences)}");
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        if (subscription.EndedAt is null && subscription.CurrentStart <= Now && Now < subscription.CurrentEnd)
        {
            var current = await _billing.Usage.GetCurrentAsync(subscription.SubscriptionId);
            current.Period.Start.Should().Be(subscription.CurrentStart, $"{subscription.SubscriptionId}'s open period");
            var records = subscription.Buckets.GetValueOrDefault(subscription.CurrentStart) ?? [];
            foreach (var usage in current.Usage)
            {
                usage.Quantity.Should().Be(Oracle.Quantity(records, usage.MeterKey), $"{subscription.SubscriptionId}'s current {usage.MeterKey}");
            }
        }
    }
}
