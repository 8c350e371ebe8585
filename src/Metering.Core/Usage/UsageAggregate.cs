using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Metering;

/// <summary>
/// The running aggregate of one meter's usage records (for one subscription, period and group): an immutable value
/// that each <see cref="Apply(decimal, Instant, UsageAction, string?)"/> replaces with a new one. It can be persisted
/// (<see cref="Kind"/>, <see cref="Value"/>, <see cref="RecordCount"/>, <see cref="LatestTimestamp"/>,
/// <see cref="DistinctValues"/>, <see cref="HasSet"/>) and resumed exactly with <see cref="Restore"/>.
/// </summary>
/// <remarks>
/// <para>Applying a record to a Sum, Count, Max or Last aggregate never allocates; UniqueCount grows an immutable set.</para>
/// <para><b>Sum and Set</b>: records are applied in <em>arrival</em> order (the order a store accepted them, which is
/// the order it replays them in), and a <see cref="UsageAction.Set"/> record replaces the total accumulated so far,
/// whatever the timestamps. Increments that arrive after the Set add to it.</para>
/// <para><b>Last</b>: the quantity of the record with the latest <em>timestamp</em>, not the latest arrival; when
/// two records have the same timestamp, the one applied later wins.</para>
/// <para>The default value is an empty <see cref="Aggregation.Sum"/> aggregate, equal to <c>Empty(Aggregation.Sum)</c>.</para>
/// </remarks>
public readonly struct UsageAggregate : IEquatable<UsageAggregate>
{
    private static readonly ImmutableHashSet<string> EmptyDistinct = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    private UsageAggregate(Aggregation kind, decimal value, long recordCount, Instant? latestTimestamp, ImmutableHashSet<string>? distinctValues, bool hasSet)
    {
        Kind = kind;
        Value = value;
        RecordCount = recordCount;
        LatestTimestamp = latestTimestamp;
        DistinctValues = distinctValues;
        HasSet = hasSet;
    }

    /// <summary>The aggregation this value accumulates.</summary>
    public Aggregation Kind { get; }

    /// <summary>
    /// Sum: the running total; Max: the highest quantity; Last: the quantity of the winning record.
    /// Always 0 for Count and UniqueCount, and when no record has been applied.
    /// </summary>
    public decimal Value { get; }

    /// <summary>Number of records applied (Set records included).</summary>
    public long RecordCount { get; }

    /// <summary>
    /// The latest record timestamp seen, or null when no record has been applied. For Last this is the timestamp of
    /// the record whose quantity is <see cref="Value"/>.
    /// </summary>
    public Instant? LatestTimestamp { get; }

    /// <summary>UniqueCount only: the distinct property values seen (ordinal); null for the other kinds.</summary>
    public ImmutableHashSet<string>? DistinctValues { get; }

    /// <summary>
    /// Sum only: true once a Set record has been applied, so <see cref="Value"/> is an absolute total rather than a sum
    /// of increments (see <see cref="Append(UsageAggregate)"/>). Always false for the other kinds.
    /// </summary>
    public bool HasSet { get; }

    /// <summary>True when no record has been applied.</summary>
    public bool IsEmpty => RecordCount == 0;

    /// <summary>
    /// The billable quantity: Sum → <see cref="Value"/>; Count → <see cref="RecordCount"/>; Max and Last →
    /// <see cref="Value"/> (0 with no records); UniqueCount → number of <see cref="DistinctValues"/>.
    /// </summary>
    public decimal Quantity => Kind switch
    {
        Aggregation.Count => RecordCount,
        Aggregation.UniqueCount => DistinctValues?.Count ?? 0,
        _ => Value,
    };

    /// <summary>An aggregate of <paramref name="kind"/> with no records (quantity 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined aggregation.</exception>
    public static UsageAggregate Empty(Aggregation kind)
    {
        CheckKind(kind);
        return new(kind, 0m, 0, null, kind == Aggregation.UniqueCount ? EmptyDistinct : null, false);
    }

    /// <summary>
    /// The aggregate after one more record, in arrival order (see the type remarks for Set and Last semantics).
    /// </summary>
    /// <param name="quantity">The record's quantity (zero or positive).</param>
    /// <param name="timestamp">The record's timestamp.</param>
    /// <param name="action">Increment, or Set (which resets a Sum's running total).</param>
    /// <param name="distinctValue">UniqueCount only: the record's value of the meter's unique property; null is ignored.
    /// Ignored by the other kinds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quantity"/> is negative or <paramref name="action"/> is undefined.</exception>
    public UsageAggregate Apply(decimal quantity, Instant timestamp, UsageAction action, string? distinctValue = null)
    {
        Preconditions.CheckNotNegative(quantity);
        if (action is not (UsageAction.Increment or UsageAction.Set))
        {
            ThrowUndefinedAction(action);
        }

        var count = RecordCount + 1;
        var latest = LatestTimestamp is { } seen && seen > timestamp ? seen : timestamp;
        switch (Kind)
        {
            case Aggregation.Sum:
                return action == UsageAction.Set
                    ? new(Kind, quantity, count, latest, null, true)
                    : new(Kind, Value + quantity, count, latest, null, HasSet);
            case Aggregation.Count:
                return new(Kind, 0m, count, latest, null, false);
            case Aggregation.Max:
                return new(Kind, RecordCount == 0 || quantity > Value ? quantity : Value, count, latest, null, false);
            case Aggregation.Last:
                // Latest timestamp wins; on a tie the record applied later wins.
                return LatestTimestamp is { } winning && timestamp < winning
                    ? new(Kind, Value, count, winning, null, false)
                    : new(Kind, quantity, count, timestamp, null, false);
            default:
                var distinct = DistinctValues ?? EmptyDistinct;
                return new(Kind, 0m, count, latest, distinctValue is null ? distinct : distinct.Add(distinctValue), false);
        }
    }

    /// <summary>
    /// The aggregate after <paramref name="record"/>, taking the distinct value (for UniqueCount) from the record's
    /// property named by <see cref="Meter.UniqueProperty"/>. Does not allocate for Sum, Count, Max and Last.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The meter's aggregation is not <see cref="Kind"/>, or the record is for another meter.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The record's quantity is negative or its action undefined.</exception>
    public UsageAggregate Apply(UsageRecord record, Meter meter)
    {
        Preconditions.CheckNotNull(record);
        Preconditions.CheckNotNull(meter);
        if (meter.Aggregation != Kind || !string.Equals(meter.Key, record.MeterKey, StringComparison.Ordinal))
        {
            ThrowRecordMismatch(record, meter, Kind);
        }

        return Apply(record.Quantity, record.Timestamp, record.Action, DistinctValueOf(record, meter.UniqueProperty));
    }

    /// <summary>
    /// Combines the aggregates of two disjoint groups of records (e.g. two regions) into one: Sum and Count add,
    /// Max takes the higher, Last takes the later timestamp (on a tie, <paramref name="other"/> wins), UniqueCount
    /// takes the union. For Sum, a Set inside either group only reset that group's total.
    /// To concatenate two consecutive stretches of one record stream, use <see cref="Append(UsageAggregate)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The kinds differ.</exception>
    public UsageAggregate Merge(UsageAggregate other) => Combine(other, laterResetsSum: false);

    /// <summary>
    /// Concatenates <paramref name="later"/>, the aggregate of records that arrived after all of this one's, as if its
    /// records had been applied to this aggregate one by one (so <c>a.Append(b)</c> equals folding a's then b's records).
    /// It differs from <see cref="Merge(UsageAggregate)"/> only for Sum: when <paramref name="later"/> contains a Set
    /// record, its total replaces this one instead of adding to it. Lets a store upsert a batch's pre-aggregated delta.
    /// </summary>
    /// <exception cref="ArgumentException">The kinds differ.</exception>
    public UsageAggregate Append(UsageAggregate later) => Combine(later, laterResetsSum: true);

    /// <summary>
    /// Rebuilds a persisted aggregate exactly: <c>Restore(a.Kind, a.Value, a.RecordCount, a.LatestTimestamp,
    /// a.DistinctValues, a.HasSet)</c> equals <c>a</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The parts are inconsistent (e.g. a value with no records, distinct values
    /// on a kind other than UniqueCount, a Last aggregate with records but no timestamp); the message names the part.</exception>
    public static UsageAggregate Restore(
        Aggregation kind,
        decimal value,
        long recordCount,
        Instant? latestTimestamp,
        IEnumerable<string>? distinctValues,
        bool hasSet = false)
    {
        CheckKind(kind);
        Preconditions.CheckArgument(recordCount >= 0, nameof(recordCount), $"The recordCount parameter must be zero or positive, but was {recordCount}.");
        Preconditions.CheckArgument(value >= 0m, nameof(value), "The value parameter must be zero or positive: aggregates of non-negative quantities are never negative.");
        Preconditions.CheckArgument(
            recordCount > 0 || (value == 0m && latestTimestamp is null && !hasSet),
            nameof(recordCount),
            "An aggregate with no records must have value 0, no latest timestamp and no Set; check the persisted row.");
        Preconditions.CheckArgument(
            value == 0m || kind is not (Aggregation.Count or Aggregation.UniqueCount),
            nameof(value),
            $"A {kind} aggregate keeps value 0 (its quantity comes from the record count or the distinct values); check the persisted row.");
        Preconditions.CheckArgument(
            kind != Aggregation.Last || recordCount == 0 || latestTimestamp is not null,
            nameof(latestTimestamp),
            "A Last aggregate with records needs the timestamp of its winning record; persist LatestTimestamp.");
        Preconditions.CheckArgument(
            !hasSet || kind == Aggregation.Sum,
            nameof(hasSet),
            $"Only a Sum aggregate tracks Set records, but hasSet was true for {kind}.");

        ImmutableHashSet<string>? distinct = null;
        if (kind == Aggregation.UniqueCount)
        {
            distinct = EmptyDistinct;
            if (distinctValues is not null)
            {
                foreach (var item in distinctValues)
                {
                    Preconditions.CheckArgument(item is not null, nameof(distinctValues), "The distinctValues must not contain null.");
                    distinct = distinct.Add(item);
                }
            }

            Preconditions.CheckArgument(
                distinct.Count <= recordCount,
                nameof(distinctValues),
                $"A UniqueCount aggregate cannot have more distinct values ({distinct.Count}) than records ({recordCount}); check the persisted row.");
        }
        else
        {
            Preconditions.CheckArgument(
                distinctValues is null || !distinctValues.Any(),
                nameof(distinctValues),
                $"Only a UniqueCount aggregate has distinct values, but some were given for {kind}; pass null.");
        }

        return new(kind, value, recordCount, latestTimestamp, distinct, hasSet);
    }

    /// <summary>
    /// Recomputes an aggregate from raw records, applied in the order given (which must be arrival order, for Sum's
    /// Set semantics). Used by reconciliation to check stored aggregates. For UniqueCount the distinct value is read
    /// from each record's <paramref name="uniqueProperty"/>; records without it add nothing to the set.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="recordsInArrivalOrder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is UniqueCount and <paramref name="uniqueProperty"/> is blank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A record has a negative quantity or undefined action.</exception>
    public static UsageAggregate Fold(Aggregation kind, IEnumerable<UsageRecord> recordsInArrivalOrder, string? uniqueProperty)
    {
        Preconditions.CheckNotNull(recordsInArrivalOrder);
        Preconditions.CheckArgument(
            kind != Aggregation.UniqueCount || !string.IsNullOrWhiteSpace(uniqueProperty),
            nameof(uniqueProperty),
            "A UniqueCount fold needs the meter's unique property; pass Meter.UniqueProperty.");
        var property = kind == Aggregation.UniqueCount ? uniqueProperty : null;

        var aggregate = Empty(kind);
        foreach (var record in recordsInArrivalOrder)
        {
            Preconditions.CheckArgument(record is not null, nameof(recordsInArrivalOrder), "The records must not contain null.");
            aggregate = aggregate.Apply(record.Quantity, record.Timestamp, record.Action, DistinctValueOf(record, property));
        }

        return aggregate;
    }

    /// <summary>Equal in every persisted part (distinct values compared as sets).</summary>
    public bool Equals(UsageAggregate other) =>
        Kind == other.Kind
        && Value == other.Value
        && RecordCount == other.RecordCount
        && LatestTimestamp == other.LatestTimestamp
        && HasSet == other.HasSet
        && DistinctEquals(DistinctValues, other.DistinctValues);

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is UsageAggregate other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Value, RecordCount, LatestTimestamp, HasSet, DistinctValues?.Count ?? 0);

    /// <summary>Equal in every persisted part.</summary>
    public static bool operator ==(UsageAggregate left, UsageAggregate right) => left.Equals(right);

    /// <summary>Different in some persisted part.</summary>
    public static bool operator !=(UsageAggregate left, UsageAggregate right) => !left.Equals(right);

    /// <summary>The kind, billable quantity and record count, e.g. <c>Sum 12 (4 records)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Kind} {Quantity} ({RecordCount} records)");

    private UsageAggregate Combine(UsageAggregate other, bool laterResetsSum)
    {
        if (Kind != other.Kind)
        {
            ThrowKindMismatch(Kind, other.Kind);
        }

        if (other.RecordCount == 0)
        {
            return this;
        }

        if (RecordCount == 0)
        {
            return other;
        }

        var count = RecordCount + other.RecordCount;
        var latest = LatestTimestamp > other.LatestTimestamp ? LatestTimestamp : other.LatestTimestamp ?? LatestTimestamp;
        switch (Kind)
        {
            case Aggregation.Sum:
                var sum = laterResetsSum && other.HasSet ? other.Value : Value + other.Value;
                return new(Kind, sum, count, latest, null, HasSet || other.HasSet);
            case Aggregation.Count:
                return new(Kind, 0m, count, latest, null, false);
            case Aggregation.Max:
                return new(Kind, Math.Max(Value, other.Value), count, latest, null, false);
            case Aggregation.Last:
                var otherWins = !(LatestTimestamp > other.LatestTimestamp);
                return new(Kind, otherWins ? other.Value : Value, count, otherWins ? other.LatestTimestamp : LatestTimestamp, null, false);
            default:
                return new(Kind, 0m, count, latest, (DistinctValues ?? EmptyDistinct).Union(other.DistinctValues ?? EmptyDistinct), false);
        }
    }

    private static string? DistinctValueOf(UsageRecord record, string? property) =>
        property is not null && OrdinalProperties.TryGet(record.Properties, property, out var value) ? value : null;

    private static bool DistinctEquals(ImmutableHashSet<string>? left, ImmutableHashSet<string>? right)
    {
        if (ReferenceEquals(left, right))
        {
            return true;
        }

        if (left is null || right is null)
        {
            return (left?.Count ?? 0) == 0 && (right?.Count ?? 0) == 0;
        }

        return left.Count == right.Count && left.SetEquals(right);
    }

    private static void CheckKind(Aggregation kind)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "The kind parameter must be a defined Aggregation (Sum, Count, Max, Last or UniqueCount).");
        }
    }

    [DoesNotReturn]
    private static void ThrowUndefinedAction(UsageAction action) =>
        throw new ArgumentOutOfRangeException(nameof(action), action, "The action parameter must be UsageAction.Increment or UsageAction.Set.");

    [DoesNotReturn]
    private static void ThrowKindMismatch(Aggregation mine, Aggregation theirs) =>
        throw new ArgumentException($"Cannot combine a {mine} aggregate with a {theirs} aggregate; combine aggregates of the same meter.", "other");

    [DoesNotReturn]
    private static void ThrowRecordMismatch(UsageRecord record, Meter meter, Aggregation kind) =>
        throw new ArgumentException(
            $"Cannot apply a record for meter '{record.MeterKey}' with meter {meter} to a {kind} aggregate; apply each meter's records to an aggregate created with Empty(meter.Aggregation).",
            nameof(meter));
}
