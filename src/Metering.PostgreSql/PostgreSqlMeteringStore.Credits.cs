using System.Data;
using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);

        // One snapshot for the version, the grants and the transactions.
        return await InTransactionAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, _sql.LedgerVersion);
                command.Parameters.Add(Text(customerId));
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long version)
                {
                    return CreditLedger.Empty(customerId);
                }

                var loaded = await LoadLedgersAsync(connection, transaction, new Dictionary<string, long>(StringComparer.Ordinal) { [customerId] = version }, cancellationToken).ConfigureAwait(false);
                return loaded[customerId];
            },
            cancellationToken,
            IsolationLevel.RepeatableRead).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        ArgumentNullException.ThrowIfNull(change);
        var updated = await InTransactionAsync(
            (connection, transaction) => ChangeLedgerAsync(connection, transaction, customerId, change, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        CacheLedger(updated);
        return updated;
    }

    /// <summary>
    /// Changes the customer's ledger inside the caller's transaction: creates its row when missing, locks it, runs the
    /// (checked) change, writes what it appends and stores its events. Returns the ledger after the change.
    /// </summary>
    private async Task<CreditLedger> ChangeLedgerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken)
    {
        var state = await EnsureAndLockLedgerAsync(connection, transaction, customerId, cancellationToken).ConfigureAwait(false);
        var result = StoreChangeRules.DecideLedgerChange(state.Current, change);
        state.Current = result.Updated;
        await WriteLedgersAsync(connection, transaction, [state], cancellationToken).ConfigureAwait(false);
        await AppendEventsAsync(connection, transaction, result.Events, cancellationToken).ConfigureAwait(false);
        return result.Updated;
    }

    /// <summary>The customer's ledger, its row created when missing and locked until the transaction ends.</summary>
    private async Task<LedgerState> EnsureAndLockLedgerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string customerId, CancellationToken cancellationToken)
    {
        await using (var ensure = Command(connection, transaction, _sql.EnsureLedger))
        {
            ensure.Parameters.Add(Text(customerId));
            await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return await LockLedgerAsync(connection, transaction, customerId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> FindCustomersWithExpiringCreditsAsync(Instant at, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.ExpiringCustomers);
        command.Parameters.Add(P(Instants.Nanos(at)));
        command.Parameters.Add(P((long)limit));
        var customers = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            customers.Add(reader.GetString(0));
        }

        return customers;
    }

    /// <summary>Locks a customer's ledger row (<c>FOR UPDATE</c>) and loads the ledger; empty when the customer has no row.</summary>
    private async Task<LedgerState> LockLedgerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string customerId, CancellationToken cancellationToken)
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = Command(connection, transaction, _sql.LockLedgers))
        {
            command.Parameters.Add(Texts([customerId]));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                versions[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        if (!versions.TryGetValue(customerId, out var version))
        {
            return new LedgerState(CreditLedger.Empty(customerId), 0, hasRow: false);
        }

        var loaded = await LoadLedgersAsync(connection, transaction, versions, cancellationToken).ConfigureAwait(false);
        return new LedgerState(loaded[customerId], version, hasRow: true);
    }

    /// <summary>
    /// The ledgers at the given versions: from the cache when it holds that version; a kept older one extended with the
    /// rows stored after it (another instance wrote since); else rebuilt from all its rows.
    /// </summary>
    private async Task<Dictionary<string, CreditLedger>> LoadLedgersAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Dictionary<string, long> versions, CancellationToken cancellationToken)
    {
        var ledgers = new Dictionary<string, CreditLedger>(StringComparer.Ordinal);
        var toLoad = new List<string>();
        var after = new List<long>();
        var held = new Dictionary<string, CreditLedger>(StringComparer.Ordinal);
        foreach (var (customerId, version) in versions)
        {
            if (version == 0)
            {
                ledgers[customerId] = CreditLedger.Empty(customerId);
            }
            else if (_ledgers.TryGetValue(customerId, out var cached) && cached.LastSequence == version)
            {
                ledgers[customerId] = cached;
            }
            else
            {
                // Only what follows a kept older ledger is read: with credits burned per record on another instance, a
                // rebuild from every row would make each read here grow with the records burned.
                var older = cached is not null && cached.LastSequence < version ? cached : null;
                toLoad.Add(customerId);
                after.Add(older?.LastSequence ?? 0);
                if (older is not null)
                {
                    held[customerId] = older;
                }
            }
        }

        if (toLoad.Count == 0)
        {
            return ledgers;
        }

        var grants = toLoad.ToDictionary(c => c, _ => new List<CreditGrant>(), StringComparer.Ordinal);
        var transactions = toLoad.ToDictionary(c => c, _ => new List<CreditTransaction>(), StringComparer.Ordinal);
        await using (var batch = Batch(connection, transaction))
        {
            batch.BatchCommands.Add(BatchCommand(_sql.LoadGrantsAfter, Texts([.. toLoad]), Longs([.. after])));
            batch.BatchCommands.Add(BatchCommand(_sql.LoadTransactionsAfter, Texts([.. toLoad]), Longs([.. after])));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                grants[reader.GetString(0)].Add(StoreDocuments.ToGrant(reader.GetString(1)));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                transactions[reader.GetString(0)].Add(StoreDocuments.ToTransaction(reader.GetString(1)));
            }
        }

        foreach (var customerId in toLoad)
        {
            var ledger = held.TryGetValue(customerId, out var older)
                ? older.WithHistory(grants[customerId], transactions[customerId])
                : CreditLedger.FromHistory(customerId, grants[customerId], transactions[customerId]);
            ledgers[customerId] = ledger;
            CacheLedger(ledger);
        }

        return ledgers;
    }

    private async Task WriteLedgersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<LedgerState> states, CancellationToken cancellationToken)
    {
        await using var batch = Batch(connection, transaction);
        AddLedgerWrites(batch, states);
        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds the inserts of every grant and transaction appended since each ledger was last written.</summary>
    private void AddLedgerWrites(NpgsqlBatch batch, IEnumerable<LedgerState> states)
    {
        var grantRows = new List<CreditGrant>();
        var transactionRows = new List<CreditTransaction>();
        var versionCustomers = new List<string>();
        var versionValues = new List<long>();
        foreach (var state in states)
        {
            var ledger = state.Current;
            if (ledger.LastSequence <= state.Written)
            {
                continue;
            }

            if (!state.HasRow)
            {
                throw new InvalidOperationException($"The credit ledger of customer '{ledger.CustomerId}' changed without its row being locked.");
            }

            var appended = ledger.Transactions.Where(t => t.Sequence > state.Written).ToList();
            transactionRows.AddRange(appended);
            foreach (var granted in appended.Where(t => t.Type == CreditTransactionType.Grant))
            {
                grantRows.Add(ledger.GetGrant(granted.GrantId));
            }

            versionCustomers.Add(ledger.CustomerId);
            versionValues.Add(ledger.LastSequence);
            state.Written = ledger.LastSequence;
        }

        if (grantRows.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(
                _sql.InsertGrants,
                Texts([.. grantRows.Select(g => g.CustomerId)]),
                Texts([.. grantRows.Select(g => g.GrantId)]),
                P(grantRows.Select(g => Instants.Nanos(g.ExpiresAt)).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint),
                Texts([.. grantRows.Select(g => StoreDocuments.Json(g))])));
        }

        if (transactionRows.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(
                _sql.InsertTransactions,
                Texts([.. transactionRows.Select(t => t.CustomerId)]),
                Longs([.. transactionRows.Select(t => t.Sequence)]),
                Texts([.. transactionRows.Select(t => t.GrantId)]),
                Texts([.. transactionRows.Select(t => t.Type.ToString())]),
                P(transactionRows.Select(t => t.Effect).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Numeric),
                Longs([.. transactionRows.Select(t => Instants.Nanos(t.At))]),
                Texts([.. transactionRows.Select(t => StoreDocuments.Json(t))])));
            batch.BatchCommands.Add(BatchCommand(_sql.SetLedgerVersions, Texts([.. versionCustomers]), Longs([.. versionValues])));
        }
    }

    private void CacheLedger(CreditLedger ledger) =>
        _ledgers.SetUnless(ledger.CustomerId, ledger, static (cached, written) => cached.LastSequence > written.LastSequence);

    /// <summary>A customer's ledger inside one transaction: as locked, as changed, and how far it has been written.</summary>
    private sealed class LedgerState(CreditLedger current, long stored, bool hasRow)
    {
        public CreditLedger Current { get; set; } = current;

        public long Written { get; set; } = stored;

        public bool HasRow { get; } = hasRow;
    }
}
