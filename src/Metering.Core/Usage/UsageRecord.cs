using System.Diagnostics.CodeAnalysis;

namespace Metering;

/// <summary>
/// One report of consumption: <paramref name="Quantity"/> units of meter <paramref name="MeterKey"/> used by
/// customer <paramref name="CustomerId"/> at <paramref name="Timestamp"/>.
/// </summary>
/// <remarks>
/// <see cref="Increment"/> and <see cref="Set"/> build the two kinds by name; the constructor stays for full control.
/// A record is plain data and is never validated on construction: a batch of records must not throw. Check it with
/// <see cref="UsageRecordRules.CheckShape(UsageRecord, Instant, Duration)"/> and
/// <see cref="UsageRecordRules.CheckAgainstMeter(UsageRecord, Meter?)"/>, which report a typed rejection.
/// Equality is content equality (see <see cref="ContentEquals(UsageRecord?)"/>): properties compare as a set, ordinally.
/// </remarks>
/// <param name="CustomerId">The customer who used the meter (required).</param>
/// <param name="MeterKey">The key of the meter used (case-sensitive).</param>
/// <param name="Quantity">Units used; zero or positive.</param>
/// <param name="Timestamp">When the usage happened; decides the billing period the record lands in.</param>
/// <param name="IdempotencyKey">
/// Caller-chosen unique key (at most <see cref="UsageRecordRules.MaxIdempotencyKeyLength"/> characters). Sending the
/// same key again with the same content is a duplicate counted once; with different content it is a conflict.
/// </param>
/// <param name="Action">Increment (add) or Set (absolute value; resets a Sum meter's running total).</param>
/// <param name="Properties">Optional properties (e.g. <c>region</c>, <c>user_id</c>) used by group-by and unique-count meters.</param>
/// <param name="SubscriptionId">Optional: the subscription to bill, when the customer has several; null picks the active one.</param>
public sealed record UsageRecord(
    string CustomerId,
    string MeterKey,
    decimal Quantity,
    Instant Timestamp,
    string IdempotencyKey,
    UsageAction Action = UsageAction.Increment,
    IReadOnlyDictionary<string, string>? Properties = null,
    string? SubscriptionId = null)
{
    // Above this many properties, ContentEquals copies one side into an ordinal dictionary instead of scanning pairs.
    private const int LinearScanLimit = 8;

    /// <summary>
    /// A record that adds <paramref name="quantity"/> units to meter <paramref name="meterKey"/> (the common case:
    /// <see cref="UsageAction.Increment"/>). Like the constructor, it does not validate: the recorder reports a typed
    /// rejection instead.
    /// </summary>
    /// <param name="customerId">The customer who used the meter.</param>
    /// <param name="meterKey">The key of the meter used (case-sensitive).</param>
    /// <param name="quantity">Units used; zero or positive.</param>
    /// <param name="timestamp">When the usage happened; decides the billing period the record lands in.</param>
    /// <param name="idempotencyKey">Caller-chosen unique key: a retry with the same key and content counts once.</param>
    /// <param name="properties">Optional properties (e.g. <c>region</c>) for group-by and unique-count meters.</param>
    /// <param name="subscriptionId">Optional: the subscription to bill when the customer has several.</param>
    /// <returns>The record, ready for <c>IUsageRecorder.RecordAsync</c>.</returns>
    public static UsageRecord Increment(
        string customerId,
        string meterKey,
        decimal quantity,
        Instant timestamp,
        string idempotencyKey,
        IReadOnlyDictionary<string, string>? properties = null,
        string? subscriptionId = null) =>
        new(customerId, meterKey, quantity, timestamp, idempotencyKey, UsageAction.Increment, properties, subscriptionId);

    /// <summary>
    /// A record that sets meter <paramref name="meterKey"/> to the absolute <paramref name="value"/> at
    /// <paramref name="timestamp"/> (<see cref="UsageAction.Set"/>: it resets a Sum meter's running total, e.g. seats or
    /// storage in use now). Like the constructor, it does not validate: the recorder reports a typed rejection instead.
    /// </summary>
    /// <param name="customerId">The customer whose meter is set.</param>
    /// <param name="meterKey">The key of the meter set (case-sensitive).</param>
    /// <param name="value">The meter's value from now on; zero or positive.</param>
    /// <param name="timestamp">When the value took effect; decides the billing period the record lands in.</param>
    /// <param name="idempotencyKey">Caller-chosen unique key: a retry with the same key and content counts once.</param>
    /// <param name="properties">Optional properties (e.g. <c>region</c>) for group-by and unique-count meters.</param>
    /// <param name="subscriptionId">Optional: the subscription to bill when the customer has several.</param>
    /// <returns>The record, ready for <c>IUsageRecorder.RecordAsync</c>.</returns>
    public static UsageRecord Set(
        string customerId,
        string meterKey,
        decimal value,
        Instant timestamp,
        string idempotencyKey,
        IReadOnlyDictionary<string, string>? properties = null,
        string? subscriptionId = null) =>
        new(customerId, meterKey, value, timestamp, idempotencyKey, UsageAction.Set, properties, subscriptionId);

    /// <summary>
    /// True when <paramref name="other"/> reports the same usage: every field equal, strings compared ordinally,
    /// quantities compared numerically (1.0 equals 1.00), properties compared as sets of key/value pairs regardless of
    /// insertion order or dictionary comparer. A null and an empty property set are equal.
    /// Tells a retried record (Duplicate) from a different record reusing an idempotency key (Conflict).
    /// </summary>
    /// <remarks>Does not allocate when both records have no properties.</remarks>
    public bool ContentEquals(UsageRecord? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        return other is not null
            && Quantity == other.Quantity
            && Timestamp == other.Timestamp
            && Action == other.Action
            && string.Equals(CustomerId, other.CustomerId, StringComparison.Ordinal)
            && string.Equals(MeterKey, other.MeterKey, StringComparison.Ordinal)
            && string.Equals(IdempotencyKey, other.IdempotencyKey, StringComparison.Ordinal)
            && string.Equals(SubscriptionId, other.SubscriptionId, StringComparison.Ordinal)
            && PropertiesEqual(Properties, other.Properties);
    }

    /// <summary>
    /// The value of property <paramref name="name"/>, looked up ordinally whatever comparer <see cref="Properties"/> was
    /// built with (the way stores compare it). Does not allocate.
    /// </summary>
    /// <returns>True when the record has the property.</returns>
    public bool TryGetProperty(string name, [NotNullWhen(true)] out string? value) => OrdinalProperties.TryGet(Properties, name, out value);

    /// <summary>Same as <see cref="ContentEquals(UsageRecord?)"/>.</summary>
    public bool Equals(UsageRecord? other) => ContentEquals(other);

    /// <summary>A hash consistent with <see cref="ContentEquals(UsageRecord?)"/> (property order does not matter).</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(CustomerId, StringComparer.Ordinal);
        hash.Add(MeterKey, StringComparer.Ordinal);
        hash.Add(Quantity);
        hash.Add(Timestamp);
        hash.Add(IdempotencyKey, StringComparer.Ordinal);
        hash.Add(Action);
        hash.Add(SubscriptionId, StringComparer.Ordinal);
        if (Properties is { Count: > 0 })
        {
            var properties = 0;
            foreach (var pair in Properties)
            {
                // Order-independent: a sum of per-pair hashes.
                properties = unchecked(properties + HashCode.Combine(
                    StringComparer.Ordinal.GetHashCode(pair.Key ?? string.Empty),
                    StringComparer.Ordinal.GetHashCode(pair.Value ?? string.Empty)));
            }

            hash.Add(properties);
        }

        return hash.ToHashCode();
    }

    private static bool PropertiesEqual(IReadOnlyDictionary<string, string>? left, IReadOnlyDictionary<string, string>? right)
    {
        var leftCount = left?.Count ?? 0;
        var rightCount = right?.Count ?? 0;
        if (leftCount != rightCount)
        {
            return false;
        }

        if (leftCount == 0 || ReferenceEquals(left, right))
        {
            return true;
        }

        // Both dictionaries hold unique keys and have the same count, so "every left pair has an ordinal twin on the
        // right" is set equality. The dictionaries' own comparers may not be ordinal, so their lookups are not used.
        if (leftCount <= LinearScanLimit)
        {
            foreach (var pair in left!)
            {
                if (!ContainsOrdinal(right!, pair))
                {
                    return false;
                }
            }

            return true;
        }

        var ordinalRight = new Dictionary<string, string>(rightCount, StringComparer.Ordinal);
        foreach (var pair in right!)
        {
            ordinalRight[pair.Key] = pair.Value;
        }

        foreach (var pair in left!)
        {
            if (!ordinalRight.TryGetValue(pair.Key, out var value) || !string.Equals(pair.Value, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ContainsOrdinal(IReadOnlyDictionary<string, string> dictionary, KeyValuePair<string, string> wanted)
    {
        foreach (var pair in dictionary)
        {
            if (string.Equals(pair.Key, wanted.Key, StringComparison.Ordinal))
            {
                return string.Equals(pair.Value, wanted.Value, StringComparison.Ordinal);
            }
        }

        return false;
    }
}
