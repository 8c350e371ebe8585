using System.Collections.Immutable;
using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// What the store writes reads back equal from a second store instance (no caches): jsonb documents with decimals as
/// strings, numeric quantities and instants as 100 ns ticks.
/// </summary>
public sealed class PostgreSqlRoundTripTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task Plan_WithEveryPricingModel_ReadsBackWithTheSameDefinition()
    {
        var plan = Plan.Create("pro", Currency.EUR, BillingInterval.Months(3))
            .WithDisplayName("Pro (quarterly)")
            .WithBaseFee(19.99m, perSeat: true)
            .WithTrialDays(14)
            .WhenCreditsRunOut(CreditOverflow.Block)
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m, includedUnits: 1_000m), o => o.BurnsCreditsInRealTime = true)
            .WithCharge("exports", PricingModel.Package(100m, 2.50m, rounding: PackageRounding.Down))
            .WithCharge("storage_gb", PricingModel.Graduated([new PriceTier(10m, 0m), new PriceTier(100.5m, 0.125m, 1.00m), new PriceTier(null, 0.0999999999m)]))
            .WithCharge("api_calls", PricingModel.Volume([new PriceTier(1_000m, 0.01m), new PriceTier(null, 0.005m, 5m)]), o =>
            {
                o.Key = "api_calls_eu";
                o.DisplayName = "API calls (EU)";
                o.Where("region", "eu").Where("tier", "gold");
            })
            .WithFeature(Feature.On("sso"))
            .WithFeature(Feature.Limited("max_seats", 25m))
            .WithFeature(Feature.Off("audit_log"))
            .Build();
        var connectionString = server.CreateDatabase();
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using (var writer = new PostgreSqlMeteringStore(source))
        {
            (await writer.PublishPlanAsync(plan, CancellationToken.None)).Version.Should().Be(1);
        }

        await using var reader = new PostgreSqlMeteringStore(source);
        var stored = (await reader.FindPlanAsync("pro", 1, CancellationToken.None))!;
        stored.DefinitionEquals(plan).Should().BeTrue();
        stored.Charges.Should().Equal(plan.Charges);
        stored.Currency.Should().BeSameAs(Currency.EUR);
        ((GraduatedPricing)stored.FindCharge("storage_gb")!.Pricing).Tiers[2].UnitPrice.Should().Be(0.0999999999m);

        // Publishing the same definition again is a no-op; a changed one is version 2.
        (await reader.PublishPlanAsync(plan, CancellationToken.None)).Version.Should().Be(1);
        var changed = Plan.Create("pro", Currency.EUR, BillingInterval.Months(3)).WithBaseFee(29.99m).Build();
        (await reader.PublishPlanAsync(changed, CancellationToken.None)).Version.Should().Be(2);
        (await reader.FindPlanAsync("pro", null, CancellationToken.None))!.BaseFee.Should().Be(29.99m);
    }

    [Fact]
    public async Task Meters_AndCustomCurrencies_ReadBackEqual()
    {
        var meters = new[]
        {
            Meter.UniqueCount("active_users", "user_id").WithDisplayName("Active users").WithUnit("users"),
            Meter.Sum("storage_gb").WithGroupBy("region", "class"),
            Meter.Last("seats"),
        };
        var points = Currency.Custom("points", 4);
        var plan = Plan.Create("points_plan", points, BillingInterval.Weeks(2)).WithCharge("seats", PricingModel.PerUnit(1.2345m)).Build();
        await using var source = NpgsqlDataSource.Create(server.CreateDatabase());
        await using (var writer = new PostgreSqlMeteringStore(source))
        {
            foreach (var meter in meters)
            {
                await writer.UpsertMeterAsync(meter, CancellationToken.None);
            }

            await writer.PublishPlanAsync(plan, CancellationToken.None);
        }

        await using var reader = new PostgreSqlMeteringStore(source);
        (await reader.ListMetersAsync(CancellationToken.None)).Should().Equal(meters.OrderBy(m => m.Key, StringComparer.Ordinal));
        var stored = (await reader.FindPlanAsync("points_plan", 1, CancellationToken.None))!;
        stored.Currency.Should().Be(points);
        stored.Currency.IsCustom.Should().BeTrue();
        stored.Interval.Should().Be(BillingInterval.Weeks(2));
    }

    [Fact]
    public async Task UsageRecords_KeepTickPrecision_ExactDecimals_AndProperties()
    {
        var connectionString = server.CreateDatabase();
        await using var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Max("gauge")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithCharge("gauge", PricingModel.PerUnit(1m)).Build()),
            Start,
            b => b.UsePostgreSql(connectionString));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var subscription = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        billing.Clock.Advance(Duration.FromDays(1));

        // One tick (100 ns) after the start, 28 significant digits just under MeteringLimits.MaxQuantity, the finest decimal, properties with unicode.
        var oneTick = Start + Duration.FromNanoseconds(100);
        UsageRecord[] records =
        [
            new("c1", "gauge", 0.0000000000000000000000000001m, oneTick, "tiny"),
            new("c1", "gauge", 999_999_999_999_999.999_999_999_999_9m, oneTick + Duration.FromNanoseconds(100), "huge", Properties: ImmutableDictionary.CreateRange([KeyValuePair.Create("region", "eu-west"), KeyValuePair.Create("note", "Ünïcödé ✓ \"quoted\"")])),
            new("c1", "gauge", 1.50m, Start + Duration.FromDays(1) - Duration.FromNanoseconds(100), "scaled", SubscriptionId: subscription.SubscriptionId),
        ];
        (await billing.Recorder.RecordBatchAsync(records)).Select(o => o.Kind).Should().OnlyContain(k => k == UsageOutcomeKind.Accepted);

        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var reader = new PostgreSqlMeteringStore(source);
        var stored = new List<UsageRecord>();
        await foreach (var record in reader.ReadUsageRecordsAsync(subscription.SubscriptionId, Start, CancellationToken.None))
        {
            stored.Add(record);
        }

        stored.Should().Equal(records);
        stored[0].Timestamp.ToUnixTimeTicks().Should().Be(Start.ToUnixTimeTicks() + 1);
        stored[2].Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture).Should().Be("1.50");
        var aggregate = (await reader.GetAggregatesAsync(subscription.SubscriptionId, Start, CancellationToken.None)).Single().Aggregate;
        aggregate.Value.Should().Be(999_999_999_999_999.999_999_999_999_9m);
        aggregate.RecordCount.Should().Be(3);
        aggregate.LatestTimestamp.Should().Be(Start + Duration.FromDays(1) - Duration.FromNanoseconds(100));

        // A retry read back from the database is still told apart from a conflicting reuse of the key.
        var retry = await billing.Recorder.RecordAsync(records[1] with { Properties = ImmutableDictionary.CreateRange(records[1].Properties!.Reverse()) });
        retry.Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await billing.Recorder.RecordAsync(records[2] with { Quantity = 1.5000001m })).Kind.Should().Be(UsageOutcomeKind.Conflict);
    }

    [Fact]
    public async Task SubscriptionsAndInvoices_ReadBackEqual_FromAnotherStoreInstance()
    {
        var connectionString = server.CreateDatabase();
        var plan = Plan.Create("standard", Currency.JMD, BillingInterval.Months(1))
            .WithBaseFee(1_000m)
            .WithCharge("api_calls", PricingModel.Graduated([new PriceTier(100m, 1.5m), new PriceTier(null, 0.333m, 10m)]))
            .Build();
        await using var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan), Start, b => b.UsePostgreSql(connectionString));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "America/Jamaica");
        var subscription = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", Seats = 3 });
        billing.Clock.Advance(Duration.FromDays(1));
        (await billing.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 250.5m, Start + Duration.FromHours(6), "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        var invoice = (await billing.AdvanceToPeriodEndAsync(subscription.SubscriptionId)).Invoices.Single();

        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var reader = new PostgreSqlMeteringStore(source);
        (await reader.FindInvoiceAsync(invoice.InvoiceId, CancellationToken.None)).Should().Be(invoice);
        var renewed = (await billing.Subscriptions.GetAsync(subscription.SubscriptionId))!;
        var stored = (await reader.FindSubscriptionAsync(subscription.SubscriptionId, CancellationToken.None))!;
        stored.Should().BeEquivalentTo(renewed);
        stored.Schedule.Should().Be(renewed.Schedule);
        stored.CurrentPeriod.Should().Be(renewed.CurrentPeriod);

        // Graduated: 100 × 1.5 = 150 + 150.5 × 0.333 + 10 = 50.1165 + 10 = 60.1165; line 210.1165 rounds to 210.12; + 1,000 base.
        invoice.Total.Should().Be(new Money(1_210.12m, Currency.JMD));
    }
}
