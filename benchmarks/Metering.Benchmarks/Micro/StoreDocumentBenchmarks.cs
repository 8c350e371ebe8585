using System.Text;
using BenchmarkDotNet.Attributes;
using Metering.Storage;

namespace Metering.Benchmarks.Micro;

/// <summary>
/// Decoding a stored subscription document, which the SQLite and PostgreSQL current-usage reads and previews do when
/// the subscription's revision is not the one they decoded last: the load runner's subscription (UTC, monthly, no
/// trial, contract or alerts), from its text and from its UTF-8 bytes (what SQLite hands out).
/// </summary>
[MemoryDiagnoser]
public class StoreDocumentBenchmarks
{
    private string _json = null!;
    private byte[] _utf8 = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        await using var metering = LoadPlan.Create(Instant.FromUtc(2026, 1, 1, 0, 0), _ => { });
        await LoadPlan.AddCustomersAsync(metering.Subscriptions, 1, 1, CancellationToken.None);
        var subscription = await metering.Subscriptions.GetAsync(LoadPlan.SubscriptionId(0))
            ?? throw new InvalidOperationException("The load plan's first subscription was not created.");
        _json = StoreDocuments.Json(subscription);
        _utf8 = Encoding.UTF8.GetBytes(_json);
    }

    /// <summary>From the document's text (PostgreSQL, and SQLite before 2026-11-27).</summary>
    [Benchmark(Baseline = true)]
    public Subscription FromText() => StoreDocuments.ToSubscription(_json);

    /// <summary>From the document's UTF-8 bytes (SQLite: the column's bytes, no text built).</summary>
    [Benchmark]
    public Subscription FromUtf8() => StoreDocuments.ToSubscription(_utf8);

    /// <summary>What building the text from the column's bytes costs on its own.</summary>
    [Benchmark]
    public string TextOfUtf8() => Encoding.UTF8.GetString(_utf8);
}
