using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Base of every conformance suite: a store provider creates a fresh, empty store per test, and the
/// suite drives it through the public services (<see cref="TestMetering"/>) with a test clock.
/// A provider runs the whole contract by subclassing each suite once.
/// </summary>
public abstract class StoreTestBase
{
    /// <summary>Start of the test clock: 2026-01-01T00:00Z.</summary>
    protected static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>Start of the second monthly period of a subscription started at <see cref="Start"/> in UTC.</summary>
    protected static readonly Instant February = Instant.FromUtc(2026, 2, 1, 0, 0);

    /// <summary>The default grace window (1 hour) after which a period is due.</summary>
    protected static readonly Duration Grace = Duration.FromHours(1);

    /// <summary>A custom credit unit with no decimals.</summary>
    protected static readonly Currency Credits = Currency.Custom("credits", 0);

    /// <summary>Plugs the store under test into the builder (e.g. <c>b => b.UseSqlite(path)</c>); each call must give a fresh, empty store.</summary>
    protected abstract void UseStore(MeteringBuilder builder);

    /// <summary>Creates Metering on a fresh store with the given options.</summary>
    protected TestMetering CreateMetering(Action<MeteringOptions>? configure = null, Instant? start = null) =>
        TestMetering.Create(configure, start ?? Start, UseStore);

    /// <summary>Creates Metering on a fresh store, then applies <paramref name="configureBuilder"/> (e.g. event handlers).</summary>
    protected TestMetering CreateMeteringWith(Action<MeteringBuilder> configureBuilder, Action<MeteringOptions>? configure = null) =>
        TestMetering.Create(configure, Start, b =>
        {
            UseStore(b);
            configureBuilder(b);
        });

    /// <summary>
    /// The plan most suites use: <c>standard</c>, USD, monthly, base fee 10.00, meter <c>api_calls</c>
    /// (Sum) at 2.00 per unit. An invoice with q calls totals 10.00 + 2.00 × q.
    /// </summary>
    protected static Plan StandardPlan() =>
        Plan.Create("standard", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(10.00m)
            .WithCharge("api_calls", PricingModel.PerUnit(2.00m))
            .Build();

    /// <summary>Creates Metering on a fresh store with the <c>api_calls</c> meter and <see cref="StandardPlan"/>.</summary>
    protected TestMetering CreateStandard(Action<MeteringOptions>? more = null, Instant? start = null) =>
        CreateMetering(o =>
        {
            o.AddMeter(Meter.Sum("api_calls")).AddPlan(StandardPlan());
            more?.Invoke(o);
        }, start);

    /// <summary>Creates a customer (UTC) and subscribes it to <paramref name="planKey"/> now.</summary>
    protected static async Task<Subscription> SubscribeAsync(TestMetering billing, string customerId, string planKey = "standard", string? subscriptionId = null)
    {
        await billing.Subscriptions.CreateCustomerAsync(customerId, customerId, "UTC");
        return await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customerId, PlanKey = planKey, SubscriptionId = subscriptionId });
    }

    /// <summary>An Increment record.</summary>
    protected static UsageRecord Usage(string customerId, decimal quantity, Instant at, string key, string meterKey = "api_calls") =>
        new(customerId, meterKey, quantity, at, key);

    /// <summary>US dollars.</summary>
    protected static Money Usd(decimal amount) => new(amount, Currency.USD);

    /// <summary>The raw records the store holds for one subscription period, in arrival order.</summary>
    protected static async Task<List<UsageRecord>> RecordsOfAsync(TestMetering billing, string subscriptionId, Instant periodStart)
    {
        var records = new List<UsageRecord>();
        await foreach (var record in billing.Store.ReadUsageRecordsAsync(subscriptionId, periodStart, CancellationToken.None))
        {
            records.Add(record);
        }

        return records;
    }

    /// <summary>The stored meter-level aggregate of one subscription period (empty when there is none).</summary>
    protected static async Task<UsageAggregate> AggregateOfAsync(TestMetering billing, string subscriptionId, Instant periodStart, string aggregateKey = "api_calls")
    {
        var aggregates = await billing.Store.GetAggregatesAsync(subscriptionId, periodStart, CancellationToken.None);
        var key = AggregateKey.Parse(aggregateKey);
        return aggregates.Any(a => a.Key == key)
            ? aggregates.Single(a => a.Key == key).Aggregate
            : UsageAggregate.Empty(Aggregation.Sum);
    }

    /// <summary>The open period's summary of one meter.</summary>
    protected static async Task<UsageSummary> CurrentOfAsync(TestMetering billing, string subscriptionId, string meterKey = "api_calls")
    {
        var current = await billing.Usage.GetCurrentAsync(subscriptionId);
        return current.Usage.Single(u => u.MeterKey == meterKey);
    }

    /// <summary>The usage line of <paramref name="chargeKey"/> on an invoice.</summary>
    protected static InvoiceLine UsageLine(Invoice invoice, string chargeKey = "api_calls") =>
        invoice.Content.Lines.Single(l => l.Kind == InvoiceLineKind.Usage && l.ChargeKey == chargeKey);

    /// <summary>Every page of a cursor-paginated listing.</summary>
    protected static async Task<List<Page<T>>> AllPagesAsync<T>(Func<string?, ValueTask<Page<T>>> read)
    {
        var pages = new List<Page<T>>();
        string? cursor = null;
        do
        {
            var page = await read(cursor);
            pages.Add(page);
            cursor = page.NextCursor;
            pages.Count.Should().BeLessThan(10_000, "a listing must end");
        }
        while (cursor is not null);

        return pages;
    }
}
