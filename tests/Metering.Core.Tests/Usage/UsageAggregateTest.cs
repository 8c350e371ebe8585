namespace Metering.Tests.Usage;

using Metering;

public class UsageAggregateTest
{
    private static readonly Instant T0 = Instant.FromUtc(2024, 1, 15, 10, 0);
    private static readonly Instant T1 = T0 + Duration.FromMinutes(1);
    private static readonly Instant T2 = T0 + Duration.FromMinutes(2);
    private static readonly Instant T3 = T0 + Duration.FromMinutes(3);

    private static UsageAggregate Inc(UsageAggregate aggregate, decimal quantity, Instant at) =>
        aggregate.Apply(quantity, at, UsageAction.Increment);

    private static UsageRecord Record(string key, decimal quantity, Instant at, UsageAction action = UsageAction.Increment, string? userId = null) =>
        new("cus_1", "m", quantity, at, key, action, userId is null ? null : new Dictionary<string, string> { ["user_id"] = userId });

    [Fact]
    public void Empty_EveryKind_HasQuantityZero()
    {
        foreach (var kind in Enum.GetValues<Aggregation>())
        {
            var empty = UsageAggregate.Empty(kind);
            empty.Quantity.Should().Be(0m);
            empty.RecordCount.Should().Be(0);
            empty.LatestTimestamp.Should().BeNull();
            empty.IsEmpty.Should().BeTrue();
        }

        default(UsageAggregate).Should().Be(UsageAggregate.Empty(Aggregation.Sum));
    }

    [Fact]
    public void Sum_SetMidStream_ResetsRunningTotal()
    {
        // 5 + 3 = 8; Set 10 replaces 8 with 10; + 2 = 12.
        var sum = UsageAggregate.Empty(Aggregation.Sum);
        sum = Inc(sum, 5m, T0);
        sum = Inc(sum, 3m, T1);
        sum.Quantity.Should().Be(8m);
        sum.HasSet.Should().BeFalse();

        sum = sum.Apply(10m, T2, UsageAction.Set);
        sum = Inc(sum, 2m, T3);

        sum.Quantity.Should().Be(12m);
        sum.RecordCount.Should().Be(4);
        sum.HasSet.Should().BeTrue();
        sum.LatestTimestamp.Should().Be(T3);
    }

    [Fact]
    public void Sum_SetUsesArrivalOrderNotTimestamp()
    {
        // Arrivals: +4 at t3, then Set 10 at t1 (older timestamp). Arrival order: Set replaces 4 → 10.
        var sum = Inc(UsageAggregate.Empty(Aggregation.Sum), 4m, T3).Apply(10m, T1, UsageAction.Set);

        sum.Quantity.Should().Be(10m);
        sum.LatestTimestamp.Should().Be(T3);
    }

    [Fact]
    public void Sum_KeepsFullDecimalPrecision()
    {
        // 0.1 + 0.2 = 0.3 exactly in decimal.
        var sum = Inc(Inc(UsageAggregate.Empty(Aggregation.Sum), 0.1m, T0), 0.2m, T1);

        sum.Quantity.Should().Be(0.3m);
    }

    [Fact]
    public void Count_CountsRecordsIgnoringQuantities_SetIncluded()
    {
        // Records 5, 0, Set 10, 2 → 4 records.
        var count = UsageAggregate.Empty(Aggregation.Count);
        count = Inc(count, 5m, T0);
        count = Inc(count, 0m, T1);
        count = count.Apply(10m, T2, UsageAction.Set);
        count = Inc(count, 2m, T3);

        count.Quantity.Should().Be(4m);
        count.RecordCount.Should().Be(4);
        count.Value.Should().Be(0m);
    }

    [Fact]
    public void Max_OutOfOrderTimestamps_HighestQuantity()
    {
        // Arrivals: t3 → 7, t1 → 9, t2 → 4. Highest = 9.
        var max = Inc(Inc(Inc(UsageAggregate.Empty(Aggregation.Max), 7m, T3), 9m, T1), 4m, T2);

        max.Quantity.Should().Be(9m);
        max.RecordCount.Should().Be(3);
        max.LatestTimestamp.Should().Be(T3);
    }

    [Fact]
    public void Max_OnlyZeroQuantities_IsZero()
    {
        var max = Inc(UsageAggregate.Empty(Aggregation.Max), 0m, T0);

        max.Quantity.Should().Be(0m);
        max.IsEmpty.Should().BeFalse();
    }

    [Fact]
    public void Last_OutOfOrderTimestamps_LatestTimestampWins()
    {
        // Arrivals: t3 → 7, t1 → 9, t2 → 4. Latest timestamp is t3, so 7 (not 4, the latest arrival).
        var last = Inc(Inc(Inc(UsageAggregate.Empty(Aggregation.Last), 7m, T3), 9m, T1), 4m, T2);

        last.Quantity.Should().Be(7m);
        last.LatestTimestamp.Should().Be(T3);
        last.RecordCount.Should().Be(3);
    }

    [Fact]
    public void Last_EqualTimestamps_LaterArrivalWins()
    {
        // Both at t1: 5 then 8 → 8. Then 3 at t0 (older) changes nothing.
        var last = Inc(Inc(UsageAggregate.Empty(Aggregation.Last), 5m, T1), 8m, T1);
        last.Quantity.Should().Be(8m);

        last = Inc(last, 3m, T0);
        last.Quantity.Should().Be(8m);
        last.LatestTimestamp.Should().Be(T1);
    }

    [Fact]
    public void UniqueCount_RepeatsCountedOnce_NullIgnored()
    {
        // u1, u2, u1, u3, u2, (none) → {u1, u2, u3} = 3 distinct over 6 records.
        var unique = UsageAggregate.Empty(Aggregation.UniqueCount);
        foreach (var user in new[] { "u1", "u2", "u1", "u3", "u2", null })
        {
            unique = unique.Apply(1m, T0, UsageAction.Increment, user);
        }

        unique.Quantity.Should().Be(3m);
        unique.RecordCount.Should().Be(6);
        unique.DistinctValues.Should().BeEquivalentTo("u1", "u2", "u3");
    }

    [Fact]
    public void UniqueCount_ValuesCompareOrdinally()
    {
        // "U1" and "u1" are different values.
        var unique = UsageAggregate.Empty(Aggregation.UniqueCount)
            .Apply(1m, T0, UsageAction.Increment, "u1")
            .Apply(1m, T0, UsageAction.Increment, "U1");

        unique.Quantity.Should().Be(2m);
    }

    [Fact]
    public void Apply_NegativeQuantity_Throws()
    {
        var act = () => UsageAggregate.Empty(Aggregation.Sum).Apply(-1m, T0, UsageAction.Increment);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Apply_Record_UsesMeterUniqueProperty()
    {
        var meter = Meter.UniqueCount("m", "user_id");
        var unique = UsageAggregate.Empty(Aggregation.UniqueCount)
            .Apply(Record("a", 1m, T0, userId: "u1"), meter)
            .Apply(Record("b", 1m, T1, userId: "u1"), meter)
            .Apply(Record("c", 1m, T2, userId: "u2"), meter);

        // u1, u1, u2 → 2 distinct.
        unique.Quantity.Should().Be(2m);
    }

    [Fact]
    public void Apply_RecordWithMeterOfOtherKind_Throws()
    {
        var act = () => UsageAggregate.Empty(Aggregation.Sum).Apply(Record("a", 1m, T0), Meter.Max("m"));

        act.Should().Throw<ArgumentException>().WithMessage("*Max*Sum aggregate*");
    }

    [Fact]
    public void Merge_Sum_Adds()
    {
        // (2 + 3) + 4 = 9 over 3 records.
        var left = Inc(Inc(UsageAggregate.Empty(Aggregation.Sum), 2m, T0), 3m, T1);
        var right = Inc(UsageAggregate.Empty(Aggregation.Sum), 4m, T2);

        var merged = left.Merge(right);

        merged.Quantity.Should().Be(9m);
        merged.RecordCount.Should().Be(3);
        merged.LatestTimestamp.Should().Be(T2);
    }

    [Fact]
    public void Merge_Count_Adds()
    {
        // 2 records + 3 records = 5.
        var left = Inc(Inc(UsageAggregate.Empty(Aggregation.Count), 1m, T0), 1m, T1);
        var right = Inc(Inc(Inc(UsageAggregate.Empty(Aggregation.Count), 1m, T0), 1m, T1), 1m, T2);

        left.Merge(right).Quantity.Should().Be(5m);
    }

    [Fact]
    public void Merge_Max_TakesHigher()
    {
        // max(9, 3) = 9 and max(12) → 12.
        var left = Inc(Inc(UsageAggregate.Empty(Aggregation.Max), 9m, T0), 3m, T1);
        var right = Inc(UsageAggregate.Empty(Aggregation.Max), 12m, T0);

        left.Merge(right).Quantity.Should().Be(12m);
        right.Merge(left).Quantity.Should().Be(12m);
    }

    [Fact]
    public void Merge_Last_LaterTimestampWins_TieGoesToArgument()
    {
        var atT2 = Inc(UsageAggregate.Empty(Aggregation.Last), 5m, T2);
        var atT1 = Inc(UsageAggregate.Empty(Aggregation.Last), 8m, T1);
        var alsoAtT2 = Inc(UsageAggregate.Empty(Aggregation.Last), 6m, T2);

        // t2 is later than t1: 5 wins whichever side it is on.
        atT2.Merge(atT1).Quantity.Should().Be(5m);
        atT1.Merge(atT2).Quantity.Should().Be(5m);
        atT1.Merge(atT2).LatestTimestamp.Should().Be(T2);

        // Same timestamp: the argument wins.
        atT2.Merge(alsoAtT2).Quantity.Should().Be(6m);
    }

    [Fact]
    public void Merge_UniqueCount_Unions()
    {
        // {u1, u2} ∪ {u2, u3} = {u1, u2, u3} → 3, over 4 records.
        var left = UsageAggregate.Empty(Aggregation.UniqueCount).Apply(1m, T0, UsageAction.Increment, "u1").Apply(1m, T0, UsageAction.Increment, "u2");
        var right = UsageAggregate.Empty(Aggregation.UniqueCount).Apply(1m, T0, UsageAction.Increment, "u2").Apply(1m, T0, UsageAction.Increment, "u3");

        var merged = left.Merge(right);

        merged.Quantity.Should().Be(3m);
        merged.RecordCount.Should().Be(4);
    }

    [Fact]
    public void Merge_WithEmpty_IsIdentity()
    {
        var last = Inc(UsageAggregate.Empty(Aggregation.Last), 4m, T1);

        last.Merge(UsageAggregate.Empty(Aggregation.Last)).Should().Be(last);
        UsageAggregate.Empty(Aggregation.Last).Merge(last).Should().Be(last);
    }

    [Fact]
    public void Merge_DifferentKinds_Throws()
    {
        var act = () => UsageAggregate.Empty(Aggregation.Sum).Merge(UsageAggregate.Empty(Aggregation.Max));

        act.Should().Throw<ArgumentException>().WithMessage("Cannot combine a Sum aggregate with a Max aggregate*");
    }

    [Fact]
    public void Append_SumWithSetInLaterStretch_ReplacesEarlierTotal()
    {
        // Earlier: 5 + 3 = 8. Later: Set 10, + 2 = 12. Appended: 12 (as in one stream); merged as groups: 8 + 12 = 20.
        var earlier = Inc(Inc(UsageAggregate.Empty(Aggregation.Sum), 5m, T0), 3m, T1);
        var later = Inc(UsageAggregate.Empty(Aggregation.Sum).Apply(10m, T2, UsageAction.Set), 2m, T3);

        earlier.Append(later).Quantity.Should().Be(12m);
        earlier.Merge(later).Quantity.Should().Be(20m);
    }

    [Fact]
    public void Append_EqualsApplyingAllRecordsInOrder()
    {
        var first = new[] { Record("a", 5m, T2), Record("b", 3m, T1, userId: null) };
        var second = new[] { Record("c", 10m, T0, UsageAction.Set), Record("d", 2m, T2) };

        foreach (var kind in new[] { Aggregation.Sum, Aggregation.Count, Aggregation.Max, Aggregation.Last })
        {
            var whole = UsageAggregate.Fold(kind, first.Concat(second), null);
            var appended = UsageAggregate.Fold(kind, first, null).Append(UsageAggregate.Fold(kind, second, null));
            appended.Should().Be(whole, because: $"{kind} must append like one stream");
        }
    }

    [Fact]
    public void Restore_RoundTrip_EqualsOriginal_EveryKind()
    {
        var originals = new[]
        {
            Inc(UsageAggregate.Empty(Aggregation.Sum), 5m, T0).Apply(10m, T1, UsageAction.Set),
            Inc(Inc(UsageAggregate.Empty(Aggregation.Count), 1m, T0), 1m, T1),
            Inc(Inc(UsageAggregate.Empty(Aggregation.Max), 9m, T1), 4m, T0),
            Inc(Inc(UsageAggregate.Empty(Aggregation.Last), 7m, T3), 9m, T1),
            UsageAggregate.Empty(Aggregation.UniqueCount).Apply(1m, T0, UsageAction.Increment, "u1").Apply(1m, T1, UsageAction.Increment, "u2"),
            UsageAggregate.Empty(Aggregation.UniqueCount),
        };

        foreach (var original in originals)
        {
            var restored = UsageAggregate.Restore(original.Kind, original.Value, original.RecordCount, original.LatestTimestamp, original.DistinctValues, original.HasSet);

            restored.Should().Be(original);
            restored.Quantity.Should().Be(original.Quantity);
            restored.GetHashCode().Should().Be(original.GetHashCode());
        }
    }

    [Fact]
    public void Restore_ThenApply_ContinuesExactly()
    {
        // Persisted after 5 + 3 = 8; resumed; + 2 = 10.
        var restored = UsageAggregate.Restore(Aggregation.Sum, 8m, 2, T1, null);

        Inc(restored, 2m, T2).Quantity.Should().Be(10m);
        Inc(restored, 2m, T2).RecordCount.Should().Be(3);
    }

    [Fact]
    public void Restore_InconsistentParts_Throw()
    {
        var valueWithoutRecords = () => UsageAggregate.Restore(Aggregation.Sum, 5m, 0, null, null);
        var distinctOnSum = () => UsageAggregate.Restore(Aggregation.Sum, 5m, 1, T0, ["u1"]);
        var lastWithoutTimestamp = () => UsageAggregate.Restore(Aggregation.Last, 5m, 1, null, null);
        var moreDistinctThanRecords = () => UsageAggregate.Restore(Aggregation.UniqueCount, 0m, 1, T0, ["u1", "u2"]);
        var negativeCount = () => UsageAggregate.Restore(Aggregation.Count, 0m, -1, null, null);
        var setOnMax = () => UsageAggregate.Restore(Aggregation.Max, 5m, 1, T0, null, hasSet: true);

        valueWithoutRecords.Should().Throw<ArgumentException>().WithMessage("*no records must have value 0*");
        distinctOnSum.Should().Throw<ArgumentException>().WithMessage("*Only a UniqueCount aggregate has distinct values*");
        lastWithoutTimestamp.Should().Throw<ArgumentException>().WithMessage("*needs the timestamp of its winning record*");
        moreDistinctThanRecords.Should().Throw<ArgumentException>().WithMessage("*more distinct values (2) than records (1)*");
        negativeCount.Should().Throw<ArgumentException>().WithMessage("*recordCount*");
        setOnMax.Should().Throw<ArgumentException>().WithMessage("*Only a Sum aggregate tracks Set records*");
    }

    [Fact]
    public void Fold_SumWithSet_MatchesHandWorkedTotal()
    {
        // 5 + 3 = 8; Set 10; + 2 = 12.
        var records = new[]
        {
            Record("a", 5m, T0), Record("b", 3m, T1), Record("c", 10m, T2, UsageAction.Set), Record("d", 2m, T3),
        };

        UsageAggregate.Fold(Aggregation.Sum, records, null).Quantity.Should().Be(12m);
    }

    [Fact]
    public void Fold_EqualsIncrementalApply_EveryKind()
    {
        var records = new[]
        {
            Record("a", 7m, T3, userId: "u1"),
            Record("b", 9m, T1, userId: "u2"),
            Record("c", 4m, T2, UsageAction.Set, userId: "u1"),
            Record("d", 1m, T3, userId: null),
        };

        // Hand-worked: Sum 7 + 9 = 16, Set 4, + 1 = 5; Count 4; Max 9; Last: t3 ties, later arrival d → 1; UniqueCount {u1, u2} = 2.
        var expected = new Dictionary<Aggregation, decimal>
        {
            [Aggregation.Sum] = 5m, [Aggregation.Count] = 4m, [Aggregation.Max] = 9m, [Aggregation.Last] = 1m, [Aggregation.UniqueCount] = 2m,
        };

        foreach (var kind in Enum.GetValues<Aggregation>())
        {
            var meter = kind == Aggregation.UniqueCount ? Meter.UniqueCount("m", "user_id") : new Meter("m", kind);
            var incremental = UsageAggregate.Empty(kind);
            foreach (var record in records)
            {
                incremental = incremental.Apply(record, meter);
            }

            var folded = UsageAggregate.Fold(kind, records, meter.UniqueProperty);

            folded.Should().Be(incremental, because: $"{kind} recomputation must match");
            folded.Quantity.Should().Be(expected[kind], because: kind.ToString());
        }
    }

    [Fact]
    public void Fold_UniqueCountWithoutProperty_Throws()
    {
        var act = () => UsageAggregate.Fold(Aggregation.UniqueCount, [], null);

        act.Should().Throw<ArgumentException>().WithMessage("*needs the meter's unique property*");
    }

    [Fact]
    public void Apply_SumCountMaxLast_DoNotAllocate()
    {
        foreach (var kind in new[] { Aggregation.Sum, Aggregation.Count, Aggregation.Max, Aggregation.Last })
        {
            // The first pass warms up the JIT (tiering and on-stack replacement may allocate once); the second is measured.
            ApplyManyTimes(kind, out _);
            var allocated = ApplyManyTimes(kind, out var aggregate);

            allocated.Should().Be(0, because: kind.ToString());
            aggregate.RecordCount.Should().Be(1000);
        }

        ApplyRecordManyTimes(out _);
        var recordAllocated = ApplyRecordManyTimes(out var sum);

        recordAllocated.Should().Be(0);
        sum.Quantity.Should().Be(2000m); // 1000 records × 2
    }

    private static long ApplyManyTimes(Aggregation kind, out UsageAggregate aggregate)
    {
        aggregate = UsageAggregate.Empty(kind);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            aggregate = aggregate.Apply(1m, T0, i % 10 == 0 ? UsageAction.Set : UsageAction.Increment);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static long ApplyRecordManyTimes(out UsageAggregate sum)
    {
        var meter = Meter.Sum("m");
        var record = Record("a", 2m, T1);
        sum = UsageAggregate.Empty(Aggregation.Sum);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            sum = sum.Apply(record, meter);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void UsageSummary_FromAggregate_CopiesQuantityAndCount()
    {
        var period = new BillingPeriod(0, Instant.FromUtc(2024, 1, 1, 0, 0), Instant.FromUtc(2024, 2, 1, 0, 0));
        var count = Inc(Inc(UsageAggregate.Empty(Aggregation.Count), 5m, T0), 5m, T1);

        var summary = UsageSummary.FromAggregate("sub_1", "api_calls", period, count, UsageSummaryStatus.Current);

        summary.Should().Be(new UsageSummary("sub_1", "api_calls", period, 2m, 2, UsageSummaryStatus.Current));
    }
}
