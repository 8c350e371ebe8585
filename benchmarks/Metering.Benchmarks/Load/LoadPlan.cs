using System.Globalization;
using Metering.Testing;

namespace Metering.Benchmarks;

/// <summary>
/// The workload both the load runner and <see cref="Micro.RecorderBenchmarks"/> use: three meters priced by one monthly
/// plan with three charges (per-unit, graduated, package), and S customers with one subscription each, in UTC.
/// </summary>
public static class LoadPlan
{
    /// <summary>The plan's key.</summary>
    public const string PlanKey = "load";

    /// <summary>The meters the plan prices, one charge each.</summary>
    public static readonly IReadOnlyList<string> MeterKeys = ["api_calls", "storage_gb", "events"];

    /// <summary>Metering on a test clock at <paramref name="start"/>, with the store <paramref name="configureBuilder"/> picks.</summary>
    public static TestMetering Create(Instant start, Action<MeteringBuilder> configureBuilder) =>
        TestMetering.Create(Declare, start, configureBuilder);

    /// <summary>Declares the meters and the plan.</summary>
    public static void Declare(MeteringOptions options)
    {
        options.AddMeter(Meter.Sum("api_calls"))
            .AddMeter(Meter.Max("storage_gb"))
            .AddMeter(Meter.Count("events"))
            .AddPlan(Plan.Create(PlanKey, Currency.USD, BillingInterval.Months(1))
                .WithBaseFee(49.00m)
                .WithCharge("api_calls", PricingModel.PerUnit(0.002m, includedUnits: 1_000m))
                .WithCharge("storage_gb", PricingModel.Graduated(
                [
                    new PriceTier(10m, 0m),
                    new PriceTier(100m, 0.10m),
                    new PriceTier(null, 0.05m),
                ]))
                .WithCharge("events", PricingModel.Package(1_000m, 0.50m))
                .Build());
    }

    /// <summary>The id of customer number <paramref name="index"/>.</summary>
    public static string CustomerId(int index) => "cust-" + index.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>The id of the subscription of customer number <paramref name="index"/>.</summary>
    public static string SubscriptionId(int index) => "sub-" + index.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Creates <paramref name="count"/> customers, each subscribed to the plan from now, with <paramref name="parallelism"/> workers.</summary>
    public static async ValueTask AddCustomersAsync(ISubscriptionService subscriptions, int count, int parallelism, CancellationToken cancellationToken)
    {
        if (parallelism <= 1)
        {
            for (int i = 0; i < count; i++)
            {
                await AddOneAsync(subscriptions, i, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
            await AddOneAsync(subscriptions, i, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private static async ValueTask AddOneAsync(ISubscriptionService subscriptions, int index, CancellationToken cancellationToken)
    {
        var customerId = CustomerId(index);
        await subscriptions.CreateCustomerAsync(customerId, name: null, timeZoneId: "UTC", cancellationToken).ConfigureAwait(false);
        await subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customerId, PlanKey = PlanKey, SubscriptionId = SubscriptionId(index) }, cancellationToken).ConfigureAwait(false);
    }
}
