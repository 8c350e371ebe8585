using System.Globalization;
using Metering.Sqlite.Serialization;
using Metering.Sqlite.Storage;
using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite;

/// <summary>Subscriptions due, period close (through the writer) and invoices.</summary>
public sealed partial class SqliteMeteringStore
{
    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken)
    {
        var end = Nanos(periodEndAtOrBefore);
        return ReadAsync<IReadOnlyList<string>>(
            c => StatementCache.Get(
                    c,
                    "SELECT subscription_id FROM subscriptions WHERE ended_at IS NULL AND current_period_end <= $end ORDER BY current_period_end, subscription_id LIMIT $limit",
                    "$end",
                    "$limit")
                .With(end, limit)
                .Strings(),
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return WriteAsync(w => w.ClosePeriod(subscriptionId, expectedPeriodStart, plan, decide), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken) =>
        ReadAsync(c => StoreQueries.LoadInvoice(c, invoiceId), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var before = PageCursor.Decode(cursor, long.MaxValue);
        return ReadAsync(
            c =>
            {
                var invoices = StatementCache.Get(
                        c,
                        "SELECT data FROM invoices WHERE customer_id = $c AND number < $before ORDER BY number DESC LIMIT $take",
                        "$c",
                        "$before",
                        "$take")
                    .With(customerId, before, limit + 1)
                    .Strings()
                    .ConvertAll(StoreDocuments.ToInvoice);
                return PageOf(invoices, limit, i => i.Number.ToString(CultureInfo.InvariantCulture));
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesByStatusAsync(InvoiceStatus status, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var after = PageCursor.Decode(cursor, 0);
        return ReadAsync(
            c =>
            {
                // The status is read from the document with the expression index ix_invoices_status (schema 8) uses.
                var invoices = StatementCache.Get(
                        c,
                        "SELECT data FROM invoices WHERE json_extract(data, '$.Status') = $s AND number > $after ORDER BY number LIMIT $take",
                        "$s",
                        "$after",
                        "$take")
                    .With(status.ToString(), after, limit + 1)
                    .Strings()
                    .ConvertAll(StoreDocuments.ToInvoice);
                return PageOf(invoices, limit, i => i.Number.ToString(CultureInfo.InvariantCulture));
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<long> CountInvoicesAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAsync(c => (long)StatementCache.Get(c, "SELECT COUNT(*) FROM invoices WHERE customer_id = $c", "$c").With(customerId).ExecuteScalar()!, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transition);
        return WriteAsync(w => w.UpdateInvoice(invoiceId, transition), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<CreditNoteResult?> IssueCreditNoteAsync(string invoiceId, Func<CreditNoteContext, CreditNoteDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoiceId);
        ArgumentNullException.ThrowIfNull(decide);
        return WriteAsync(w => w.IssueCreditNote(invoiceId, decide), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<InvoiceRegeneration?> RegenerateInvoiceAsync(string invoiceId, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoiceId);
        ArgumentNullException.ThrowIfNull(decide);
        return WriteAsync(w => w.RegenerateInvoice(invoiceId, decide), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Invoice?> AdjustPeriodAsync(string subscriptionId, Instant periodStart, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentNullException.ThrowIfNull(decide);
        return WriteAsync(w => w.AdjustPeriod(subscriptionId, periodStart, decide), 1, true, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask MarkPendingAdjustmentsAsync(IReadOnlyList<PendingAdjustment> markers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(markers);
        if (markers.Count > 0)
        {
            await WriteAsync(w => w.MarkPendingAdjustments(markers), 1, true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingAdjustment>> ListPendingAdjustmentsAsync(Instant createdBefore, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<PendingAdjustment>>(
            c =>
            {
                var command = StatementCache.Get(c, "SELECT subscription_id, period_start, reason, created_at FROM pending_adjustments WHERE created_at < $b ORDER BY created_at, subscription_id, period_start LIMIT $l", "$b", "$l")
                    .With(SqliteValues.Nanos(createdBefore), limit);
                var markers = new List<PendingAdjustment>();
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    markers.Add(new PendingAdjustment(reader.GetString(0), SqliteValues.Instant(reader.GetInt64(1)), reader.GetString(2), SqliteValues.Instant(reader.GetInt64(3))));
                }

                return markers;
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<CreditNote?> FindCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken) =>
        ReadAsync(c => StoreQueries.LoadCreditNote(c, creditNoteId), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? invoiceId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var before = PageCursor.Decode(cursor, long.MaxValue);
        return ReadAsync(
            c =>
            {
                var notes = (invoiceId is null
                        ? StatementCache.Get(c, "SELECT data FROM credit_notes WHERE customer_id = $c AND number < $before ORDER BY number DESC LIMIT $take", "$c", "$before", "$take")
                            .With(customerId, before, limit + 1)
                        : StatementCache.Get(c, "SELECT data FROM credit_notes WHERE customer_id = $c AND invoice_id = $i AND number < $before ORDER BY number DESC LIMIT $take", "$c", "$i", "$before", "$take")
                            .With(customerId, invoiceId, before, limit + 1))
                    .Strings()
                    .ConvertAll(StoreDocuments.ToCreditNote);
                return PageOf(notes, limit, n => n.Number.ToString(CultureInfo.InvariantCulture));
            },
            cancellationToken);
    }
}
