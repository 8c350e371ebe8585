using System.Globalization;
using Metering.Storage;
using Npgsql;

namespace Metering.PostgreSql;

public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.FindDue);
        command.Parameters.Add(P(Instants.Nanos(periodEndAtOrBefore)));
        command.Parameters.Add(P((long)limit));
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The subscription row is locked <c>FOR UPDATE</c> (waiting for in-flight ingest of it to commit, and holding
    /// off new ingest until the close commits), then its customer's ledger row. The invoice number comes from a
    /// counter row updated in this transaction, so numbers have no gaps. When <paramref name="decide"/> throws,
    /// nothing is stored and the exception propagates.
    /// </remarks>
    public async ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(decide);
        LedgerState? ledgerState = null;
        var result = await InTransactionAsync(
            async (connection, transaction) =>
            {
                ledgerState = null;
                var subscription = await LockSubscriptionAsync(connection, transaction, subscriptionId, cancellationToken).ConfigureAwait(false);
                bool invoiced = subscription is not null
                    && await InvoiceExistsAsync(connection, transaction, subscriptionId, expectedPeriodStart, cancellationToken).ConfigureAwait(false);
                if (StoreChangeRules.CheckClose(subscription, expectedPeriodStart, plan, invoiced) is { } status)
                {
                    return new PeriodCloseResult(status, null, subscription);
                }

                var ledger = await LockLedgerAsync(connection, transaction, subscription!.CustomerId, cancellationToken).ConfigureAwait(false);
                var aggregates = await ReadAggregatesAsync(connection, transaction, subscriptionId, expectedPeriodStart, cancellationToken).ConfigureAwait(false);

                var decided = StoreChangeRules.DecideClose(new PeriodCloseContext(subscription, plan, aggregates, ledger.Current), decide);
                if (decided.Invoice is null)
                {
                    // A credit rate card's period: no invoice and no number (the counter row is not touched).
                    await WriteSubscriptionAsync(connection, transaction, decided.Next, cancellationToken).ConfigureAwait(false);
                    await AppendEventsAsync(connection, transaction, decided.Events, cancellationToken).ConfigureAwait(false);
                    return new PeriodCloseResult(PeriodCloseStatus.Closed, null, decided.Next);
                }

                var number = await NextInvoiceNumberAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                var decision = StoreChangeRules.WithInvoiceNumber(decided, number);
                var invoice = decision.Invoice!;
                await using (var insert = Command(connection, transaction, _sql.InsertInvoice))
                {
                    insert.Parameters.Add(Text(invoice.InvoiceId));
                    insert.Parameters.Add(P(invoice.Number));
                    insert.Parameters.Add(Text(subscriptionId));
                    insert.Parameters.Add(P(Instants.Nanos(expectedPeriodStart)));
                    insert.Parameters.Add(Text(invoice.CustomerId));
                    insert.Parameters.Add(Json(StoreDocuments.Json(invoice)));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await WriteSubscriptionAsync(connection, transaction, decision.Next, cancellationToken).ConfigureAwait(false);
                if (decision.LedgerAfter is { } ledgerAfter)
                {
                    if (!ledger.HasRow && ledgerAfter.LastSequence > 0)
                    {
                        throw new InvalidOperationException($"The period close of '{subscriptionId}' changed the credit ledger of '{subscription.CustomerId}', which has no credits.");
                    }

                    ledger.Current = ledgerAfter;
                    await WriteLedgersAsync(connection, transaction, [ledger], cancellationToken).ConfigureAwait(false);
                    ledgerState = ledger;
                }

                await AppendEventsAsync(connection, transaction, decision.Events, cancellationToken).ConfigureAwait(false);
                return new PeriodCloseResult(PeriodCloseStatus.Closed, invoice, decision.Next);
            },
            cancellationToken).ConfigureAwait(false);

        if (ledgerState is { HasRow: true } changed)
        {
            CacheLedger(changed.Current);
        }

        return result;
    }

    private async Task<bool> InvoiceExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, _sql.InvoiceExists);
        command.Parameters.Add(Text(subscriptionId));
        command.Parameters.Add(P(Instants.Nanos(periodStart)));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    private async Task<long> NextInvoiceNumberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, _sql.NextInvoiceNumber);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc/>
    public async ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoiceId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.FindInvoice);
        command.Parameters.Add(Text(invoiceId));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string doc
            ? StoreDocuments.ToInvoice(doc)
            : null;
    }

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        return ReadInvoicePageAsync(_sql.ListInvoices, Text(customerId), PageCursor.Decode(cursor, long.MaxValue), limit, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<Page<Invoice>> ListInvoicesByStatusAsync(InvoiceStatus status, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadInvoicePageAsync(_sql.ListInvoicesByStatus, Text(status.ToString()), PageCursor.Decode(cursor, 0), limit, cancellationToken);
    }

    // One page of invoices from a listing statement taking (key, number bound, limit + 1), in the statement's order.
    private async ValueTask<Page<Invoice>> ReadInvoicePageAsync(string sql, NpgsqlParameter key, long bound, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        command.Parameters.Add(key);
        command.Parameters.Add(P(bound));
        command.Parameters.Add(P((long)limit + 1));
        var invoices = new List<Invoice>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            invoices.Add(StoreDocuments.ToInvoice(reader.GetString(0)));
        }

        return PageOf(invoices, limit, i => i.Number.ToString(CultureInfo.InvariantCulture));
    }

    /// <inheritdoc/>
    public async ValueTask<long> CountInvoicesAsync(string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.CountInvoices);
        command.Parameters.Add(Text(customerId));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public async ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoiceId);
        ArgumentNullException.ThrowIfNull(transition);
        CreditLedger? ledgerAfter = null;
        var updated = await InTransactionAsync(
            async (connection, transaction) =>
            {
                ledgerAfter = null;
                if (await LockInvoiceAsync(connection, transaction, invoiceId, cancellationToken).ConfigureAwait(false) is not { } current)
                {
                    return null;
                }

                var change = StoreChangeRules.DecideInvoiceTransition(current, transition);
                if (change.LedgerChange is { } ledgerChange)
                {
                    // The invoice row is locked first, then the ledger row, as in a period close.
                    ledgerAfter = await ChangeLedgerAsync(connection, transaction, current.CustomerId, ledgerChange, cancellationToken).ConfigureAwait(false);
                }

                await using (var update = Command(connection, transaction, _sql.UpdateInvoice))
                {
                    update.Parameters.Add(Text(invoiceId));
                    update.Parameters.Add(Json(StoreDocuments.Json(change.Updated)));
                    await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await AppendEventsAsync(connection, transaction, change.Events, cancellationToken).ConfigureAwait(false);
                return change.Updated;
            },
            cancellationToken).ConfigureAwait(false);
        if (ledgerAfter is not null)
        {
            CacheLedger(ledgerAfter);
        }

        return updated;
    }

    /// <summary>The invoice, locked <c>FOR UPDATE</c> until the transaction ends, or null when there is none.</summary>
    private async Task<Invoice?> LockInvoiceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string invoiceId, CancellationToken cancellationToken)
    {
        await using var select = Command(connection, transaction, _sql.LockInvoice);
        select.Parameters.Add(Text(invoiceId));
        return await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string doc ? StoreDocuments.ToInvoice(doc) : null;
    }
}
