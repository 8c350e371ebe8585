using System.Globalization;
using Metering.Storage;
using Npgsql;

namespace Metering.PostgreSql;

/// <summary>Credit notes: issued under the invoice's row lock, numbered from their own counter row.</summary>
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// Locks the invoice row <c>FOR UPDATE</c> (concurrent notes on one invoice queue there and each decides on what the
    /// one before left creditable), then the customer's ledger row when the note grants credits, then the
    /// <c>credit_note</c> counter row, whose update in this transaction gives the gap-free number. When the decision
    /// throws, nothing is stored and no number is used.
    /// </remarks>
    public async ValueTask<CreditNoteResult?> IssueCreditNoteAsync(string invoiceId, Func<CreditNoteContext, CreditNoteDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoiceId);
        ArgumentNullException.ThrowIfNull(decide);
        CreditLedger? ledgerAfter = null;
        var result = await InTransactionAsync(
            async (connection, transaction) =>
            {
                ledgerAfter = null;
                if (await LockInvoiceAsync(connection, transaction, invoiceId, cancellationToken).ConfigureAwait(false) is not { } current)
                {
                    return null;
                }

                var issued = await ReadCreditNotesAsync(connection, transaction, _sql.InvoiceCreditNotes, [Text(invoiceId)], cancellationToken).ConfigureAwait(false);
                var decided = StoreChangeRules.DecideCreditNote(new CreditNoteContext(current, issued), decide);
                if (decided.AlreadyIssued)
                {
                    return new CreditNoteResult(decided.CreditNote, current);
                }

                (var written, ledgerAfter) = await WriteCreditNoteAsync(connection, transaction, decided, cancellationToken).ConfigureAwait(false);
                return written;
            },
            cancellationToken).ConfigureAwait(false);
        if (ledgerAfter is not null)
        {
            CacheLedger(ledgerAfter);
        }

        return result;
    }

    /// <summary>
    /// Writes a decided new note (<see cref="StoreChangeRules.DecideCreditNote"/>) on its locked invoice: checks its id is
    /// free, changes the customer's ledger (locked) when it grants credits, takes the gap-free number from the
    /// <c>credit_note</c> counter row, and stores the note, its invoice and events. Issuing a note and a backfill's
    /// credit both use it. Returns the ledger after, for the cache once committed.
    /// </summary>
    private async Task<(CreditNoteResult Result, CreditLedger? LedgerAfter)> WriteCreditNoteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CreditNoteDecision decided, CancellationToken cancellationToken)
    {
        var taken = await ReadCreditNotesAsync(connection, transaction, _sql.FindCreditNote, [Text(decided.CreditNote.CreditNoteId)], cancellationToken).ConfigureAwait(false);
        if (taken.Count > 0)
        {
            throw StoreChangeRules.CreditNoteIdTaken(decided.CreditNote.CreditNoteId);
        }

        CreditLedger? ledgerAfter = null;
        if (decided.LedgerChange is { } ledgerChange)
        {
            ledgerAfter = await ChangeLedgerAsync(connection, transaction, decided.CreditNote.CustomerId, ledgerChange, cancellationToken).ConfigureAwait(false);
        }

        long number;
        await using (var next = Command(connection, transaction, _sql.NextCreditNoteNumber))
        {
            number = (long)(await next.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var decision = StoreChangeRules.WithCreditNoteNumber(decided, number);
        var note = decision.CreditNote;
        await using (var insert = Command(connection, transaction, _sql.InsertCreditNote))
        {
            insert.Parameters.Add(Text(note.CreditNoteId));
            insert.Parameters.Add(P(number));
            insert.Parameters.Add(Text(note.InvoiceId));
            insert.Parameters.Add(Text(note.CustomerId));
            insert.Parameters.Add(Json(StoreDocuments.Json(note)));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var update = Command(connection, transaction, _sql.UpdateInvoice))
        {
            update.Parameters.Add(Text(note.InvoiceId));
            update.Parameters.Add(Json(StoreDocuments.Json(decision.Invoice)));
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await AppendEventsAsync(connection, transaction, decision.Events, cancellationToken).ConfigureAwait(false);
        return (new CreditNoteResult(note, decision.Invoice), ledgerAfter);
    }

    /// <inheritdoc/>
    public async ValueTask<CreditNote?> FindCreditNoteAsync(string creditNoteId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(creditNoteId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var notes = await ReadCreditNotesAsync(connection, null, _sql.FindCreditNote, [Text(creditNoteId)], cancellationToken).ConfigureAwait(false);
        return notes.Count > 0 ? notes[0] : null;
    }

    /// <inheritdoc/>
    public async ValueTask<Page<CreditNote>> ListCreditNotesAsync(string customerId, string? invoiceId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var before = PageCursor.Decode(cursor, long.MaxValue);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var notes = invoiceId is null
            ? await ReadCreditNotesAsync(connection, null, _sql.ListCreditNotes, [Text(customerId), P(before), P((long)limit + 1)], cancellationToken).ConfigureAwait(false)
            : await ReadCreditNotesAsync(connection, null, _sql.ListInvoiceCreditNotes, [Text(customerId), P(before), P((long)limit + 1), Text(invoiceId)], cancellationToken).ConfigureAwait(false);
        return PageOf(notes, limit, n => n.Number.ToString(CultureInfo.InvariantCulture));
    }

    private async Task<List<CreditNote>> ReadCreditNotesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        command.Parameters.AddRange(parameters);
        var notes = new List<CreditNote>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            notes.Add(StoreDocuments.ToCreditNote(reader.GetString(0)));
        }

        return notes;
    }
}
