using System.Globalization;

namespace Metering;

/// <summary>
/// Pure checks of a usage record that need no store: its shape, and its fit with its meter.
/// Each returns null when the record passes, or a <see cref="UsageRejection"/> that names the fix.
/// Nothing is allocated when a record passes.
/// </summary>
public static class UsageRecordRules
{
    /// <summary>Longest idempotency key accepted, in UTF-16 characters.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>
    /// Checks what can be checked from the record alone, in this order: customer id, subscription id (if given),
    /// meter key and action (all <see cref="UsageRejectionReason.InvalidRecord"/>), idempotency key
    /// (missing or blank, longer than <see cref="MaxIdempotencyKeyLength"/>), text with a NUL or an unpaired
    /// surrogate in any of those or in a property name or value (<see cref="UsageRejectionReason.InvalidText"/>),
    /// negative quantity, a quantity above <see cref="MeteringLimits.MaxQuantity"/>
    /// (<see cref="UsageRejectionReason.QuantityOutOfRange"/>), and a timestamp later than <paramref name="now"/> +
    /// <paramref name="futureTolerance"/> (a timestamp exactly at the limit passes).
    /// </summary>
    /// <param name="record">The record to check.</param>
    /// <param name="now">The current instant, from the injected clock.</param>
    /// <param name="futureTolerance">Clock-skew tolerance for timestamps ahead of <paramref name="now"/> (default in the runtime: 5 minutes).</param>
    /// <returns>Null when the record passes; otherwise the first rule it breaks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="futureTolerance"/> is negative.</exception>
    public static UsageRejection? CheckShape(UsageRecord record, Instant now, Duration futureTolerance)
    {
        Preconditions.CheckNotNull(record);
        Preconditions.CheckArgument(futureTolerance >= Duration.Zero, nameof(futureTolerance), "The futureTolerance parameter must be zero or positive.");

        if (string.IsNullOrWhiteSpace(record.CustomerId))
        {
            return UsageRejection.InvalidRecord("The record has no customer id; set CustomerId to the id of the customer who used the meter.");
        }

        if (record.SubscriptionId is not null && string.IsNullOrWhiteSpace(record.SubscriptionId))
        {
            return UsageRejection.InvalidRecord("The record's subscription id is empty or whitespace; set SubscriptionId to a subscription id, or to null to bill the customer's active subscription.");
        }

        if (string.IsNullOrWhiteSpace(record.MeterKey))
        {
            return UsageRejection.InvalidRecord("The record has no meter key; set MeterKey to the key of a defined meter (e.g. 'api_calls').");
        }

        if (record.Action is not (UsageAction.Increment or UsageAction.Set))
        {
            return UsageRejection.InvalidRecord($"The record's action {(int)record.Action} is not defined; use UsageAction.Increment or UsageAction.Set.");
        }

        if (string.IsNullOrWhiteSpace(record.IdempotencyKey))
        {
            return UsageRejection.MissingIdempotencyKey();
        }

        if (record.IdempotencyKey.Length > MaxIdempotencyKeyLength)
        {
            return UsageRejection.IdempotencyKeyTooLong(record.IdempotencyKey.Length);
        }

        if (CheckTextOf(record) is { } text)
        {
            return text;
        }

        if (record.Quantity < 0m)
        {
            return UsageRejection.NegativeQuantity(record.Quantity);
        }

        if (record.Quantity > MeteringLimits.MaxQuantity)
        {
            return UsageRejection.QuantityTooLarge(record.Quantity);
        }

        if (record.Timestamp - now > futureTolerance)
        {
            return UsageRejection.TimestampInFuture(record.Timestamp, now, futureTolerance);
        }

        return null;
    }

    /// <summary>
    /// Checks the record against the meter its key resolved to: <paramref name="meter"/> null means no meter has
    /// the key (<see cref="UsageRejectionReason.UnknownMeter"/>); a <see cref="Aggregation.UniqueCount"/> meter needs
    /// a non-blank value of its unique property in <see cref="UsageRecord.Properties"/>
    /// (<see cref="UsageRejectionReason.MissingProperty"/>).
    /// </summary>
    /// <returns>Null when the record fits the meter; otherwise the rejection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="meter"/> has another key than the record (a lookup bug).</exception>
    public static UsageRejection? CheckAgainstMeter(UsageRecord record, Meter? meter)
    {
        Preconditions.CheckNotNull(record);
        if (meter is null)
        {
            return UsageRejection.UnknownMeter(record.MeterKey);
        }

        if (!string.Equals(meter.Key, record.MeterKey, StringComparison.Ordinal))
        {
            ThrowMeterMismatch(record, meter);
        }

        if (meter.UniqueProperty is { } property
            && (!OrdinalProperties.TryGet(record.Properties, property, out var value)
                || string.IsNullOrWhiteSpace(value)))
        {
            return UsageRejection.MissingProperty(meter.Key, property);
        }

        return null;
    }

    /// <summary>
    /// The text rule alone (see <see cref="TextRules"/>): null when the record's ids, keys and properties are well-formed
    /// UTF-16 without NUL, else an <see cref="UsageRejectionReason.InvalidText"/> rejection naming the field. Part of
    /// <see cref="CheckShape"/>; stores use it to guard records handed to them directly.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    public static UsageRejection? CheckText(UsageRecord record)
    {
        Preconditions.CheckNotNull(record);
        return CheckTextOf(record);
    }

    private static UsageRejection? CheckTextOf(UsageRecord record)
    {
        if (TextRules.FindProblem(record.CustomerId) >= 0)
        {
            return UsageRejection.InvalidText(TextRules.Describe(record.CustomerId, "record's customer id")!);
        }

        if (record.SubscriptionId is { } subscriptionId && TextRules.FindProblem(subscriptionId) >= 0)
        {
            return UsageRejection.InvalidText(TextRules.Describe(subscriptionId, "record's subscription id")!);
        }

        if (TextRules.FindProblem(record.MeterKey) >= 0)
        {
            return UsageRejection.InvalidText(TextRules.Describe(record.MeterKey, "record's meter key")!);
        }

        if (TextRules.FindProblem(record.IdempotencyKey) >= 0)
        {
            return UsageRejection.InvalidText(TextRules.Describe(record.IdempotencyKey, "record's idempotency key")!);
        }

        return record.Properties switch
        {
            null or { Count: 0 } => null,
            Dictionary<string, string> dictionary => CheckProperties(dictionary),
            var other => CheckProperties(other),
        };
    }

    // A Dictionary is scanned with its struct enumerator, so the accepted path allocates nothing.
    private static UsageRejection? CheckProperties(Dictionary<string, string> properties)
    {
        foreach (var pair in properties)
        {
            if (CheckProperty(pair) is { } rejection)
            {
                return rejection;
            }
        }

        return null;
    }

    private static UsageRejection? CheckProperties(IReadOnlyDictionary<string, string> properties)
    {
        foreach (var pair in properties)
        {
            if (CheckProperty(pair) is { } rejection)
            {
                return rejection;
            }
        }

        return null;
    }

    private static UsageRejection? CheckProperty(KeyValuePair<string, string> pair)
    {
        if (pair.Key is null || pair.Value is null)
        {
            return UsageRejection.InvalidRecord($"The record has a property with a null {(pair.Key is null ? "name" : $"value ('{pair.Key}')")}; give every property a name and a value, or leave it out.");
        }

        if (TextRules.FindProblem(pair.Key) >= 0)
        {
            return UsageRejection.InvalidText(TextRules.Describe(pair.Key, "record's property name")!);
        }

        return TextRules.FindProblem(pair.Value) >= 0
            ? UsageRejection.InvalidText(TextRules.Describe(pair.Value, $"record's property '{pair.Key}' value")!)
            : null;
    }

    /// <summary>
    /// Rejects a record whose value of a property that one of <paramref name="plan"/>'s charges on the record's meter
    /// groups by is longer than <see cref="MeteringLimits.MaxGroupValueLength"/> (<see cref="UsageRejectionReason.InvalidRecord"/>).
    /// Null when every group value fits (a missing property is fine: the record goes to the "no value" group).
    /// </summary>
    public static UsageRejection? CheckGroupValues(UsageRecord record, Plan plan)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var charge in plan.Charges)
        {
            if (charge.GroupBy.Count == 0 || !string.Equals(charge.MeterKey, record.MeterKey, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var property in charge.GroupBy)
            {
                if (record.TryGetProperty(property, out var value) && value.Length > MeteringLimits.MaxGroupValueLength)
                {
                    return UsageRejection.InvalidRecord(string.Create(CultureInfo.InvariantCulture, $"The record's property '{property}' is {value.Length} characters long; charge '{charge.Key}' groups by it and a group value has at most {MeteringLimits.MaxGroupValueLength} characters. Send a shorter code (e.g. an id instead of a name)."));
                }
            }
        }

        return null;
    }

    private static void ThrowMeterMismatch(UsageRecord record, Meter meter) =>
        throw new ArgumentException($"The record is for meter '{record.MeterKey}' but was checked against meter '{meter.Key}'; look the meter up by the record's MeterKey.", nameof(meter));
}
