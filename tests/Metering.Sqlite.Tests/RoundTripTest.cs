using System.Collections.Immutable;
using Metering.Sqlite;
using Metering.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>What goes into the file comes back equal, read by a new store instance on the same file.</summary>
public class RoundTripTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Plan EveryPricingModel() =>
        Plan.Create("everything", Currency.Custom("credits", 4), BillingInterval.Weeks(2))
            .WithDisplayName("Everything")
            .WithBaseFee(12.3450m, perSeat: true)
            .WithTrialDays(14)
            .WithCharge("api_calls", PricingModel.Graduated([new PriceTier(1_000m, 0.002m), new PriceTier(10_000m, 0.0015m, 5m), new PriceTier(null, 0.001m)], includedUnits: 100m))
            .WithCharge("storage_gb", PricingModel.Volume([new PriceTier(10.5m, 1.25m, 0.10m), new PriceTier(null, 0.99m)]))
            .WithCharge("packages", PricingModel.Package(10m, 4.50m, 3m, PackageRounding.Down))
            .WithCharge("api_calls", PricingModel.PerUnit(0.0100m), c =>
            {
                c.Key = "api_eu";
                c.DisplayName = "EU calls";
                c.BurnsCreditsInRealTime = true;
                c.Where("region", "eu").Where("tier", "gold");
            })
            .WithFeature(Feature.On("sso"))
            .WithFeature(Feature.Limited("max_seats", 10.50m))
            .WithFeature(Feature.Off("beta"))
            .WhenCreditsRunOut(CreditOverflow.Block)
            .Build();

    [Fact]
    public async Task Plan_ReadBack_SameDefinitionAndEveryDecimalKeepsItsScale()
    {
        using var db = new TempDatabase();
        var plan = EveryPricingModel();
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            (await store.PublishPlanAsync(plan, Ct)).Version.Should().Be(1);
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        var stored = await reopened.FindPlanAsync("everything", null, Ct);

        stored.Should().NotBeNull();
        stored!.DefinitionEquals(plan).Should().BeTrue();
        stored.Version.Should().Be(1);
        stored.Currency.Should().Be(Currency.Custom("credits", 4));
        stored.Interval.Should().Be(BillingInterval.Weeks(2));
        stored.BaseFee.ToString(System.Globalization.CultureInfo.InvariantCulture).Should().Be("12.3450");
        var eu = stored.FindCharge("api_eu")!;
        ((PerUnitPricing)eu.Pricing).UnitPrice.ToString(System.Globalization.CultureInfo.InvariantCulture).Should().Be("0.0100");
        eu.Filter.Should().Equal(new Dictionary<string, string> { ["region"] = "eu", ["tier"] = "gold" });
        (await reopened.FindPlanAsync("everything", 1, Ct))!.DefinitionEquals(plan).Should().BeTrue();
        (await reopened.FindPlanAsync("everything", 2, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task PublishPlan_SameDefinitionAgain_NoOpAndAChangedOneIsTheNextVersion()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        var plan = EveryPricingModel();

        (await store.PublishPlanAsync(plan, Ct)).Version.Should().Be(1);
        (await store.PublishPlanAsync(EveryPricingModel(), Ct)).Version.Should().Be(1);
        var changed = Plan.Create("everything", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m).Build();
        (await store.PublishPlanAsync(changed, Ct)).Version.Should().Be(2);
        (await store.FindPlanAsync("everything", null, Ct))!.BaseFee.Should().Be(10m);
        (await store.FindPlanAsync("everything", 1, Ct))!.DefinitionEquals(plan).Should().BeTrue();
    }

    [Fact]
    public async Task MetersCustomersAndSubscriptions_ReadBack_Equal()
    {
        using var db = new TempDatabase();
        var meters = new[]
        {
            Meter.Sum("api_calls").WithGroupBy("region", "tier").WithDisplayName("API calls").WithUnit("calls"),
            Meter.UniqueCount("active_users", "user_id"),
            Meter.Last("seats"),
        };
        var customer = new Customer("c-1", "Kingston Parcels", "America/Jamaica", Start + Duration.FromNanoseconds(123));
        var zone = DateTimeZoneProviders.Tzdb["America/Jamaica"];
        var schedule = new BillingSchedule(new LocalDateTime(2026, 1, 31, 9, 30, 15).PlusNanoseconds(42), zone, BillingInterval.Months(3));
        var subscription = new Subscription
        {
            SubscriptionId = "s-1",
            CustomerId = "c-1",
            PlanKey = "pro",
            PlanVersion = 3,
            Schedule = schedule,
            StartedAt = schedule.StartOf(0),
            CurrentPeriod = schedule.PeriodAt(1),
            TrialEndsAt = schedule.StartOf(0) + Duration.FromDays(14),
            Seats = 4,
            SeatAssignments = ["ann", "bob"],
            CancelAt = schedule.StartOf(2),
            Revision = 7,
        };
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            foreach (var meter in meters)
            {
                await store.UpsertMeterAsync(meter, Ct);
            }

            (await store.AddCustomerAsync(customer, Ct)).Should().BeTrue();
            (await store.AddCustomerAsync(customer with { Name = "Other" }, Ct)).Should().BeFalse();
            (await store.AddSubscriptionAsync(subscription, [], Ct)).Should().BeTrue();
            (await store.AddSubscriptionAsync(subscription, [], Ct)).Should().BeFalse();
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        (await reopened.ListMetersAsync(Ct)).Should().Equal(meters.OrderBy(m => m.Key, StringComparer.Ordinal));
        (await reopened.FindCustomerAsync("c-1", Ct)).Should().Be(customer);
        var stored = await reopened.FindSubscriptionAsync("s-1", Ct);
        stored.Should().BeEquivalentTo(subscription, o => o.ComparingByMembers<Subscription>());
        stored!.Schedule.Should().Be(schedule);
        stored.Schedule.Anchor.NanosecondOfSecond.Should().Be(42);
        (await reopened.ListSubscriptionsAsync("c-1", Ct)).Should().ContainSingle();
    }

    [Fact]
    public async Task UpdateSubscription_StaleRevision_Refused()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        var schedule = BillingSchedule.FromStart(Start, DateTimeZone.Utc, BillingInterval.Months(1));
        var subscription = new Subscription
        {
            SubscriptionId = "s-1", CustomerId = "c-1", PlanKey = "pro", PlanVersion = 1, Schedule = schedule, StartedAt = Start, CurrentPeriod = schedule.PeriodAt(0),
        };
        await store.AddSubscriptionAsync(subscription, [], Ct);

        (await store.UpdateSubscriptionAsync(subscription with { Seats = 2, Revision = 1 }, [], Ct)).Should().BeTrue();
        (await store.UpdateSubscriptionAsync(subscription with { Seats = 3, Revision = 1 }, [], Ct)).Should().BeFalse();
        (await store.UpdateSubscriptionAsync(subscription with { SubscriptionId = "missing", Revision = 1 }, [], Ct)).Should().BeFalse();
        (await store.FindSubscriptionAsync("s-1", Ct))!.Seats.Should().Be(2);
    }

    [Fact]
    public async Task Invoice_ReadBack_EqualLinesAndTotals()
    {
        using var db = new TempDatabase();
        Invoice closed;
        await using (var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("packages")).AddPlan(Plan.Create("shipping", Currency.JMD, BillingInterval.Months(1))
                .WithBaseFee(1_000m)
                .WithCharge("packages", PricingModel.Graduated([new PriceTier(100m, 1.00m), new PriceTier(null, 0.50m)]))
                .Build()),
            Start,
            b => b.UseSqlite(db.Path)))
        {
            await billing.Subscriptions.CreateCustomerAsync("m-1", "Merchant", "UTC");
            var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "m-1", PlanKey = "shipping", SubscriptionId = "s-1" });
            billing.Clock.Advance(Duration.FromHours(1));
            await billing.Recorder.RecordAsync(new UsageRecord("m-1", "packages", 250m, billing.Clock.Now, "p-1"));
            closed = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        var stored = await reopened.FindInvoiceAsync(closed.InvoiceId, Ct);

        // 1000 base + 100 x 1.00 + 150 x 0.50 = 1175.00 JMD.
        stored.Should().NotBeNull();
        stored!.Total.Should().Be(new Money(1_175.00m, Currency.JMD));
        stored.Content.Lines.Should().Equal(closed.Content.Lines);
        stored.Content.Lines[1].Tiers.Should().HaveCount(2);
        stored.Content.Should().Be(closed.Content);
        stored.Should().Be(closed);
        stored.Number.Should().Be(1);
        (await reopened.ListInvoicesAsync("m-1", null, 10, Ct)).Items.Should().Equal(closed);
    }

    [Fact]
    public async Task Usage_ReadBack_TimestampsKeepNanosecondsAndQuantitiesEveryDigit()
    {
        using var db = new TempDatabase();
        var recordedAt = Start + Duration.FromMinutes(5) + Duration.FromNanoseconds(123_456_789);
        await using (var billing = TestMetering.Create(o => o.AddMeter(Meter.Last("gauge")).AddPlan(Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("gauge", PricingModel.PerUnit(1m)).Build()), Start, b => b.UseSqlite(db.Path)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c", null, "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c", PlanKey = "p", SubscriptionId = "s" });
            billing.Clock.Advance(Duration.FromMinutes(10));
            var record = new UsageRecord("c", "gauge", 0.0000000000000000000000000001m, recordedAt, "k", UsageAction.Set, new Dictionary<string, string> { ["host"] = "a\"b", ["ü"] = "ñ" });
            (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        var records = new List<UsageRecord>();
        await foreach (var r in reopened.ReadUsageRecordsAsync("s", Start, Ct))
        {
            records.Add(r);
        }

        var stored = records.Should().ContainSingle().Subject;
        stored.Timestamp.Should().Be(recordedAt);
        stored.Quantity.Should().Be(0.0000000000000000000000000001m);
        stored.Action.Should().Be(UsageAction.Set);
        stored.Properties.Should().Equal(new Dictionary<string, string> { ["host"] = "a\"b", ["ü"] = "ñ" });
        var aggregate = (await reopened.GetAggregatesAsync("s", Start, Ct)).Should().ContainSingle().Subject.Aggregate;
        aggregate.LatestTimestamp.Should().Be(recordedAt);
        aggregate.Value.Should().Be(0.0000000000000000000000000001m);
    }

    [Fact]
    public async Task ReadUsageRecords_IndexedPartAndUnindexedTail_InArrivalOrder()
    {
        using var db = new TempDatabase();
        const int perSubscription = 6_200; // 12,400 in all: one index batch (10,000) plus a tail, read in pages of 1,000
        var sent = new Dictionary<string, List<string>> { ["s-a"] = [], ["s-b"] = [] };
        await using (var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("m")).AddPlan(Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("m", PricingModel.PerUnit(1m)).Build()), Start, b => b.UseSqlite(db.Path)))
        {
            foreach (var (customer, subscription) in new[] { ("a", "s-a"), ("b", "s-b") })
            {
                await billing.Subscriptions.CreateCustomerAsync(customer, null, "UTC");
                await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customer, PlanKey = "p", SubscriptionId = subscription });
            }

            for (int batch = 0; batch < perSubscription / 100; batch++)
            {
                var records = new List<UsageRecord>();
                for (int i = 0; i < 200; i++)
                {
                    // Interleaved customers; keys that do not sort in arrival order.
                    var (customer, subscription) = i % 2 == 0 ? ("a", "s-a") : ("b", "s-b");
                    var key = $"{customer}-{(batch * 200 + i) * 7919 % 100_003}";
                    sent[subscription].Add(key);
                    records.Add(new UsageRecord(customer, "m", 1m, Start + Duration.FromSeconds(batch), key));
                }

                (await billing.Recorder.RecordBatchAsync(records)).Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
            }

            (await billing.Reconciler.ReconcileAsync("s-a", Start, Ct)).Should().Match<ReconciliationReport>(r => r.IsConsistent && r.RecordCount == perSubscription);
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        foreach (var (subscription, keys) in sent)
        {
            var read = new List<string>();
            await foreach (var record in reopened.ReadUsageRecordsAsync(subscription, Start, Ct))
            {
                read.Add(record.IdempotencyKey);
            }

            read.Should().Equal(keys, $"{subscription} reads back every record once, in arrival order");
        }

        await using var connection = new SqliteConnection($"Data Source={db.Path};Pooling=False");
        await connection.OpenAsync(Ct);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT indexed_through FROM usage_index_state";
        ((long)(await command.ExecuteScalarAsync(Ct))!).Should().BeInRange(10_000, 2 * perSubscription - 1, "one batch was indexed and a tail was left");
    }

    [Fact]
    public async Task Ledger_WithGrantsAndTransactions_ReadBackEqual()
    {
        using var db = new TempDatabase();
        var usd = Currency.USD;
        var ledger = CreditLedger.Empty("c-1")
            .Grant(new CreditGrant("promo", "c-1", new Money(10m, usd), CreditCategory.Promotional, Start, Start + Duration.FromDays(30), 1, "Promo", ImmutableDictionary<string, string>.Empty.Add("k", "v")))
            .Grant(new CreditGrant("paid", "c-1", new Money(25.005m, usd), CreditCategory.Paid, Start));
        ledger = ledger.Consume(new Money(8m, usd), Start + Duration.FromDays(1), usageIdempotencyKey: "u-1", description: "usage").Ledger;
        ledger = ledger.Adjust("paid", -0.005m, Start + Duration.FromDays(2), "rounding");
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            var first = ledger;
            await store.UpdateLedgerAsync("c-1", l => new LedgerChange(first, []), Ct);
            await store.UpdateLedgerAsync("c-1", l => new LedgerChange(l.Void("promo", Start + Duration.FromDays(3), "fraud"), []), Ct);
        }

        await using var reopened = new SqliteMeteringStore(db.Path);
        var stored = await reopened.LoadLedgerAsync("c-1", Ct);
        var expected = ledger.Void("promo", Start + Duration.FromDays(3), "fraud");

        stored.Grants.Should().Equal(expected.Grants);
        stored.Transactions.Should().Equal(expected.Transactions);
        // Promo (priority 1) pays the 8 and its last 2 are voided; paid 25.005 - 0.005 adjusted = 25.000 remaining.
        stored.BalanceAt(usd, Start + Duration.FromDays(4)).RemainingMoney.Should().Be(new Money(25.000m, usd));
        stored.Transactions.Select(t => t.Type).Should().Equal(
            CreditTransactionType.Grant, CreditTransactionType.Grant, CreditTransactionType.Consumption, CreditTransactionType.Adjustment, CreditTransactionType.Void);
        (await reopened.LoadLedgerAsync("nobody", Ct)).Transactions.Should().BeEmpty();
    }

    [Fact]
    public async Task UpdateLedger_ChangeDropsTransactions_RefusedAndStoresNothing()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        var granted = CreditLedger.Empty("c-1").Grant(new CreditGrant("g", "c-1", new Money(5m, Currency.USD), CreditCategory.Paid, Start));
        await store.UpdateLedgerAsync("c-1", _ => new LedgerChange(granted, []), Ct);

        var act = async () => await store.UpdateLedgerAsync("c-1", _ => new LedgerChange(CreditLedger.Empty("c-1"), []), Ct);

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*only append*");
        (await store.LoadLedgerAsync("c-1", Ct)).Transactions.Should().ContainSingle();
    }

    [Fact]
    public async Task Schema_NewDatabase_WalMoneyAsTextInstantsAsIntegers()
    {
        using var db = new TempDatabase();
        await using (var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("m")).AddPlan(Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("m", PricingModel.PerUnit(1m)).Build()), Start, b => b.UseSqlite(db.Path)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c", null, "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c", PlanKey = "p", SubscriptionId = "s" });
            await billing.Recorder.RecordAsync(new UsageRecord("c", "m", 1.50m, Start, "k"));
        }

        await using var connection = new SqliteConnection($"Data Source={db.Path};Pooling=False");
        await connection.OpenAsync(Ct);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT journal_mode FROM pragma_journal_mode), typeof(quantity), quantity, typeof(timestamp), timestamp FROM usage_records";
        using var reader = await command.ExecuteReaderAsync(Ct);
        (await reader.ReadAsync(Ct)).Should().BeTrue();
        reader.GetString(0).Should().Be("wal");
        reader.GetString(1).Should().Be("text");
        reader.GetString(2).Should().Be("1.50");
        reader.GetString(3).Should().Be("integer");
        // 2026-01-01T00:00Z = 1,767,225,600 s after the epoch.
        reader.GetInt64(4).Should().Be(1_767_225_600_000_000_000L);
    }
}
