using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

// Batched reads and closes for the period closer: a chunk of closes is one transaction of three round trips (lock and
// read everything, take a block of invoice numbers, write everything), so the invoice counter row is held for one
// commit per chunk instead of one per invoice.
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>100: a chunk of closes is one transaction (<see cref="ClosePeriodsAsync"/>).</remarks>
    public int MaxClosesPerCall => 100;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Subscription>> FindSubscriptionsAsync(IReadOnlyList<string> subscriptionIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionIds);
        if (subscriptionIds.Count == 0)
        {
            return [];
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _batchSql.FindSubscriptions);
        command.Parameters.Add(Texts([.. subscriptionIds]));
        return await ReadSubscriptionsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Customer>> FindCustomersAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        if (customerIds.Count == 0)
        {
            return [];
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _batchSql.FindCustomers);
        command.Parameters.Add(Texts([.. customerIds]));
        var customers = new List<Customer>(customerIds.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            customers.Add(ReadCustomerRow(reader));
        }

        return customers;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One transaction: round trip 1 locks the subscriptions (<c>FOR UPDATE</c>, id order) and their customers' ledger
    /// rows, and reads which periods are invoiced and their aggregates; every close is then checked and decided in list
    /// order (a close's ledger change is what the next close of that customer sees); round trip 2 takes one block of
    /// invoice numbers; round trip 3 writes the invoices, subscriptions, ledger rows and events. A close whose decision
    /// throws is that close's failure and writes nothing. A database error fails the whole call with nothing stored
    /// (the period closer then closes each subscription on its own).
    /// </remarks>
    public async ValueTask<IReadOnlyList<PeriodCloseAttempt>> ClosePeriodsAsync(IReadOnlyList<PeriodCloseItem> closes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(closes);
        if (closes.Count == 0)
        {
            return [];
        }

        var ids = closes.Select(c => c.SubscriptionId).ToArray();
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Length)
        {
            throw new ArgumentException("A subscription appears more than once in one batch of period closes; close each period in its own call.", nameof(closes));
        }

        List<LedgerState> changedLedgers = [];
        var attempts = await InTransactionAsync(
            async (connection, transaction) =>
            {
                var loaded = await LoadCloseBatchAsync(connection, transaction, closes, cancellationToken).ConfigureAwait(false);
                var attempts = new PeriodCloseAttempt[closes.Count];
                var decisions = new PeriodCloseDecision?[closes.Count];
                for (int i = 0; i < closes.Count; i++)
                {
                    (attempts[i], decisions[i]) = DecideBatchClose(closes[i], loaded);
                }

                int numbered = decisions.Count(d => d?.Invoice is not null);
                long next = numbered == 0 ? 0 : await TakeInvoiceNumbersAsync(connection, transaction, numbered, cancellationToken).ConfigureAwait(false);
                var writes = new CloseWrites();
                for (int i = 0; i < closes.Count; i++)
                {
                    if (decisions[i] is not { } decided)
                    {
                        continue;
                    }

                    var decision = decided.Invoice is null ? decided : StoreChangeRules.WithInvoiceNumber(decided, next++);
                    writes.Add(closes[i], decision);
                    attempts[i] = new PeriodCloseAttempt(new PeriodCloseResult(PeriodCloseStatus.Closed, decision.Invoice, decision.Next), null);
                }

                changedLedgers = [.. loaded.Ledgers.Values.Where(l => l.Current.LastSequence > l.Written)];
                await WriteCloseBatchAsync(connection, transaction, writes, changedLedgers, cancellationToken).ConfigureAwait(false);
                return attempts;
            },
            cancellationToken).ConfigureAwait(false);

        foreach (var ledger in changedLedgers)
        {
            CacheLedger(ledger.Current);
        }

        return attempts;
    }

    /// <summary>Checks and decides one close of a batch against what is loaded, advancing the customer's ledger in memory.</summary>
    private static (PeriodCloseAttempt Attempt, PeriodCloseDecision? Decision) DecideBatchClose(PeriodCloseItem close, CloseBatch loaded)
    {
        var subscription = loaded.Subscriptions.GetValueOrDefault(close.SubscriptionId);
        bool invoiced = loaded.Invoiced.Contains((close.SubscriptionId, Instants.Nanos(close.ExpectedPeriodStart)));
        if (StoreChangeRules.CheckClose(subscription, close.ExpectedPeriodStart, close.Plan, invoiced) is { } status)
        {
            return (new PeriodCloseAttempt(new PeriodCloseResult(status, null, subscription), null), null);
        }

        var ledger = loaded.Ledgers.TryGetValue(subscription!.CustomerId, out var state)
            ? state
            : loaded.Ledgers[subscription.CustomerId] = new LedgerState(CreditLedger.Empty(subscription.CustomerId), 0, hasRow: false);
        try
        {
            var aggregates = loaded.Aggregates.GetValueOrDefault(close.SubscriptionId) ?? [];
            var decided = StoreChangeRules.DecideClose(new PeriodCloseContext(subscription, close.Plan, aggregates, ledger.Current), close.Decide);
            if (decided.LedgerAfter is { } ledgerAfter)
            {
                if (!ledger.HasRow && ledgerAfter.LastSequence > 0)
                {
                    throw new InvalidOperationException($"The period close of '{close.SubscriptionId}' changed the credit ledger of '{subscription.CustomerId}', which has no credits.");
                }

                ledger.Current = ledgerAfter;
            }

            return (null!, decided);
        }
        catch (Exception exception)
        {
            // This close's own failure (its decision threw): nothing of it is written; the others go on.
            return (new PeriodCloseAttempt(null, exception), null);
        }
    }

    private async Task<CloseBatch> LoadCloseBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PeriodCloseItem> closes, CancellationToken cancellationToken)
    {
        var ids = closes.Select(c => c.SubscriptionId).ToArray();
        var starts = closes.Select(c => Instants.Nanos(c.ExpectedPeriodStart)).ToArray();
        var loaded = new CloseBatch();
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var batch = Batch(connection, transaction))
        {
            // Subscriptions before ledgers, each in id order: the lock order of every other writer.
            batch.BatchCommands.Add(BatchCommand(_batchSql.LockSubscriptions, Texts(ids)));
            batch.BatchCommands.Add(BatchCommand(_batchSql.LockSubscriptionLedgers, Texts(ids)));
            batch.BatchCommands.Add(BatchCommand(_batchSql.InvoicedPeriods, Texts(ids), Longs(starts)));
            batch.BatchCommands.Add(BatchCommand(_batchSql.PeriodAggregates, Texts(ids), Longs(starts)));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var subscription = ReadSubscription(reader.GetString(0), reader.GetInt64(1), reader.GetString(2));
                loaded.Subscriptions[subscription.SubscriptionId] = subscription;
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                versions[reader.GetString(0)] = reader.GetInt64(1);
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                loaded.Invoiced.Add((reader.GetString(0), reader.GetInt64(1)));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (key, aggregate) = ReadAggregateRow(reader);
                if (!loaded.Aggregates.TryGetValue(key.SubscriptionId, out var list))
                {
                    loaded.Aggregates[key.SubscriptionId] = list = [];
                }

                list.Add(new StoredAggregate(key.Key, aggregate));
            }
        }

        var ledgers = await LoadLedgersAsync(connection, transaction, versions, cancellationToken).ConfigureAwait(false);
        foreach (var (customerId, version) in versions)
        {
            loaded.Ledgers[customerId] = new LedgerState(ledgers[customerId], version, hasRow: true);
        }

        return loaded;
    }

    /// <summary>Takes <paramref name="count"/> consecutive invoice numbers; returns the first.</summary>
    private async Task<long> TakeInvoiceNumbersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int count, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, _batchSql.TakeInvoiceNumbers);
        command.Parameters.Add(P((long)count));
        long last = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return last - count + 1;
    }

    private async Task WriteCloseBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CloseWrites writes, List<LedgerState> ledgers, CancellationToken cancellationToken)
    {
        await using var batch = Batch(connection, transaction);
        if (writes.Invoices.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(
                _batchSql.InsertInvoices,
                Texts([.. writes.Invoices.Select(i => i.InvoiceId)]),
                Longs([.. writes.Invoices.Select(i => i.Number)]),
                Texts([.. writes.Invoices.Select(i => i.SubscriptionId)]),
                Longs([.. writes.InvoicePeriodStarts]),
                Texts([.. writes.Invoices.Select(i => i.CustomerId)]),
                Texts([.. writes.Invoices.Select(i => StoreDocuments.Json(i))])));
        }

        if (writes.Subscriptions.Count > 0)
        {
            var subscriptions = writes.Subscriptions;
            batch.BatchCommands.Add(BatchCommand(
                _batchSql.UpdateSubscriptions,
                Texts([.. subscriptions.Select(s => s.SubscriptionId)]),
                Longs([.. subscriptions.Select(s => s.Revision)]),
                Longs([.. subscriptions.Select(s => Instants.Nanos(s.CurrentPeriod.Start))]),
                Longs([.. subscriptions.Select(s => Instants.Nanos(s.CurrentPeriod.End))]),
                P(subscriptions.Select(s => Instants.Nanos(s.EndedAt)).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint),
                Texts([.. subscriptions.Select(s => StoreDocuments.Json(s))])));
        }

        AddLedgerWrites(batch, ledgers);
        if (writes.Events.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(_sql.AppendEvents, Texts([.. writes.Events.Select(e => StoreDocuments.Json(e))])));
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static Customer ReadCustomerRow(NpgsqlDataReader reader)
    {
        var customer = new Customer(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), Instants.At(reader.GetInt64(3)));
        return StoreDocuments.WithDetails(customer, reader.IsDBNull(4) ? null : reader.GetString(4));
    }

    /// <summary>What round trip 1 of a batch of closes locked and read.</summary>
    private sealed class CloseBatch
    {
        public Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

        public HashSet<(string SubscriptionId, long PeriodStart)> Invoiced { get; } = [];

        public Dictionary<string, List<StoredAggregate>> Aggregates { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, LedgerState> Ledgers { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>What round trip 3 of a batch of closes writes.</summary>
    private sealed class CloseWrites
    {
        public List<Invoice> Invoices { get; } = [];

        public List<long> InvoicePeriodStarts { get; } = [];

        public List<Subscription> Subscriptions { get; } = [];

        public List<BillingEvent> Events { get; } = [];

        public void Add(PeriodCloseItem close, PeriodCloseDecision decision)
        {
            if (decision.Invoice is { } invoice)
            {
                Invoices.Add(invoice);
                InvoicePeriodStarts.Add(Instants.Nanos(close.ExpectedPeriodStart));
            }

            Subscriptions.Add(decision.Next);
            Events.AddRange(decision.Events);
        }
    }

    /// <summary>The SQL of batched reads and closes.</summary>
    private sealed class BatchSql(string s)
    {
        public readonly string FindSubscriptions = $"SELECT subscription_id, revision, doc::text FROM {s}.subscriptions WHERE subscription_id = ANY($1)";
        public readonly string FindCustomers = $"SELECT customer_id, name, time_zone, created_at, details::text FROM {s}.customers WHERE customer_id = ANY($1)";
        public readonly string LockSubscriptions = $"SELECT subscription_id, revision, doc::text FROM {s}.subscriptions WHERE subscription_id = ANY($1) ORDER BY subscription_id FOR UPDATE";

        public readonly string LockSubscriptionLedgers =
            $"""
            SELECT customer_id, last_sequence FROM {s}.credit_ledgers
            WHERE customer_id IN (SELECT customer_id FROM {s}.subscriptions WHERE subscription_id = ANY($1))
            ORDER BY customer_id FOR UPDATE
            """;

        public readonly string InvoicedPeriods =
            $"""
            SELECT i.subscription_id, i.period_start FROM {s}.invoices i
            JOIN unnest($1::text[], $2::bigint[]) AS u(sub, ps) ON i.subscription_id = u.sub AND i.period_start = u.ps
            """;

        public readonly string PeriodAggregates =
            $"""
            SELECT a.subscription_id, a.period_start, a.aggregate_key, a.kind, a.value, a.record_count, a.latest_ts, a.has_set, a.distinct_values::text
            FROM {s}.usage_aggregates a
            JOIN unnest($1::text[], $2::bigint[]) AS u(sub, ps) ON a.subscription_id = u.sub AND a.period_start = u.ps
            WHERE a.record_count > 0 ORDER BY a.subscription_id, a.aggregate_key
            """;

        public readonly string CurrentUsageState =
            $"""
            SELECT a.subscription_id, a.period_start, a.aggregate_key, a.kind, a.value, a.record_count, a.latest_ts, a.has_set, a.distinct_values::text,
                   s.subscription_id, s.revision, CASE WHEN s.revision = $2 THEN NULL ELSE s.doc::text END, l.last_sequence
            FROM {s}.subscriptions s
            LEFT JOIN {s}.credit_ledgers l ON l.customer_id = s.customer_id
            LEFT JOIN {s}.usage_aggregates a ON a.subscription_id = s.subscription_id AND a.period_start = s.period_start AND a.record_count > 0
            WHERE s.subscription_id = $1
            """;

        public readonly string TakeInvoiceNumbers = $"UPDATE {s}.counters SET value = value + $1 WHERE name = 'invoice' RETURNING value";

        public readonly string InsertInvoices =
            $"""
            INSERT INTO {s}.invoices (invoice_id, number, subscription_id, period_start, customer_id, doc)
            SELECT u.id, u.n, u.sub, u.ps, u.c, u.d::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS u(id, n, sub, ps, c, d)
            """;

        public readonly string UpdateSubscriptions =
            $"""
            UPDATE {s}.subscriptions t SET revision = u.r, period_start = u.ps, period_end = u.pe, ended_at = u.e, doc = u.d::jsonb
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS u(id, r, ps, pe, e, d)
            WHERE t.subscription_id = u.id
            """;
    }
}
