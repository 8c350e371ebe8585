namespace Metering.Storage.Conformance.Simulation;

/// <summary>
/// The workload a crash test's child process records until it is killed, and the parent replays afterwards: a
/// deterministic stream of batches per worker (so both processes generate the same records from the seed) for
/// <see cref="Customers"/> customers on the <see cref="SimulationWorld"/> plans, all in the first monthly period.
/// Every third batch resends the previous one (a host retrying after a lost answer) and some items are invalid.
/// </summary>
public static class CrashWorkload
{
    /// <summary>The clock of the child and of the parent's recovery: three days into the first period.</summary>
    public static readonly Instant ChildNow = SimulationWorld.Start + Duration.FromDays(3);

    /// <summary>Number of customers (c0, c1, ...), on basic and pro alternately.</summary>
    public const int Customers = 4;

    private static readonly decimal[] Quantities = [0m, 1m, 2m, 3m, 5m, 10m, 0.5m, 0.001m, 12.345m, 250m];

    /// <summary>The plan of customer <paramref name="index"/>.</summary>
    public static string PlanOf(int index) => index % 2 == 0 ? "basic" : "pro";

    /// <summary>Creates the customers and subscribes them (ids c0.., s0..) at the clock's now.</summary>
    public static async Task SetUpAsync(TestMetering billing)
    {
        ArgumentNullException.ThrowIfNull(billing);
        for (int i = 0; i < Customers; i++)
        {
            await billing.Subscriptions.CreateCustomerAsync($"c{i}", $"c{i}", "UTC").ConfigureAwait(false);
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{i}", PlanKey = PlanOf(i), SubscriptionId = $"s{i}" }).ConfigureAwait(false);
        }
    }

    /// <summary>Batch <paramref name="batch"/> of worker <paramref name="worker"/> for <paramref name="seed"/>; the same arguments always give the same records.</summary>
    public static IReadOnlyList<UsageRecord> Batch(int seed, int worker, int batch)
    {
        if (batch % 3 == 2)
        {
            return Batch(seed, worker, batch - 1);
        }

        var random = new Random(unchecked((seed * 1_000_003) + (worker * 10_007) + batch));
        var records = new List<UsageRecord>();
        for (int i = random.Next(1, 7); i > 0; i--)
        {
            var customer = random.Next(Customers);
            var meter = random.Next(4) == 0 ? "storage_gb" : "api_calls";
            var quantity = random.Next(12) == 0 ? -1m : Quantities[random.Next(Quantities.Length)];
            var timestamp = ChildNow - Duration.FromMinutes(random.Next(0, 2 * 24 * 60));
            records.Add(new UsageRecord($"c{customer}", meter, quantity, timestamp, $"{seed}-{worker}-{batch}-{i}"));
        }

        return records;
    }

    /// <summary>The worker and batch a key of this workload belongs to.</summary>
    public static (int Worker, int Batch) Origin(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var parts = key.Split('-');
        return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }
}
