using BenchmarkDotNet.Attributes;
using Metering.Sqlite;
using Metering.Storage;

namespace Metering.Benchmarks.Micro;

/// <summary>
/// A credit ledger's read on SQLite (<see cref="IMeteringStore.LoadLedgerAsync"/>, what balances, the ledger page and
/// every current-usage read of a customer with credits do) for a random customer of a file holding
/// <see cref="Customers"/> customers with one grant and ten burns each. Every ledger is held by the store already, so
/// this is the lookup of the stored last sequence: one search of the credit transactions' key.
/// </summary>
[MemoryDiagnoser]
public class SqliteLedgerBenchmarks
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private string _folder = null!;
    private SqliteMeteringStore _store = null!;
    private Random _random = null!;

    /// <summary>Customers on the file (each with 11 rows of credit transactions and one grant).</summary>
    [Params(1_000, 10_000)]
    public int Customers { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _folder = Path.Combine(Path.GetTempPath(), "metering-bench-ledger-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _store = new SqliteMeteringStore(Path.Combine(_folder, "metering.db"));
        await _store.InitializeAsync(CancellationToken.None);

        // 64 customers at a time, so the writer commits their changes in shared groups.
        for (int first = 0; first < Customers; first += 64)
        {
            var ids = Enumerable.Range(first, Math.Min(64, Customers - first)).Select(Id).ToList();
            await Task.WhenAll(ids.Select(id => _store.UpdateLedgerAsync(
                id,
                l => new LedgerChange(l.Grant(new CreditGrant("grant-1", id, new Money(1_000m, Currency.USD), CreditCategory.Paid, Start, Start + Duration.FromDays(365))), []),
                CancellationToken.None).AsTask()));
            for (int burn = 1; burn <= 10; burn++)
            {
                var at = Start + Duration.FromMinutes(burn);
                await Task.WhenAll(ids.Select(id => _store.UpdateLedgerAsync(
                    id,
                    l => new LedgerChange(l.Consume(new Money(1.25m, Currency.USD), at, $"usage-{burn}").Ledger, []),
                    CancellationToken.None).AsTask()));
            }
        }

        // Every ledger read once, so the benchmark times the held ledger's lookup, not a first load.
        for (int i = 0; i < Customers; i++)
        {
            await _store.LoadLedgerAsync(Id(i), CancellationToken.None);
        }

        _random = new Random(7);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>The ledger of a random customer.</summary>
    [Benchmark]
    public ValueTask<CreditLedger> LoadLedgerAsync() => _store.LoadLedgerAsync(Id(_random.Next(Customers)), CancellationToken.None);

    private static string Id(int i) => "customer-" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
