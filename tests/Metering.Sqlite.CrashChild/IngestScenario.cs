using System.Globalization;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.CrashChild;

/// <summary>
/// What the child process records, shared with the tests that start it: one customer on a flat plan, records of
/// quantity 1 with keys <c>{prefix}-{worker}-{batch}-{item}</c>, all in the first billing period.
/// </summary>
public static class IngestScenario
{
    /// <summary>Start of the first billing period (the parent subscribes at this instant).</summary>
    public static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>The clock of the child processes.</summary>
    public static readonly Instant ChildNow = Start + Duration.FromHours(1);

    /// <summary>The timestamp of every record.</summary>
    public static readonly Instant RecordedAt = Start + Duration.FromMinutes(30);

    /// <summary>The one customer.</summary>
    public const string CustomerId = "ingest-customer";

    /// <summary>The metered event.</summary>
    public const string MeterKey = "events";

    /// <summary>Meters and plans, the same in parent and children.</summary>
    public static void Configure(MeteringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddMeter(Meter.Sum(MeterKey))
            .AddPlan(Plan.Create("flat", Currency.USD, BillingInterval.Months(1)).WithCharge(MeterKey, PricingModel.PerUnit(0.01m)).Build());
    }

    /// <summary>Creates the customer and its subscription; returns the subscription id.</summary>
    public static async Task<string> SetUpAsync(string databasePath)
    {
        await using var billing = TestMetering.Create(Configure, Start, b => b.UseSqlite(databasePath));
        await billing.Subscriptions.CreateCustomerAsync(CustomerId, "Ingest", "UTC").ConfigureAwait(false);
        var subscription = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = CustomerId, PlanKey = "flat" }).ConfigureAwait(false);
        return subscription.SubscriptionId;
    }

    /// <summary>The key of one record.</summary>
    public static string Key(string prefix, int worker, int batch, int item) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{worker}-{batch}-{item}");

    /// <summary>The record with that key.</summary>
    public static UsageRecord Record(string key) => new(CustomerId, MeterKey, 1m, RecordedAt, key);
}
