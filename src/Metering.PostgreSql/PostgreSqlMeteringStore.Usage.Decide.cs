using Metering.Storage;

namespace Metering.PostgreSql;

// Appending usage, the decisions: pure, no I/O, no locks. They run on what step 1 locked and read, and leave their
// changes in memory (AppendWork, AppendState) for the write-back.
public sealed partial class PostgreSqlMeteringStore
{
    // The runtime checks text before a record gets here; a caller of the store itself gets the same typed rejection
    // (PostgreSQL text and jsonb cannot hold U+0000) instead of a failed batch.
    private static int[] RejectUnstorableText(AppendWork work, int[] wave)
    {
        List<int>? kept = null;
        for (int j = 0; j < wave.Length; j++)
        {
            if (UsageRecordRules.CheckText(work.Items[wave[j]].Record) is { } rejection)
            {
                kept ??= [.. wave.Take(j)];
                work.Outcomes[wave[j]] = UsageOutcome.Rejected(rejection);
                work.Decided[wave[j]] = true;
            }
            else
            {
                kept?.Add(wave[j]);
            }
        }

        return kept is null ? wave : [.. kept];
    }

    // Step 2: a key this wave did not claim was stored before; its item is a Duplicate or a Conflict of that record.
    private static void DecideExistingKeys(AppendWork work, int[] wave, HashSet<string> inserted, Dictionary<string, StoredRecord> existing)
    {
        foreach (var i in wave)
        {
            var record = work.Items[i].Record;
            if (!inserted.Contains(record.IdempotencyKey))
            {
                var stored = existing.TryGetValue(record.IdempotencyKey, out var found)
                    ? found
                    : throw new InvalidOperationException($"Usage record key '{record.IdempotencyKey}' is claimed but its record cannot be read.");
                work.Outcomes[i] = UsageAppendRules.ForExistingKey(stored.Record, stored.SubscriptionId, stored.PeriodStart, record);
                work.Decided[i] = true;
            }
        }
    }

    // Step 4: every item still undecided, in arrival order, with the rules every store shares; folds accepted items
    // into the locked aggregates and ledgers (in memory).
    private static WaveDecisions DecideRemaining(AppendWork work, int[] wave, Dictionary<string, Subscription> subscriptions)
    {
        var rejectedKeys = new List<string>();
        var state = new AppendState(work, subscriptions);
        foreach (var i in wave)
        {
            if (work.Decided[i])
            {
                continue;
            }

            work.Outcomes[i] = UsageAppendRules.Decide(in work.Items[i], state);
            work.Decided[i] = true;
            if (work.Outcomes[i].Kind != UsageOutcomeKind.Accepted)
            {
                rejectedKeys.Add(work.Items[i].Record.IdempotencyKey);
            }
        }

        return new WaveDecisions(rejectedKeys, state.Dirty, state.Events);
    }

    /// <summary>What the write-back of a wave has to do.</summary>
    /// <param name="RejectedKeys">Keys this wave claimed for items it rejected: their records are deleted.</param>
    /// <param name="Dirty">Aggregate rows changed by accepted items.</param>
    /// <param name="Events">Events the decisions raised (credit and usage alerts), stored with the write-back.</param>
    private readonly record struct WaveDecisions(List<string> RejectedKeys, HashSet<AggregateRowKey> Dirty, List<BillingEvent> Events);

    /// <summary>One wave's locked rows as <see cref="UsageAppendRules.Decide"/> sees them; changes stay in memory until step 5 writes them.</summary>
    private sealed class AppendState(AppendWork work, Dictionary<string, Subscription> subscriptions) : IUsageAppendState
    {
        public HashSet<AggregateRowKey> Dirty { get; } = [];

        public Subscription? FindSubscription(string subscriptionId) => subscriptions.GetValueOrDefault(subscriptionId);

        public bool TryGetAggregate(in PreparedUsage item, AggregateKey key, out UsageAggregate aggregate) =>
            work.Aggregates.TryGetValue(RowKey(in item, key, default), out aggregate);

        public void SetAggregate(in PreparedUsage item, AggregateTarget? target, AggregateKey key, UsageAggregate before, UsageAggregate after)
        {
            var row = RowKey(in item, key, after.Kind);
            work.Aggregates[row] = after;
            Dirty.Add(row);
            if (key.Kind == AggregateKeyKind.GroupedCharge && before.IsEmpty && !after.IsEmpty)
            {
                work.GroupCounts[(row.SubscriptionId, row.PeriodStart)]++;
            }
        }

        public int CountGroups(in PreparedUsage item) =>
            work.GroupCounts.TryGetValue((item.SubscriptionId, Instants.Nanos(item.PeriodStart)), out int count)
                ? count
                : throw new InvalidOperationException($"The groups of subscription '{item.SubscriptionId}' period {item.PeriodStart} were not counted under their lock before the decision.");

        public CreditLedger GetLedger(string customerId) => work.Ledgers[customerId].Current;

        public void SetLedger(CreditLedger before, CreditLedger after) => work.Ledgers[after.CustomerId].Current = after;

        public List<BillingEvent> Events { get; } = [];

        public void AddEvent(BillingEvent billingEvent) => Events.Add(billingEvent);

        private static AggregateRowKey RowKey(in PreparedUsage item, AggregateKey key, Aggregation kind) =>
            new(item.SubscriptionId, Instants.Nanos(item.PeriodStart), key, kind);
    }
}
