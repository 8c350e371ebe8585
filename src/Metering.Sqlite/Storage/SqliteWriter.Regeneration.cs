using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's void-and-regenerate: the voided invoice, its replacement, the ledger and the events in one request.</summary>
internal sealed partial class SqliteWriter
{
    public InvoiceRegeneration? RegenerateInvoice(string invoiceId, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide)
    {
        var current = StoreQueries.LoadInvoice(_connection, invoiceId);
        if (current is null)
        {
            return null;
        }

        var subscription = GetSubscription(current.SubscriptionId)
            ?? throw new InvalidOperationException($"Invoice '{invoiceId}' belongs to subscription '{current.SubscriptionId}', which is not stored.");
        long periodStart = Nanos(current.Period.Start);
        var aggregates = _aggregates.GetPeriod(new PeriodKey(current.SubscriptionId, periodStart)).Values
            .Where(e => !e.Value.IsEmpty)
            .Select(e => new StoredAggregate(e.Key, e.Value))
            .OrderBy(a => a.Key)
            .ToArray();
        var ledger = GetLedger(current.CustomerId);
        var adjustments = Sql("SELECT data FROM invoices WHERE subscription_id = $s AND period_start = $p AND adjusts IS NOT NULL ORDER BY number", "$s", "$p")
            .With(current.SubscriptionId, periodStart)
            .Strings()
            .ConvertAll(StoreDocuments.ToInvoice);
        var decided = StoreChangeRules.DecideRegeneration(new InvoiceRegenerationContext(current, subscription, aggregates, ledger) { Adjustments = adjustments }, decide);

        // The single writer runs one request at a time, so MAX + 1 inside its transaction is the next gap-free number.
        var number = (_nextInvoiceNumber ??= Prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM invoices")).ExecuteInt64()!.Value;
        var decision = StoreChangeRules.WithReplacementNumber(decided, number);
        var replacement = decision.Replacement;

        // The voided invoice leaves the period first: one live (not replaced) invoice per period (ux_invoices_live_period).
        Sql("UPDATE invoices SET data = $data, replaced_by = $by WHERE invoice_id = $id", "$data", "$by", "$id")
            .With(StoreDocuments.Json(decision.Voided), replacement.InvoiceId, invoiceId)
            .ExecuteNonQuery();
        foreach (var adjustment in decision.VoidedAdjustments)
        {
            Sql("UPDATE invoices SET data = $data WHERE invoice_id = $id", "$data", "$id")
                .With(StoreDocuments.Json(adjustment), adjustment.InvoiceId)
                .ExecuteNonQuery();
        }

        var insertInvoice = _insertInvoice ??= Prepare(
            "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        insertInvoice.Bind(1, replacement.InvoiceId);
        insertInvoice.Bind(2, number);
        insertInvoice.Bind(3, replacement.SubscriptionId);
        insertInvoice.Bind(4, replacement.CustomerId);
        insertInvoice.Bind(5, periodStart);
        insertInvoice.Bind(6, StoreDocuments.Json(replacement));
        insertInvoice.Execute();
        if (decision.LedgerAfter is { } ledgerAfter)
        {
            PersistLedger(ledger, ledgerAfter);
        }

        AppendEvents(decision.Events);
        return new InvoiceRegeneration(decision.Voided, replacement) { VoidedAdjustments = decision.VoidedAdjustments };
    }
}
