using Metering.Storage;

namespace Metering.Tests.Storage;

/// <summary>
/// <see cref="BoundedCache{TKey, TValue}"/>: it never holds more than its capacity however many keys pass through it,
/// keeps the entries in use, and behaves as a dictionary for what it holds (replace, remove, prefer-the-newer).
/// </summary>
public class BoundedCacheTest
{
    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(1_001)]
    public void ManyMoreKeysThanTheCapacity_NeverHoldsMoreThanTheCapacity(int capacity)
    {
        var cache = new BoundedCache<int, string>(capacity);
        var most = 0;
        for (var key = 0; key < capacity * 10; key++)
        {
            cache.Set(key, key.ToString(System.Globalization.CultureInfo.InvariantCulture));
            most = Math.Max(most, cache.Count);
        }

        most.Should().BeLessThanOrEqualTo(capacity).And.BeGreaterThanOrEqualTo(capacity / 2, "it does cache");
        cache.TryGetValue(capacity * 10 - 1, out var last).Should().BeTrue("the latest entry is kept");
        last.Should().Be((capacity * 10 - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        cache.TryGetValue(0, out _).Should().BeFalse("the oldest entry, never read again, was dropped");
    }

    [Fact]
    public void EntriesReadBetweenWrites_OutliveTenTimesTheCapacityOfOtherKeys()
    {
        var cache = new BoundedCache<string, int>(100, StringComparer.Ordinal);
        var hot = Enumerable.Range(0, 20).Select(i => $"hot-{i}").ToList();
        foreach (var key in hot)
        {
            cache.Set(key, 1);
        }

        var missed = 0;
        for (var cold = 0; cold < 1_000; cold++)
        {
            cache.Set($"cold-{cold}", 0);
            if (cold % 10 == 0)
            {
                missed += hot.Count(key => !cache.TryGetValue(key, out _));
            }
        }

        missed.Should().Be(0, "an entry read at least once per generation is copied forward instead of dropped");
        cache.Count.Should().BeLessThanOrEqualTo(100);
    }

    [Fact]
    public void Set_ReplacesAndRemove_RemovesFromEitherGeneration()
    {
        var cache = new BoundedCache<string, int>(10);
        cache.Set("a", 1);
        cache.Set("a", 2);
        cache.GetValueOrDefault("a").Should().Be(2);

        for (var i = 0; i < 4; i++)
        {
            cache.Set($"x{i}", i); // the fifth write rotates: "a" is now in the previous generation
        }

        cache.Remove("a");
        cache.TryGetValue("a", out _).Should().BeFalse();
        cache.GetValueOrDefault("missing").Should().Be(0);
        cache.Clear();
        cache.Count.Should().Be(0);
        cache.TryGetValue("x0", out _).Should().BeFalse();
    }

    [Fact]
    public void SetUnless_KeepsTheCachedValueItPrefers_InEitherGeneration()
    {
        var cache = new BoundedCache<string, long>(4);
        static bool KeepNewer(long cached, long written) => cached > written;

        cache.SetUnless("ledger", 5, KeepNewer);
        cache.SetUnless("ledger", 3, KeepNewer);
        cache.GetValueOrDefault("ledger").Should().Be(5, "an older value does not replace a newer one");
        cache.SetUnless("ledger", 7, KeepNewer);
        cache.GetValueOrDefault("ledger").Should().Be(7);

        cache.Set("other", 0); // rotates: "ledger" moves to the previous generation
        cache.SetUnless("ledger", 6, KeepNewer);
        cache.GetValueOrDefault("ledger").Should().Be(7, "the newer value in the previous generation wins too");
    }

    [Fact]
    public void CapacityZero_KeepsNothing_AndNegativeIsRefused()
    {
        var cache = new BoundedCache<string, int>(0);
        cache.Set("a", 1);
        cache.SetUnless("b", 1, (_, _) => false);
        cache.TryGetValue("a", out _).Should().BeFalse();
        cache.Count.Should().Be(0);

        var negative = () => new BoundedCache<string, int>(-1);
        negative.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("capacity");
    }

    [Fact]
    public async Task ConcurrentWritersAndReaders_StayWithinTheCapacity_ByAtMostOneEntryPerWriter()
    {
        const int capacity = 1_000;
        const int writers = 4;
        var cache = new BoundedCache<int, int>(capacity);
        var most = 0;
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                var key = (i * writers) + w;
                cache.Set(key, key);
                cache.TryGetValue(key - writers, out _);
                if (i % 1_000 == 0)
                {
                    InterlockedMax(ref most, cache.Count);
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(tasks);

        most.Should().BeLessThanOrEqualTo(capacity + writers);
        cache.Count.Should().BeLessThanOrEqualTo(capacity + writers);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
