using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

// Appending usage: the group/wave driver. The steps of a wave live beside it: Usage.LockAndClaim.cs (round trip 1),
// Usage.Decide.cs (no I/O), Usage.WriteBack.cs (round trip 2); the read paths are in Usage.Reads.cs.
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// A single item joins the group commit (concurrent callers share one transaction); a batch runs in its own
    /// transaction. Either way the transaction locks the subscriptions <c>FOR KEY SHARE</c>, claims the keys by
    /// inserting the raw records (<c>ON CONFLICT DO NOTHING</c>, in key order), locks the credit ledgers and
    /// aggregates it touches <c>FOR UPDATE</c> in key order, decides every item in order with
    /// <see cref="UsageAppendRules"/>, deletes the records of rejected items (their keys were never visibly claimed)
    /// and writes the folded aggregates back.
    /// </remarks>
    public ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Length < items.Length)
        {
            throw new ArgumentException($"The outcomes buffer holds {outcomes.Length} items but {items.Length} were given; pass one outcome slot per item.", nameof(outcomes));
        }

        return items.Length switch
        {
            0 => ValueTask.CompletedTask,
            1 => AppendOneAsync(items.Span[0], outcomes, cancellationToken),
            _ => AppendManyAsync(items, outcomes, cancellationToken),
        };
    }

    private async ValueTask AppendOneAsync(PreparedUsage item, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        var outcome = await _writer.AppendAsync(item, cancellationToken).ConfigureAwait(false);
        outcomes.Span[0] = outcome;
    }

    private async ValueTask AppendManyAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken)
    {
        var array = items.ToArray();
        var results = new UsageOutcome[array.Length];
        await AppendGroupAsync(array, results, null, cancellationToken).ConfigureAwait(false);
        results.AsSpan().CopyTo(outcomes.Span);
    }

    /// <summary>
    /// Appends <paramref name="items"/> in one transaction, retried whole when it loses a lock race. The transaction is
    /// driven by hand (BEGIN sent with the locking statements, COMMIT with the writes) so that a typical append costs
    /// two round trips: lock and claim, then write and commit.
    /// </summary>
    /// <param name="items">The items, in arrival order.</param>
    /// <param name="outcomes">One outcome slot per item.</param>
    /// <param name="writer">The connection of a group-commit writer, kept between its transactions; null to use one from the pool.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    private async Task AppendGroupAsync(PreparedUsage[] items, UsageOutcome[] outcomes, WriterConnection? writer, CancellationToken cancellationToken)
    {
        var waves = Waves(items).ToArray();
        for (int attempt = 1; ; attempt++)
        {
            var connection = writer is null
                ? await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false)
                : await writer.GetAsync(cancellationToken).ConfigureAwait(false);
            var work = new AppendWork(items, outcomes) { SingleWave = waves.Length == 1 };
            try
            {
                for (int w = 0; w < waves.Length; w++)
                {
                    await AppendWaveAsync(connection, work, waves[w], first: w == 0, last: w == waves.Length - 1, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                if (!await RollBackQuietlyAsync(connection).ConfigureAwait(false) && writer is not null)
                {
                    // The writer's connection is broken or stuck in a transaction: the next group opens another.
                    await writer.ReleaseAsync().ConfigureAwait(false);
                }

                if (attempt < MaxAttempts && e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure })
                {
                    continue;
                }

                throw;
            }
            finally
            {
                if (writer is null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            foreach (var state in work.Ledgers.Values)
            {
                if (state.HasRow)
                {
                    CacheLedger(state.Current);
                }
            }

            return;
        }
    }

    // True when the connection is open and outside any transaction afterwards.
    private static async Task<bool> RollBackQuietlyAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return false;
        }

        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (NpgsqlException)
        {
            // The connection is broken; the server ends the transaction with the session.
            return false;
        }
    }

    // An idempotency key seen twice in one append is decided after its first occurrence: later occurrences go to a
    // later wave of the same transaction (group commit can bring the same key from two callers).
    private static IEnumerable<int[]> Waves(PreparedUsage[] items)
    {
        var occurrences = new Dictionary<string, int>(items.Length, StringComparer.Ordinal);
        var waveOf = new int[items.Length];
        int waves = 1;
        for (int i = 0; i < items.Length; i++)
        {
            var key = items[i].Record.IdempotencyKey;
            occurrences.TryGetValue(key, out int seen);
            waveOf[i] = seen;
            occurrences[key] = seen + 1;
            waves = Math.Max(waves, seen + 1);
        }

        if (waves == 1)
        {
            yield return [.. Enumerable.Range(0, items.Length)];
            yield break;
        }

        for (int w = 0; w < waves; w++)
        {
            yield return [.. Enumerable.Range(0, items.Length).Where(i => waveOf[i] == w)];
        }
    }

    /// <summary>
    /// One wave of an append: lock and claim (round trip 1), read the records of keys already stored, lock the
    /// ledgers of late-found payers, decide every item in memory, then write back and (last wave) commit.
    /// </summary>
    private async Task AppendWaveAsync(NpgsqlConnection connection, AppendWork work, int[] wave, bool first, bool last, CancellationToken cancellationToken)
    {
        wave = RejectUnstorableText(work, wave);

        // 1. Subscriptions, keys, ledgers and aggregates, locked in that order.
        var claim = await LockAndClaimAsync(connection, work, wave, first, cancellationToken).ConfigureAwait(false);

        // 2. Keys already stored: Duplicate or Conflict against the stored record.
        if (claim.Inserted.Count < wave.Length)
        {
            var existing = await ReadExistingRecordsAsync(connection, work, wave, claim.Inserted, cancellationToken).ConfigureAwait(false);
            DecideExistingKeys(work, wave, claim.Inserted, existing);
        }

        // 3. A payer other than the record's customer: its ledger is locked too, before deciding.
        await LockLateLedgersAsync(connection, work, wave, claim.Subscriptions, cancellationToken).ConfigureAwait(false);

        // 4. Decide the remaining items in order, with the rules every store shares.
        var decided = DecideRemaining(work, wave, claim.Subscriptions);

        // 5. Un-claim rejected keys, write aggregates and credit consumptions, commit.
        await WriteBackAsync(connection, work, decided, last, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The key of an aggregate row; ordered as the database orders its primary key (ordinal text). <see cref="Kind"/> is not part of the key.</summary>
    private readonly record struct AggregateRowKey(string SubscriptionId, long PeriodStart, AggregateKey Key, Aggregation Kind) : IComparable<AggregateRowKey>
    {
        public int CompareTo(AggregateRowKey other)
        {
            int c = string.CompareOrdinal(SubscriptionId, other.SubscriptionId);
            if (c == 0)
            {
                c = PeriodStart.CompareTo(other.PeriodStart);
            }

            return c != 0 ? c : Key.CompareTo(other.Key);
        }

        public bool Equals(AggregateRowKey other) =>
            string.Equals(SubscriptionId, other.SubscriptionId, StringComparison.Ordinal) && PeriodStart == other.PeriodStart && Key == other.Key;

        public override int GetHashCode() => HashCode.Combine(SubscriptionId, PeriodStart, Key);
    }

    private readonly record struct StoredRecord(UsageRecord Record, string SubscriptionId, Instant PeriodStart);

    /// <summary>The working state of one append transaction.</summary>
    private sealed class AppendWork(PreparedUsage[] items, UsageOutcome[] outcomes)
    {
        public PreparedUsage[] Items { get; } = items;

        public UsageOutcome[] Outcomes { get; } = outcomes;

        public bool[] Decided { get; } = new bool[items.Length];

        public Dictionary<AggregateRowKey, UsageAggregate> Aggregates { get; } = [];

        /// <summary>Where each aggregate row was when this transaction locked it (ctid).</summary>
        public Dictionary<AggregateRowKey, NpgsqlTid> Locations { get; } = [];

        /// <summary>True when the append is one wave, so no row is updated twice and every location stays valid.</summary>
        public bool SingleWave { get; init; }

        public Dictionary<string, LedgerState> Ledgers { get; } = new(StringComparer.Ordinal);

        /// <summary>
        /// Groups held per (subscription, period start), for the periods where this transaction may open a group: counted
        /// under the period's advisory lock, then raised as decisions open groups.
        /// </summary>
        public Dictionary<(string SubscriptionId, long PeriodStart), int> GroupCounts { get; } = [];
    }
}
