using System.Globalization;
using System.Text;

namespace Metering.Storage.Conformance.Hostile;

/// <summary>
/// Everything a store holds about a known set of customers, as one canonical text: customers, their subscriptions,
/// every usage period's raw records and aggregates, invoices, credit ledgers, and the length of the event log.
/// Two snapshots taken around a rejected call must be equal (nothing stored on rejection).
/// </summary>
public static class StoreSnapshot
{
    /// <summary>Reads the store directly (not through caches) for <paramref name="customerIds"/>, which must be well-formed ids.</summary>
    public static async Task<string> TakeAsync(IMeteringStore store, IEnumerable<string> customerIds)
    {
        var text = new StringBuilder();
        var none = CancellationToken.None;
        foreach (var customerId in customerIds.Order(StringComparer.Ordinal))
        {
            var customer = await store.FindCustomerAsync(customerId, none);
            text.Append("customer ").Append(Escape(customerId)).Append(": ")
                .Append(customer is null ? "none" : $"{Escape(customer.Name)} {customer.TimeZoneId} {customer.CreatedAt}").Append('\n');
            if (customer is null)
            {
                continue;
            }

            foreach (var subscription in await store.ListSubscriptionsAsync(customerId, none))
            {
                text.Append(Describe(subscription)).Append('\n');
                await AppendUsageAsync(text, store, subscription.SubscriptionId);
            }

            string? cursor = null;
            do
            {
                var page = await store.ListInvoicesAsync(customerId, cursor, 100, none);
                foreach (var invoice in page.Items)
                {
                    text.Append(Invariant($"  invoice {invoice.InvoiceId} #{invoice.Number} {invoice.Status} {invoice.Period} {invoice.Total} lines={invoice.Content.Lines.Count}\n"));
                }

                cursor = page.NextCursor;
            }
            while (cursor is not null);

            var ledger = await store.LoadLedgerAsync(customerId, none);
            foreach (var grant in ledger.Grants)
            {
                text.Append(Invariant($"  grant {Escape(grant.GrantId)} {grant.Amount} {grant.Category} p{grant.Priority} {grant.EffectiveAt}..{grant.ExpiresAt} {Escape(grant.Name)} {Metadata(grant.Metadata)}\n"));
            }

            foreach (var transaction in ledger.Transactions)
            {
                text.Append(Invariant($"  credit {transaction.Sequence} {transaction.Type} {Escape(transaction.GrantId)} {transaction.Amount} {transaction.At} {Escape(transaction.UsageIdempotencyKey)}\n"));
            }
        }

        var events = await store.ReadAllEventsAsync();
        text.Append(Invariant($"events {events.Count}\n"));
        return text.ToString();
    }

    /// <summary>A subscription as one line, seat assignments included.</summary>
    public static string Describe(Subscription s) =>
        Invariant($"  subscription {Escape(s.SubscriptionId)} {s.PlanKey} v{s.PlanVersion} {s.CurrentPeriod} start={s.StartedAt} seats={s.Seats} [{string.Join(",", s.SeatAssignments.Select(Escape))}] cancelAt={s.CancelAt} ended={s.EndedAt} rev={s.Revision}");

    private static async Task AppendUsageAsync(StringBuilder text, IMeteringStore store, string subscriptionId)
    {
        string? cursor = null;
        do
        {
            var page = await store.ListUsagePeriodsAsync(subscriptionId, cursor, 100, CancellationToken.None);
            foreach (var periodStart in page.Items)
            {
                text.Append(Invariant($"    period {periodStart}\n"));
                foreach (var aggregate in (await store.GetAggregatesAsync(subscriptionId, periodStart, CancellationToken.None)).OrderBy(a => a.Key))
                {
                    text.Append(Invariant($"      aggregate {aggregate.Key.Value} q={aggregate.Aggregate.Quantity} v={aggregate.Aggregate.Value}\n"));
                }

                await foreach (var record in store.ReadUsageRecordsAsync(subscriptionId, periodStart, CancellationToken.None))
                {
                    text.Append(Invariant($"      record {Escape(record.IdempotencyKey)} {Escape(record.CustomerId)} {record.MeterKey} {record.Quantity} {record.Timestamp} {record.Action} {Metadata(record.Properties)}\n"));
                }
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    private static string Metadata(IReadOnlyDictionary<string, string>? values) =>
        values is null ? "{}" : "{" + string.Join(",", values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Escape(p.Key) + "=" + Escape(p.Value))) + "}";

    // Huge values are summarized by length and a content hash, so a diff stays readable.
    private static string Escape(string? value) =>
        value is null ? "null"
        : value.Length > 200 ? Invariant($"<{value.Length} chars #{string.GetHashCode(value, StringComparison.Ordinal):X8}>")
        : HostileText.Escape(value);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
