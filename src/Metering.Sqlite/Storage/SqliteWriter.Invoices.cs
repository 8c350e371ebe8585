using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's period close (invoice, next period, ledger, events in one request) and invoice updates.</summary>
internal sealed partial class SqliteWriter
{
    private RawStatement? _countInvoices;
    private RawStatement? _nextInvoiceNumber;
    private RawStatement? _insertInvoice;

    public PeriodCloseResult ClosePeriod(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide)
    {
        var subscription = GetSubscription(subscriptionId);
        long periodStart = Nanos(expectedPeriodStart);
        if (StoreChangeRules.CheckClose(subscription, expectedPeriodStart, plan, subscription is not null && CountInvoices(subscriptionId, periodStart) > 0) is { } status)
        {
            return new PeriodCloseResult(status, null, subscription);
        }

        var ledger = GetLedger(subscription!.CustomerId);
        var aggregates = _aggregates.GetPeriod(new PeriodKey(subscriptionId, periodStart)).Values
            .Where(e => !e.Value.IsEmpty)
            .Select(e => new StoredAggregate(e.Key, e.Value))
            .OrderBy(a => a.Key)
            .ToArray();
        var decided = StoreChangeRules.DecideClose(new PeriodCloseContext(subscription, plan, aggregates, ledger), decide);
        if (decided.Invoice is null)
        {
            // A credit rate card's period: no invoice and no number; the period closes all the same.
            StoreSubscription(decided.Next);
            AppendEvents(decided.Events);
            return new PeriodCloseResult(PeriodCloseStatus.Closed, null, decided.Next);
        }

        var number = (_nextInvoiceNumber ??= Prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM invoices")).ExecuteInt64()!.Value;
        var decision = StoreChangeRules.WithInvoiceNumber(decided, number);
        var invoice = decision.Invoice!;
        var insertInvoice = _insertInvoice ??= Prepare(
            "INSERT INTO invoices (invoice_id, number, subscription_id, customer_id, period_start, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        insertInvoice.Bind(1, invoice.InvoiceId);
        insertInvoice.Bind(2, number);
        insertInvoice.Bind(3, subscriptionId);
        insertInvoice.Bind(4, invoice.CustomerId);
        insertInvoice.Bind(5, periodStart);
        insertInvoice.Bind(6, StoreDocuments.Json(invoice));
        insertInvoice.Execute();
        StoreSubscription(decision.Next);
        if (decision.LedgerAfter is { } ledgerAfter)
        {
            PersistLedger(ledger, ledgerAfter);
        }

        AppendEvents(decision.Events);
        return new PeriodCloseResult(PeriodCloseStatus.Closed, invoice, decision.Next);
    }

    public Invoice? UpdateInvoice(string invoiceId, Func<Invoice, InvoiceTransition> transition)
    {
        var current = StoreQueries.LoadInvoice(_connection, invoiceId);
        if (current is null)
        {
            return null;
        }

        var change = StoreChangeRules.DecideInvoiceTransition(current, transition);
        if (change.LedgerChange is { } ledgerChange)
        {
            var ledger = GetLedger(current.CustomerId);
            var changed = StoreChangeRules.DecideLedgerChange(ledger, ledgerChange);
            PersistLedger(ledger, changed.Updated);
            AppendEvents(changed.Events);
        }

        Sql("UPDATE invoices SET data = $data WHERE invoice_id = $id", "$data", "$id")
            .With(StoreDocuments.Json(change.Updated), invoiceId)
            .ExecuteNonQuery();
        AppendEvents(change.Events);
        return change.Updated;
    }

    private long CountInvoices(string subscriptionId, long periodStart)
    {
        var count = _countInvoices ??= Prepare("SELECT COUNT(*) FROM invoices WHERE subscription_id = ?1 AND period_start = ?2");
        count.Bind(1, subscriptionId);
        count.Bind(2, periodStart);
        return count.ExecuteInt64() ?? 0;
    }
}
