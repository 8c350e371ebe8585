using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's period adjustment (backfill): the adjustment invoice and its events in one request.</summary>
internal sealed partial class SqliteWriter
{
    public Invoice? AdjustPeriod(string subscriptionId, Instant periodStart, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide)
    {
        long start = Nanos(periodStart);
        if (GetSubscription(subscriptionId) is not { } subscription)
        {
            DeletePendingAdjustment(subscriptionId, start);
            return null;
        }

        var invoices = Sql("SELECT data FROM invoices WHERE subscription_id = $s AND period_start = $p ORDER BY number", "$s", "$p")
            .With(subscriptionId, start)
            .Strings()
            .ConvertAll(StoreDocuments.ToInvoice);
        var aggregates = _aggregates.GetPeriod(new PeriodKey(subscriptionId, start)).Values
            .Where(e => !e.Value.IsEmpty)
            .Select(e => new StoredAggregate(e.Key, e.Value))
            .OrderBy(a => a.Key)
            .ToArray();

        // The single writer runs one request at a time: the invoices read here are all there are, and MAX + 1 is the
        // next gap-free number.
        var notes = Sql("SELECT n.data FROM credit_notes n JOIN invoices i ON i.invoice_id = n.invoice_id WHERE i.subscription_id = $s AND i.period_start = $p ORDER BY n.number", "$s", "$p")
            .With(subscriptionId, start)
            .Strings()
            .ConvertAll(StoreDocuments.ToCreditNote);
        var context = new PeriodAdjustmentContext(subscription, periodStart, invoices, aggregates) { CreditNotes = notes };
        var decided = StoreChangeRules.DecideAdjustment(context, decide);

        DeletePendingAdjustment(subscriptionId, start);

        // A negative difference: its notes are written as IssueCreditNote writes a note (a failure rolls the request back).
        foreach (var noteDecision in decided.CreditNotes)
        {
            var invoice = invoices.Find(i => string.Equals(i.InvoiceId, noteDecision.CreditNote.InvoiceId, StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"An adjustment decision credited invoice '{noteDecision.CreditNote.InvoiceId}', which is not an invoice of subscription '{subscriptionId}' period {periodStart}.");
            var issued = notes.FindAll(n => string.Equals(n.InvoiceId, invoice.InvoiceId, StringComparison.Ordinal));
            WriteCreditNote(StoreChangeRules.DecideCreditNote(new CreditNoteContext(invoice, issued), _ => noteDecision));
        }

        if (decided.Adjustment is null)
        {
            return null;
        }

        var number = (_nextInvoiceNumber ??= Prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM invoices")).ExecuteInt64()!.Value;
        var decision = StoreChangeRules.WithAdjustmentNumber(decided, number);
        var adjustment = decision.Adjustment!;
        Sql("INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data, adjusts) VALUES ($i, $n, $s, $c, $p, $d, $a)", "$i", "$n", "$s", "$c", "$p", "$d", "$a")
            .With(adjustment.InvoiceId, number, adjustment.SubscriptionId, adjustment.CustomerId, start, StoreDocuments.Json(adjustment), adjustment.AdjustsInvoiceId)
            .ExecuteNonQuery();
        AppendEvents(decision.Events);
        return adjustment;
    }
}
