namespace Metering.Tests.Usage;

using Metering;

public class UsageRecordTest
{
    private static readonly Instant T = Instant.FromUtc(2024, 1, 15, 10, 0);

    private static UsageRecord Record(IReadOnlyDictionary<string, string>? properties = null, decimal quantity = 3m) =>
        new("cus_1", "packages", quantity, T, "evt_1", UsageAction.Increment, properties);

    [Fact]
    public void Increment_BuildsAnIncrementRecord_EveryArgumentInItsPlace()
    {
        var properties = new Dictionary<string, string> { ["region"] = "eu" };

        var record = UsageRecord.Increment("cus_1", "packages", 3m, T, "evt_1", properties, "sub_1");

        record.Should().Be(new UsageRecord("cus_1", "packages", 3m, T, "evt_1", UsageAction.Increment, properties, "sub_1"));
        record.Action.Should().Be(UsageAction.Increment);
        record.CustomerId.Should().Be("cus_1");
        record.MeterKey.Should().Be("packages");
        record.Quantity.Should().Be(3m);
        record.Timestamp.Should().Be(T);
        record.IdempotencyKey.Should().Be("evt_1");
        record.Properties.Should().BeSameAs(properties);
        record.SubscriptionId.Should().Be("sub_1");
    }

    [Fact]
    public void Set_BuildsASetRecord_WithTheValueAsQuantity()
    {
        var record = UsageRecord.Set("cus_1", "seats", 12m, T, "seats-2024-01-15");

        record.Should().Be(new UsageRecord("cus_1", "seats", 12m, T, "seats-2024-01-15", UsageAction.Set));
        record.Action.Should().Be(UsageAction.Set);
        record.Quantity.Should().Be(12m);
        record.Properties.Should().BeNull();
        record.SubscriptionId.Should().BeNull();
    }

    [Fact]
    public void Factories_DoNotValidate_SoABatchNeverThrows()
    {
        var build = () => UsageRecord.Increment(null!, "", -1m, T, null!);

        build.Should().NotThrow("a bad record is reported by the recorder as a typed rejection");
    }

    [Fact]
    public void ContentEquals_PropertiesInDifferentInsertionOrder_Equal()
    {
        var first = new Dictionary<string, string> { ["region"] = "eu", ["plan"] = "pro", ["user_id"] = "u1" };
        var second = new Dictionary<string, string> { ["user_id"] = "u1", ["region"] = "eu", ["plan"] = "pro" };

        Record(first).ContentEquals(Record(second)).Should().BeTrue();
        Record(first).Should().Be(Record(second));
        Record(first).GetHashCode().Should().Be(Record(second).GetHashCode());
    }

    [Fact]
    public void ContentEquals_DifferentQuantity_NotEqual()
    {
        Record(quantity: 3m).ContentEquals(Record(quantity: 4m)).Should().BeFalse();
    }

    [Fact]
    public void ContentEquals_SameNumberDifferentScale_Equal()
    {
        // 3.0 and 3.00 are the same quantity; a store may not keep the scale.
        Record(quantity: 3.0m).ContentEquals(Record(quantity: 3.00m)).Should().BeTrue();
    }

    [Fact]
    public void ContentEquals_EachFieldDiffers_NotEqual()
    {
        var baseline = Record();

        baseline.ContentEquals(baseline with { CustomerId = "cus_2" }).Should().BeFalse();
        baseline.ContentEquals(baseline with { MeterKey = "api_calls" }).Should().BeFalse();
        baseline.ContentEquals(baseline with { Timestamp = T + Duration.FromSeconds(1) }).Should().BeFalse();
        baseline.ContentEquals(baseline with { IdempotencyKey = "evt_2" }).Should().BeFalse();
        baseline.ContentEquals(baseline with { Action = UsageAction.Set }).Should().BeFalse();
        baseline.ContentEquals(baseline with { SubscriptionId = "sub_1" }).Should().BeFalse();
        baseline.ContentEquals(null).Should().BeFalse();
    }

    [Fact]
    public void ContentEquals_PropertyValueOrKeyDiffers_NotEqual()
    {
        var eu = Record(new Dictionary<string, string> { ["region"] = "eu" });

        eu.ContentEquals(Record(new Dictionary<string, string> { ["region"] = "us" })).Should().BeFalse();
        eu.ContentEquals(Record(new Dictionary<string, string> { ["zone"] = "eu" })).Should().BeFalse();
        eu.ContentEquals(Record(new Dictionary<string, string> { ["region"] = "eu", ["plan"] = "pro" })).Should().BeFalse();
        eu.ContentEquals(Record()).Should().BeFalse();
    }

    [Fact]
    public void ContentEquals_KeysCompareOrdinally_EvenWithCaseInsensitiveDictionaries()
    {
        var lower = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["region"] = "eu" };
        var upper = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Region"] = "eu" };

        Record(lower).ContentEquals(Record(upper)).Should().BeFalse();
    }

    [Fact]
    public void ContentEquals_NullAndEmptyProperties_Equal()
    {
        Record(null).ContentEquals(Record(new Dictionary<string, string>())).Should().BeTrue();
    }

    [Fact]
    public void ContentEquals_ManyProperties_ComparedAsSets()
    {
        // More than 8 properties takes the dictionary path rather than the pairwise scan.
        var forward = new Dictionary<string, string>();
        var backward = new Dictionary<string, string>();
        for (var i = 0; i < 12; i++)
        {
            forward[$"p{i}"] = $"v{i}";
            backward[$"p{11 - i}"] = $"v{11 - i}";
        }

        var changed = new Dictionary<string, string>(forward) { ["p5"] = "other" };

        Record(forward).ContentEquals(Record(backward)).Should().BeTrue();
        Record(forward).ContentEquals(Record(changed)).Should().BeFalse();
    }

    [Fact]
    public void ContentEquals_NoProperties_DoesNotAllocate()
    {
        var a = Record();
        var b = Record();

        // The first pass warms up the JIT (tiering and on-stack replacement may allocate once); the second is measured.
        CompareManyTimes(a, b, out _);
        var allocated = CompareManyTimes(a, b, out var equal);

        equal.Should().BeTrue();
        allocated.Should().Be(0);
    }

    private static long CompareManyTimes(UsageRecord a, UsageRecord b, out bool equal)
    {
        equal = true;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            equal &= a.ContentEquals(b);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
