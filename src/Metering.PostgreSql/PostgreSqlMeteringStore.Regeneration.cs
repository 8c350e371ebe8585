using Metering.Storage;

namespace Metering.PostgreSql;

/// <summary>Void and regenerate: under the invoice's row lock, numbered from the invoice counter row.</summary>
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// Locks the invoice's subscription row <c>FOR UPDATE</c> (a concurrent regeneration of it waits there, then finds
    /// the invoice void and is refused by the decision), then the invoice row and the rows of the period's other
    /// invoices (its adjustments, voided with it: the order of a backfill's adjustment), then the customer's ledger row,
    /// reads the period's aggregates, and takes the replacement's number from the <c>invoice</c>
    /// counter row in this transaction, so numbers have no gaps. The voided row gets <c>replaced_by</c> before the
    /// replacement is inserted: the unique index <c>invoices_live_period</c> allows one live invoice per period.
    /// </remarks>
    public async ValueTask<InvoiceRegeneration?> RegenerateInvoiceAsync(string invoiceId, Func<InvoiceRegenerationContext, InvoiceRegenerationDecision> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoiceId);
        ArgumentNullException.ThrowIfNull(decide);
        CreditLedger? ledgerAfter = null;
        var result = await InTransactionAsync(
            async (connection, transaction) =>
            {
                ledgerAfter = null;
                // The subscription row is locked before the invoice rows, in the order of a backfill's adjustment (which
                // locks the subscription, then the period's invoices), so the two never wait on each other in a cycle.
                string? subscriptionId;
                await using (var find = Command(connection, transaction, _sql.FindInvoice))
                {
                    find.Parameters.Add(Text(invoiceId));
                    subscriptionId = await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string found ? StoreDocuments.ToInvoice(found).SubscriptionId : null;
                }

                if (subscriptionId is null)
                {
                    return null;
                }

                var subscription = await LockSubscriptionAsync(connection, transaction, subscriptionId, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Invoice '{invoiceId}' belongs to subscription '{subscriptionId}', which is not stored.");
                var current = (await LockInvoiceAsync(connection, transaction, invoiceId, cancellationToken).ConfigureAwait(false))!;
                var adjustments = (await ReadPeriodInvoicesAsync(connection, transaction, current.SubscriptionId, current.Period.Start, cancellationToken, _sql.LockPeriodInvoices).ConfigureAwait(false))
                    .Where(i => i.Reason == InvoiceReason.Adjustment)
                    .ToArray();
                var ledger = await EnsureAndLockLedgerAsync(connection, transaction, current.CustomerId, cancellationToken).ConfigureAwait(false);
                var aggregates = await ReadAggregatesAsync(connection, transaction, current.SubscriptionId, current.Period.Start, cancellationToken).ConfigureAwait(false);
                var decided = StoreChangeRules.DecideRegeneration(new InvoiceRegenerationContext(current, subscription, aggregates, ledger.Current) { Adjustments = adjustments }, decide);

                var number = await NextInvoiceNumberAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                var decision = StoreChangeRules.WithReplacementNumber(decided, number);
                var replacement = decision.Replacement;
                await using (var update = Command(connection, transaction, _sql.ReplaceInvoice))
                {
                    update.Parameters.Add(Text(invoiceId));
                    update.Parameters.Add(Json(StoreDocuments.Json(decision.Voided)));
                    update.Parameters.Add(Text(replacement.InvoiceId));
                    await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                foreach (var adjustment in decision.VoidedAdjustments)
                {
                    await using var voidAdjustment = Command(connection, transaction, _sql.UpdateInvoice);
                    voidAdjustment.Parameters.Add(Text(adjustment.InvoiceId));
                    voidAdjustment.Parameters.Add(Json(StoreDocuments.Json(adjustment)));
                    await voidAdjustment.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using (var insert = Command(connection, transaction, _sql.InsertInvoice))
                {
                    insert.Parameters.Add(Text(replacement.InvoiceId));
                    insert.Parameters.Add(P(number));
                    insert.Parameters.Add(Text(replacement.SubscriptionId));
                    insert.Parameters.Add(P(Instants.Nanos(current.Period.Start)));
                    insert.Parameters.Add(Text(replacement.CustomerId));
                    insert.Parameters.Add(Json(StoreDocuments.Json(replacement)));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (decision.LedgerAfter is { } changed)
                {
                    ledger.Current = changed;
                    await WriteLedgersAsync(connection, transaction, [ledger], cancellationToken).ConfigureAwait(false);
                    ledgerAfter = changed;
                }

                await AppendEventsAsync(connection, transaction, decision.Events, cancellationToken).ConfigureAwait(false);
                return new InvoiceRegeneration(decision.Voided, replacement) { VoidedAdjustments = decision.VoidedAdjustments };
            },
            cancellationToken).ConfigureAwait(false);
        if (ledgerAfter is not null)
        {
            CacheLedger(ledgerAfter);
        }

        return result;
    }
}
