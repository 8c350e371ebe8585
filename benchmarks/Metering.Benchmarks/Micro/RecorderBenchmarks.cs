using System.Globalization;
using BenchmarkDotNet.Attributes;
using Metering.Testing;

namespace Metering.Benchmarks.Micro;

/// <summary>
/// The in-memory recorder on one thread: <see cref="RecordsPerInvoke"/> <see cref="IUsageRecorder.RecordAsync"/> calls
/// per invocation on pre-built records (new idempotency keys every iteration, so every record is Accepted), so the
/// time and the allocated bytes are per record. Each iteration starts from a fresh store with 100 customers on a
/// three-charge plan. Baseline: appending the same records to a plain locked <see cref="List{T}"/>, the ceiling of
/// any in-process store (no validation, no dedupe, no aggregates).
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class RecorderBenchmarks
{
    /// <summary>Records per benchmark invocation.</summary>
    public const int RecordsPerInvoke = 200_000;

    private const int Customers = 100;
    private static readonly string[] MeterKeys = ["api_calls", "storage_gb", "events"];
    private readonly Lock _rawGate = new();
    private TestMetering _metering = null!;
    private IUsageRecorder _recorder = null!;
    private UsageRecord[] _records = [];
    private UsageRecord[][] _batches = [];
    private List<UsageRecord> _raw = [];
    private int _iteration;

    [IterationSetup]
    public void IterationSetup()
    {
        // BenchmarkDotNet 0.14 runs [IterationSetup] synchronously, so the store is filled here through the store-free
        // path: the test clock and the in-memory store complete every ValueTask synchronously.
        _metering = LoadPlan.Create(Instant.FromUtc(2026, 1, 1, 0, 0), builder => { });
        var subscribe = LoadPlan.AddCustomersAsync(_metering.Subscriptions, Customers, parallelism: 1, CancellationToken.None).AsTask();
        if (!subscribe.IsCompleted)
        {
            throw new InvalidOperationException("The in-memory setup was expected to complete synchronously.");
        }

        subscribe.GetAwaiter().GetResult();
        _recorder = _metering.Recorder;
        _iteration++;
        var now = _metering.Clock.Now;
        _records = new UsageRecord[RecordsPerInvoke];
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            _records[i] = new UsageRecord(
                LoadPlan.CustomerId(i % Customers),
                MeterKeys[i % MeterKeys.Length],
                1m,
                now,
                string.Create(CultureInfo.InvariantCulture, $"it{_iteration}-{i}"));
        }

        _batches = _records.Chunk(100).ToArray();
        _raw = [];
    }

    [IterationCleanup]
    public void IterationCleanup()
    {
        var dispose = _metering.DisposeAsync();
        if (!dispose.IsCompleted)
        {
            throw new InvalidOperationException("Disposing the in-memory setup was expected to complete synchronously.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RecordsPerInvoke)]
    public int RawLockedList_Add()
    {
        var raw = _raw;
        var records = _records;
        for (int i = 0; i < records.Length; i++)
        {
            lock (_rawGate)
            {
                raw.Add(records[i]);
            }
        }

        return raw.Count;
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public async Task<int> RecordAsync_Accepted()
    {
        int accepted = 0;
        var records = _records;
        for (int i = 0; i < records.Length; i++)
        {
            var outcome = await _recorder.RecordAsync(records[i]).ConfigureAwait(false);
            if (outcome.Kind == UsageOutcomeKind.Accepted)
            {
                accepted++;
            }
        }

        return accepted == records.Length ? accepted : throw new InvalidOperationException($"Only {accepted} of {records.Length} records were accepted.");
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public async Task<int> RecordBatchAsync_100PerCall()
    {
        int accepted = 0;
        foreach (var batch in _batches)
        {
            var outcomes = await _recorder.RecordBatchAsync(batch).ConfigureAwait(false);
            foreach (var outcome in outcomes)
            {
                if (outcome.Kind == UsageOutcomeKind.Accepted)
                {
                    accepted++;
                }
            }
        }

        return accepted == _records.Length ? accepted : throw new InvalidOperationException($"Only {accepted} of {_records.Length} records were accepted.");
    }
}
