using Metering.Sqlite;
using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// Runs one billing script (every aggregation, filters, Set records, duplicates, conflicts, real-time credits that
/// block, a period close, a plan change and a cancellation) on the in-memory reference store and on SQLite, then
/// compares everything each store holds, read back from a freshly reopened SQLite file.
/// </summary>
public class SameSemanticsAsInMemoryTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static void Configure(MeteringOptions o) => o
        .AddMeter(Meter.Sum("api_calls").WithGroupBy("region"))
        .AddMeter(Meter.UniqueCount("active_users", "user_id"))
        .AddMeter(Meter.Max("storage_gb"))
        .AddMeter(Meter.Last("seats"))
        .AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(49m)
            .WithCharge("api_calls", PricingModel.Graduated([new PriceTier(100m, 0.10m), new PriceTier(null, 0.05m, 1m)]))
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m), c => c.Where("region", "eu").Key = "api_eu")
            .WithCharge("active_users", PricingModel.PerUnit(5m))
            .WithCharge("storage_gb", PricingModel.Volume([new PriceTier(10m, 1m), new PriceTier(null, 0.5m)]))
            .WithCharge("seats", PricingModel.Package(5m, 10m))
            .Build())
        .AddPlan(Plan.Create("prepaid", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.01m), c => c.BurnsCreditsInRealTime = true)
            .WhenCreditsRunOut(CreditOverflow.Block)
            .Build());

    [Fact]
    public async Task Sqlite_SameScriptAsInMemory_HoldsExactlyTheSame()
    {
        using var db = new TempDatabase();
        Snapshot memory, sqlite;
        List<UsageOutcomeKind> memoryOutcomes, sqliteOutcomes;
        await using (var billing = TestMetering.Create(Configure, Start))
        {
            memoryOutcomes = await RunScriptAsync(billing);
            memory = await SnapshotAsync(billing.Store);
        }

        await using (var billing = TestMetering.Create(Configure, Start, b => b.UseSqlite(db.Path)))
        {
            sqliteOutcomes = await RunScriptAsync(billing);
        }

        await using (var reopened = new SqliteMeteringStore(db.Path))
        {
            sqlite = await SnapshotAsync(reopened);
        }

        sqliteOutcomes.Should().Equal(memoryOutcomes);
        memoryOutcomes.Should().Contain([UsageOutcomeKind.Duplicate, UsageOutcomeKind.Conflict, UsageOutcomeKind.Rejected]);

        // Periods closed in one run are closed concurrently, so which of them gets which number is not fixed: compare the
        // invoices period by period, and the numbers as the gap-free set 1..3.
        sqlite.Invoices.Should().HaveCount(3);
        ByPeriod(sqlite.Invoices).Should().Equal(ByPeriod(memory.Invoices));
        sqlite.Invoices.Select(i => i.Number).Should().BeEquivalentTo([1L, 2L, 3L]);

        // pro, January: base 49; api_calls 130 = 100 x 0.10 + 30 x 0.05 + 1 = 12.50; api_eu 40 x 0.002 = 0.08;
        // 3 distinct users x 5 = 15; storage max 12 -> volume tier 2: 12 x 0.5 = 6; seats last = 7 -> 2 packages = 20.
        var january = sqlite.Invoices.Single(i => i.SubscriptionId == "sub-pro" && i.Period.Start == Start);
        january.Content.Lines.Select(l => l.Amount.Amount).Should().Equal(49m, 12.50m, 0.08m, 15m, 6m, 20m);
        january.Total.Should().Be(new Money(102.58m, Currency.USD));

        sqlite.Aggregates.Keys.Should().BeEquivalentTo(memory.Aggregates.Keys);
        foreach (var (key, aggregates) in memory.Aggregates)
        {
            sqlite.Aggregates[key].Should().Equal(aggregates, $"aggregates of {key}");
        }

        // Stored: 11 acme records in January, 100 of bolt's 150 (credits for 100), 4 acme records in February.
        sqlite.Records.Should().HaveCount(115).And.Equal(memory.Records);
        sqlite.Grants.Should().Equal(memory.Grants);
        sqlite.Transactions.Should().Equal(memory.Transactions);
        sqlite.Transactions.Count(t => t.Type == CreditTransactionType.Consumption).Should().Be(100);
        sqlite.Events.Should().NotBeEmpty();
        // Each customer's events in the same order on both stores; across customers, closes in one run are concurrent, so
        // their events interleave in no fixed order. Sequences are 1..N on both. Event ids end in a random part.
        foreach (var customer in new[] { "acme", "bolt" })
        {
            sqlite.Events.Where(e => e.Event.CustomerId == customer).Select(e => e.Event).Should().BeEquivalentTo(
                memory.Events.Where(e => e.Event.CustomerId == customer).Select(e => e.Event),
                o => o.WithStrictOrdering().ComparingByMembers<BillingEvent>().Excluding(e => e.EventId));
        }

        sqlite.Events.Select(e => e.Sequence).Should().Equal(memory.Events.Select(e => e.Sequence));
        sqlite.Events.Select(e => e.Event.EventId).Should().OnlyHaveUniqueItems();
        sqlite.Subscriptions.Should().BeEquivalentTo(memory.Subscriptions, o => o.WithStrictOrdering().ComparingByMembers<Subscription>());
        sqlite.Periods.Should().BeEquivalentTo(memory.Periods, o => o.WithStrictOrdering());
    }

    private static async Task<List<UsageOutcomeKind>> RunScriptAsync(TestMetering billing)
    {
        var outcomes = new List<UsageOutcomeKind>();
        await billing.Subscriptions.CreateCustomerAsync("acme", "Acme", "UTC");
        await billing.Subscriptions.CreateCustomerAsync("bolt", "Bolt", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "acme", PlanKey = "pro", SubscriptionId = "sub-pro" });
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "bolt", PlanKey = "prepaid", SubscriptionId = "sub-prepaid" });
        await billing.Credits.GrantAsync(new CreditGrantRequest
        {
            CustomerId = "bolt",
            Amount = new Money(1.00m, Currency.USD),
            GrantId = "welcome",
            ExpiresAt = Start + Duration.FromDays(90),
            Metadata = new Dictionary<string, string> { ["campaign"] = "launch" },
        });

        async Task Record(string customer, string meter, decimal quantity, string key, UsageAction action = UsageAction.Increment, params (string, string)[] properties)
        {
            billing.Clock.Advance(Duration.FromMinutes(7));
            var record = new UsageRecord(customer, meter, quantity, billing.Clock.Now, key, action, properties.Length == 0 ? null : properties.ToDictionary(p => p.Item1, p => p.Item2));
            outcomes.Add((await billing.Recorder.RecordAsync(record)).Kind);
        }

        await Record("acme", "api_calls", 50m, "a1", UsageAction.Increment, ("region", "us"));
        await Record("acme", "api_calls", 40m, "a2", UsageAction.Increment, ("region", "eu"));
        await Record("acme", "api_calls", 40m, "a3");
        await Record("acme", "api_calls", 40m, "a2", UsageAction.Increment, ("region", "eu"));  // duplicate
        await Record("acme", "api_calls", 41m, "a2", UsageAction.Increment, ("region", "eu"));  // conflict
        await Record("acme", "active_users", 1m, "u1", UsageAction.Increment, ("user_id", "ann"));
        await Record("acme", "active_users", 1m, "u2", UsageAction.Increment, ("user_id", "bob"));
        await Record("acme", "active_users", 1m, "u3", UsageAction.Increment, ("user_id", "ann"));
        await Record("acme", "active_users", 1m, "u4", UsageAction.Increment, ("user_id", "cy"));
        await Record("acme", "storage_gb", 12m, "s1");
        await Record("acme", "storage_gb", 3.5m, "s2");
        await Record("acme", "seats", 9m, "seat1");
        await Record("acme", "seats", 7m, "seat2");
        var batch = await billing.Recorder.RecordBatchAsync(
        [
            .. Enumerable.Range(0, 150).Select(i => new UsageRecord("bolt", "api_calls", 1m, billing.Clock.Now, $"b{i}")),
            new UsageRecord("bolt", "api_calls", 1m, billing.Clock.Now, "b0"),
        ]);
        outcomes.AddRange(batch.Select(o => o.Kind));

        var pro = (await billing.Subscriptions.GetAsync("sub-pro"))!;
        await billing.AdvanceToPeriodEndAsync("sub-pro");

        // February: a Set resets the running Sum; then a plan change closes February early; then cancel.
        await Record("acme", "api_calls", 10m, "f1");
        await Record("acme", "api_calls", 5m, "f2", UsageAction.Set);
        await Record("acme", "api_calls", 2m, "f3");
        await Record("acme", "seats", 3m, "f4");
        outcomes.Add((await billing.Recorder.RecordAsync(new UsageRecord("acme", "api_calls", 1m, pro.CurrentPeriod.Start + Duration.FromHours(1), "late"))).Kind);
        await billing.Subscriptions.ChangePlanAsync("sub-pro", "prepaid");
        return outcomes;
    }

    private static IEnumerable<Invoice> ByPeriod(IEnumerable<Invoice> invoices) =>
        invoices.OrderBy(i => i.SubscriptionId, StringComparer.Ordinal).ThenBy(i => i.Period.Start).Select(i => i with { Number = 0 });

    private static async Task<Snapshot> SnapshotAsync(IMeteringStore store)
    {
        var ct = TestContext.Current.CancellationToken;
        var subscriptions = new List<Subscription>();
        var aggregates = new Dictionary<string, IReadOnlyList<StoredAggregate>>();
        var records = new List<UsageRecord>();
        var periods = new List<Instant>();
        var invoices = new List<Invoice>();
        foreach (var customer in new[] { "acme", "bolt" })
        {
            subscriptions.AddRange(await store.ListSubscriptionsAsync(customer, ct));
            invoices.AddRange((await store.ListInvoicesAsync(customer, null, 50, ct)).Items);
        }

        invoices = [.. invoices.OrderByDescending(i => i.Number)];
        foreach (var subscription in subscriptions)
        {
            string? cursor = null;
            do
            {
                // Page size 1 exercises the cursor.
                var page = await store.ListUsagePeriodsAsync(subscription.SubscriptionId, cursor, 1, ct);
                foreach (var start in page.Items)
                {
                    periods.Add(start);
                    aggregates[$"{subscription.SubscriptionId}@{start}"] = await store.GetAggregatesAsync(subscription.SubscriptionId, start, ct);
                    await foreach (var record in store.ReadUsageRecordsAsync(subscription.SubscriptionId, start, ct))
                    {
                        records.Add(record);
                    }
                }

                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }

        var ledger = await store.LoadLedgerAsync("bolt", ct);
        var events = await store.ReadEventsAsync(null, 1_000, ct);
        return new Snapshot(subscriptions, invoices, aggregates, records, periods, ledger.Grants, ledger.Transactions, events);
    }

    private sealed record Snapshot(
        IReadOnlyList<Subscription> Subscriptions,
        IReadOnlyList<Invoice> Invoices,
        Dictionary<string, IReadOnlyList<StoredAggregate>> Aggregates,
        IReadOnlyList<UsageRecord> Records,
        IReadOnlyList<Instant> Periods,
        IReadOnlyList<CreditGrant> Grants,
        IReadOnlyList<CreditTransaction> Transactions,
        IReadOnlyList<StoredBillingEvent> Events);
}
