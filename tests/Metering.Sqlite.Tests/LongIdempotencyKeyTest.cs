using Metering.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// Schema version 13: idempotency keys longer than 64 UTF-8 bytes are indexed by their SHA-256 digest, so no key in
/// <c>usage_keys</c> spills into overflow pages. Retries are recognized whatever the key's length or script, before
/// and after the index batch that covers them, after a restart, and for keys an older version indexed as text.
/// </summary>
public class LongIdempotencyKeyTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Keys at and around the limit, the longest allowed, and multi-byte ones: the record number makes each unique.
    private static string Key(int i) => (i % 5) switch
    {
        0 => $"k-{i}",
        1 => $"{i:D8}".PadRight(64, 'a'), // exactly 64 bytes: indexed as text
        2 => $"{i:D8}".PadRight(65, 'b'), // 65 bytes: by digest
        3 => $"{i:D8}".PadRight(UsageRecordRules.MaxIdempotencyKeyLength, 'c'),
        _ => $"{i:D8}" + new string('請', 100), // 308 UTF-8 bytes in 108 characters
    };

    private static Plan StandardPlan() => Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("m", PricingModel.PerUnit(1m)).Build();

    [Fact]
    public async Task RetriesOfEveryKeyLength_AreDuplicatesOrConflicts_IndexedOrNot_AndAfterARestart()
    {
        using var db = new TempDatabase();
        const int records = 10_400; // one index batch (10,000) and a tail
        await using (var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("m")).AddPlan(StandardPlan()), Start, b => b.UseSqlite(db.Path)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c", null, "UTC", Ct);
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c", PlanKey = "p", SubscriptionId = "s" }, Ct);
            for (int first = 0; first < records; first += 200)
            {
                var batch = Enumerable.Range(first, 200).Select(i => new UsageRecord("c", "m", 1m, Start + Duration.FromMilliseconds(i), Key(i))).ToList();
                (await billing.Recorder.RecordBatchAsync(batch, Ct)).Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
            }

            await AssertRetriesAsync(billing);
        }

        await using (var connection = await SqliteFile.OpenAsync(db.Path))
        {
            long indexed = await connection.ScalarAsync("SELECT indexed_through FROM usage_index_state");
            indexed.Should().BeInRange(10_000, records - 1);
            (await connection.ScalarAsync("SELECT COUNT(*) FROM usage_keys WHERE typeof(idempotency_key) = 'blob' AND length(idempotency_key) = 32"))
                .Should().Be(Enumerable.Range(0, (int)indexed).Count(i => i % 5 >= 2), "the indexed records' 65-byte, 255-character and multi-byte keys");
            (await connection.ScalarAsync("SELECT MAX(length(CAST(idempotency_key AS BLOB))) FROM usage_keys")).Should().Be(64);
        }

        // A restart reloads the tail from the records; the indexed keys are found by their digests.
        await using (var restarted = TestMetering.Create(o => o.AddMeter(Meter.Sum("m")).AddPlan(StandardPlan()), Start + Duration.FromHours(4), b => b.UseSqlite(db.Path)))
        {
            await AssertRetriesAsync(restarted);
            (await restarted.Usage.GetCurrentAsync("s", Ct)).Estimate.Total.Should().Be(new Money(records, Currency.USD), "no retry was counted");
        }

        async Task AssertRetriesAsync(TestMetering billing)
        {
            // Indexed (below 10,000) and tail records of every kind of key: the same record is a duplicate, another quantity a conflict.
            int[] sample = [0, 1, 2, 3, 4, 5_001, 5_002, 5_003, 5_004, 10_200, 10_201, 10_202, 10_203, 10_204];
            var retries = sample.Select(i => new UsageRecord("c", "m", 1m, Start + Duration.FromMilliseconds(i), Key(i))).ToList();
            (await billing.Recorder.RecordBatchAsync(retries, Ct)).Select(o => o.Kind).Should().AllBeEquivalentTo(UsageOutcomeKind.Duplicate);
            var conflicting = sample.Select(i => new UsageRecord("c", "m", 2m, Start + Duration.FromMilliseconds(i), Key(i))).ToList();
            (await billing.Recorder.RecordBatchAsync(conflicting, Ct)).Select(o => o.Kind).Should().AllBeEquivalentTo(UsageOutcomeKind.Conflict);
        }
    }

    [Fact]
    public async Task Upgrade_Version12Database_DigestsItsIndexedLongKeys_AndStillFindsThem()
    {
        using var db = new TempDatabase();
        var longKey = new string('x', 200);
        await using (var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("m")).AddPlan(StandardPlan()), Start, b => b.UseSqlite(db.Path)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c", null, "UTC", Ct);
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c", PlanKey = "p", SubscriptionId = "s" }, Ct);
            (await billing.Recorder.RecordAsync(new UsageRecord("c", "m", 1m, Start, longKey), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);
            (await billing.Recorder.RecordAsync(new UsageRecord("c", "m", 1m, Start, "short"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        // As version 12 left it once both records were indexed: every key as text in usage_keys.
        await using (var connection = await SqliteFile.OpenAsync(db.Path))
        {
            await connection.ExecuteAsync("INSERT INTO usage_keys (idempotency_key, seq) SELECT idempotency_key, seq FROM usage_records");
            await connection.ExecuteAsync("UPDATE usage_index_state SET indexed_through = (SELECT MAX(seq) FROM usage_records)");
            await connection.ExecuteAsync("DELETE FROM schema_version WHERE version = 13");
            (await connection.ScalarAsync("SELECT COUNT(*) FROM usage_keys WHERE typeof(idempotency_key) = 'text'")).Should().Be(2);
        }

        await using (var upgraded = TestMetering.Create(o => o.AddMeter(Meter.Sum("m")).AddPlan(StandardPlan()), Start, b => b.UseSqlite(db.Path)))
        {
            (await upgraded.Recorder.RecordAsync(new UsageRecord("c", "m", 1m, Start, longKey), Ct)).Kind.Should().Be(UsageOutcomeKind.Duplicate);
            (await upgraded.Recorder.RecordAsync(new UsageRecord("c", "m", 5m, Start, longKey), Ct)).Kind.Should().Be(UsageOutcomeKind.Conflict);
            (await upgraded.Recorder.RecordAsync(new UsageRecord("c", "m", 1m, Start, "short"), Ct)).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        }

        await using (var connection = await SqliteFile.OpenAsync(db.Path))
        {
            (await connection.ScalarAsync("SELECT COUNT(*) FROM usage_keys WHERE typeof(idempotency_key) = 'blob' AND length(idempotency_key) = 32")).Should().Be(1);
            (await connection.ScalarAsync("SELECT COUNT(*) FROM usage_keys WHERE idempotency_key = 'short'")).Should().Be(1);
            (await connection.ScalarAsync("SELECT MAX(version) FROM schema_version")).Should().Be(13);
        }
    }
}
