using System.Diagnostics.CodeAnalysis;

namespace Metering.Storage;

/// <summary>What an aggregate of one (subscription, period) sums up.</summary>
public enum AggregateKeyKind
{
    /// <summary>All records of a meter (the key is the meter key).</summary>
    Meter,

    /// <summary>The records of a meter that match a charge's property filter (stored as <c>meter|charge</c>).</summary>
    FilteredCharge,

    /// <summary>The credits burned in real time for a charge, in the plan currency (stored as <c>credits:charge</c>).</summary>
    Prepaid,
}

/// <summary>
/// The key of one aggregate within a (subscription, period): a meter, a filtered charge of a meter, or the credits
/// prepaid for a charge. Stores keep its <see cref="Value"/> as text; <see cref="Parse"/> reads it back. Meter and
/// charge keys cannot contain <c>|</c> or <c>:</c>, so the text form is unambiguous. Equality and order are ordinal
/// over <see cref="Value"/> (the order databases use for the key column).
/// </summary>
public readonly struct AggregateKey : IEquatable<AggregateKey>, IComparable<AggregateKey>
{
    private const string PrepaidPrefix = "credits:";
    private const char ChargeSeparator = '|';

    private AggregateKey(string value, AggregateKeyKind kind, string? meterKey, string? chargeKey)
    {
        Value = value;
        Kind = kind;
        MeterKey = meterKey;
        ChargeKey = chargeKey;
    }

    /// <summary>The stored text form (<c>meter</c>, <c>meter|charge</c> or <c>credits:charge</c>).</summary>
    public string Value { get; }

    /// <summary>What the aggregate sums up.</summary>
    public AggregateKeyKind Kind { get; }

    /// <summary>The meter whose records fold into it; null for <see cref="AggregateKeyKind.Prepaid"/>.</summary>
    public string? MeterKey { get; }

    /// <summary>The charge it belongs to; null for <see cref="AggregateKeyKind.Meter"/>.</summary>
    public string? ChargeKey { get; }

    /// <summary>The aggregate of every record of <paramref name="meterKey"/>.</summary>
    public static AggregateKey ForMeter(string meterKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(meterKey);
        return new(meterKey, AggregateKeyKind.Meter, meterKey, null);
    }

    /// <summary>The aggregate a charge reads its quantity from: its meter's, or its own when the charge filters on properties.</summary>
    public static AggregateKey For(Charge charge)
    {
        ArgumentNullException.ThrowIfNull(charge);
        return charge.Filter.Count == 0
            ? ForMeter(charge.MeterKey)
            : new(charge.MeterKey + ChargeSeparator + charge.Key, AggregateKeyKind.FilteredCharge, charge.MeterKey, charge.Key);
    }

    /// <summary>The aggregate of the credits burned in real time for the charge <paramref name="chargeKey"/>.</summary>
    public static AggregateKey PrepaidFor(string chargeKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(chargeKey);
        return new(PrepaidPrefix + chargeKey, AggregateKeyKind.Prepaid, null, chargeKey);
    }

    /// <summary>Reads a key back from its stored text form.</summary>
    /// <exception cref="FormatException">The text is not a key this library writes.</exception>
    public static AggregateKey Parse(string value)
    {
        if (!TryParse(value, out var key))
        {
            throw new FormatException($"'{value}' is not an aggregate key; expected 'meter', 'meter|charge' or 'credits:charge'.");
        }

        return key;
    }

    /// <summary>Reads a key back from its stored text form; false when it is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out AggregateKey key)
    {
        key = default;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        if (value.StartsWith(PrepaidPrefix, StringComparison.Ordinal))
        {
            var charge = value[PrepaidPrefix.Length..];
            if (!Meter.IsValidKey(charge))
            {
                return false;
            }

            key = new(value, AggregateKeyKind.Prepaid, null, charge);
            return true;
        }

        int separator = value.IndexOf(ChargeSeparator, StringComparison.Ordinal);
        if (separator < 0)
        {
            if (!Meter.IsValidKey(value))
            {
                return false;
            }

            key = new(value, AggregateKeyKind.Meter, value, null);
            return true;
        }

        var meter = value[..separator];
        var chargeKey = value[(separator + 1)..];
        if (!Meter.IsValidKey(meter) || !Meter.IsValidKey(chargeKey))
        {
            return false;
        }

        key = new(value, AggregateKeyKind.FilteredCharge, meter, chargeKey);
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(AggregateKey other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AggregateKey other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Value is null ? 0 : StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Ordinal order of <see cref="Value"/>.</summary>
    public int CompareTo(AggregateKey other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The stored text form.</summary>
    public override string ToString() => Value ?? string.Empty;

    /// <summary>Equal keys.</summary>
    public static bool operator ==(AggregateKey left, AggregateKey right) => left.Equals(right);

    /// <summary>Different keys.</summary>
    public static bool operator !=(AggregateKey left, AggregateKey right) => !left.Equals(right);

    /// <summary>Ordinal order.</summary>
    public static bool operator <(AggregateKey left, AggregateKey right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order.</summary>
    public static bool operator >(AggregateKey left, AggregateKey right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order.</summary>
    public static bool operator <=(AggregateKey left, AggregateKey right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order.</summary>
    public static bool operator >=(AggregateKey left, AggregateKey right) => left.CompareTo(right) >= 0;
}
