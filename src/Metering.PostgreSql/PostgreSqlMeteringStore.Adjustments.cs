using Metering.Storage;
using Npgsql;

namespace Metering.PostgreSql;

/// <summary>Period adjustments (backfill): under the subscription's row lock, numbered from the invoice counter row.</summary>
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// Locks the subscription row <c>FOR UPDATE</c> (as a period close does; a concurrent adjustment of the same
    /// subscription waits there and then reads the invoices this one wrote), locks and reads the period's invoices and
    /// their credit notes, reads its aggregates, writes the credit notes of a negative difference as
    /// <see cref="IssueCreditNoteAsync"/> does, and takes the adjustment's number from the <c>invoice</c> counter row in this transaction, so numbers have no gaps.
    /// The row's <c>adjusts</c> column keeps it out of the one-live-invoice-per-period index (migration 0008).
    /// </remarks>
    public async ValueTask<Invoice?> AdjustPeriodAsync(string subscriptionId, Instant periodStart, Func<PeriodAdjustmentContext, PeriodAdjustmentDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentNullException.ThrowIfNull(decide);
        CreditLedger? ledgerAfter = null;
        var result = await InTransactionAsync(
            async (connection, transaction) =>
            {
                ledgerAfter = null;
                if (await LockSubscriptionAsync(connection, transaction, subscriptionId, cancellationToken).ConfigureAwait(false) is not { } subscription)
                {
                    await DeletePendingAdjustmentAsync(connection, transaction, subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
                    return null;
                }

                // The period's invoices are locked too: a credit note issued on one of them at the same time waits here.
                var invoices = await ReadPeriodInvoicesAsync(connection, transaction, subscriptionId, periodStart, cancellationToken, _sql.LockPeriodInvoices).ConfigureAwait(false);
                var notes = await ReadCreditNotesAsync(connection, transaction, _sql.PeriodCreditNotes, [Text(subscriptionId), P(Instants.Nanos(periodStart))], cancellationToken).ConfigureAwait(false);
                var aggregates = await ReadAggregatesAsync(connection, transaction, subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
                var context = new PeriodAdjustmentContext(subscription, periodStart, invoices, aggregates) { CreditNotes = notes };
                var decided = StoreChangeRules.DecideAdjustment(context, decide);

                await DeletePendingAdjustmentAsync(connection, transaction, subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);

                // A negative difference: its notes are written as IssueCreditNoteAsync writes a note.
                foreach (var noteDecision in decided.CreditNotes)
                {
                    var invoice = invoices.Find(i => string.Equals(i.InvoiceId, noteDecision.CreditNote.InvoiceId, StringComparison.Ordinal))
                        ?? throw new InvalidOperationException($"An adjustment decision credited invoice '{noteDecision.CreditNote.InvoiceId}', which is not an invoice of subscription '{subscriptionId}' period {periodStart}.");
                    var issued = notes.FindAll(n => string.Equals(n.InvoiceId, invoice.InvoiceId, StringComparison.Ordinal));
                    var (_, changed) = await WriteCreditNoteAsync(connection, transaction, StoreChangeRules.DecideCreditNote(new CreditNoteContext(invoice, issued), _ => noteDecision), cancellationToken).ConfigureAwait(false);
                    ledgerAfter = changed ?? ledgerAfter;
                }

                if (decided.Adjustment is null)
                {
                    return (Invoice?)null;
                }

                var number = await NextInvoiceNumberAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                var decision = StoreChangeRules.WithAdjustmentNumber(decided, number);
                var adjustment = decision.Adjustment!;
                await using (var insert = Command(connection, transaction, _sql.InsertAdjustment))
                {
                    insert.Parameters.Add(Text(adjustment.InvoiceId));
                    insert.Parameters.Add(P(number));
                    insert.Parameters.Add(Text(adjustment.SubscriptionId));
                    insert.Parameters.Add(P(Instants.Nanos(periodStart)));
                    insert.Parameters.Add(Text(adjustment.CustomerId));
                    insert.Parameters.Add(Json(StoreDocuments.Json(adjustment)));
                    insert.Parameters.Add(Text(adjustment.AdjustsInvoiceId!));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await AppendEventsAsync(connection, transaction, decision.Events, cancellationToken).ConfigureAwait(false);
                return adjustment;
            },
            cancellationToken).ConfigureAwait(false);
        if (ledgerAfter is not null)
        {
            CacheLedger(ledgerAfter);
        }

        return result;
    }

    /// <summary>Every invoice of one subscription period, in number order.</summary>
    private async Task<List<Invoice>> ReadPeriodInvoicesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string subscriptionId, Instant periodStart, CancellationToken cancellationToken, string? sql = null)
    {
        var invoices = new List<Invoice>();
        await using var read = Command(connection, transaction, sql ?? _sql.PeriodInvoices);
        read.Parameters.Add(Text(subscriptionId));
        read.Parameters.Add(P(Instants.Nanos(periodStart)));
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            invoices.Add(StoreDocuments.ToInvoice(reader.GetString(0)));
        }

        return invoices;
    }
}
