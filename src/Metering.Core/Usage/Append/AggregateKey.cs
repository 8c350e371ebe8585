using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

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

    /// <summary>
    /// The records of a meter that a grouped charge (<see cref="Charge.GroupBy"/>) counts for one group: one combination
    /// of values of the grouping properties (stored as <c>meter|charge|</c> followed by each value length-prefixed).
    /// </summary>
    GroupedCharge,
}

/// <summary>
/// The key of one aggregate within a (subscription, period): a meter, a filtered charge of a meter, or the credits
/// prepaid for a charge, or one group of a grouped charge. Stores keep its <see cref="Value"/> as text;
/// <see cref="Parse"/> reads it back. Meter and charge keys cannot contain <c>|</c> or <c>:</c>, and group values are
/// written length-prefixed (<c>2:eu</c>; <c>-</c> for a record without the property), so the text form is unambiguous
/// whatever the values contain. Equality and order are ordinal over <see cref="Value"/> (the order databases use for
/// the key column).
/// </summary>
public readonly struct AggregateKey : IEquatable<AggregateKey>, IComparable<AggregateKey>
{
    private const string PrepaidPrefix = "credits:";
    private const char ChargeSeparator = '|';

    private const char NoValue = '-';
    private const char LengthEnd = ':';

    private AggregateKey(string value, AggregateKeyKind kind, string? meterKey, string? chargeKey, string?[]? groupValues = null)
    {
        Value = value;
        Kind = kind;
        MeterKey = meterKey;
        ChargeKey = chargeKey;
        _groupValues = groupValues is null ? null : Array.AsReadOnly(groupValues);
    }

    // Read-only over an array nobody else holds, so a key's group cannot change.
    private readonly ReadOnlyCollection<string?>? _groupValues;

    /// <summary>
    /// For <see cref="AggregateKeyKind.GroupedCharge"/>: the group's value of each of the charge's
    /// <see cref="Charge.GroupBy"/> properties, in that order, null where the records lack the property;
    /// empty for the other kinds.
    /// </summary>
    public IReadOnlyList<string?> GroupValues => _groupValues ?? ReadOnlyCollection<string?>.Empty;

    /// <summary>The stored text form (<c>meter</c>, <c>meter|charge</c>, <c>meter|charge|group</c> or <c>credits:charge</c>).</summary>
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

    /// <summary>
    /// The aggregate of one group of the grouped charge <paramref name="charge"/>: the records whose
    /// <see cref="Charge.GroupBy"/> properties have <paramref name="groupValues"/> (null: the record lacks the property).
    /// </summary>
    /// <exception cref="ArgumentException">The charge is not grouped, or the number of values differs from its group-by properties.</exception>
    public static AggregateKey ForGroup(Charge charge, IReadOnlyList<string?> groupValues)
    {
        ArgumentNullException.ThrowIfNull(charge);
        ArgumentNullException.ThrowIfNull(groupValues);
        if (charge.GroupBy.Count == 0 || groupValues.Count != charge.GroupBy.Count)
        {
            throw new ArgumentException($"Charge '{charge.Key}' groups by {charge.GroupBy.Count} properties but {groupValues.Count} group values were given; pass one value (or null) per Charge.GroupBy property.", nameof(groupValues));
        }

        var values = groupValues.ToArray();
        var text = new StringBuilder(charge.MeterKey.Length + charge.Key.Length + 2 + values.Sum(v => v is null ? 1 : v.Length + 4));
        text.Append(charge.MeterKey).Append(ChargeSeparator).Append(charge.Key).Append(ChargeSeparator);
        foreach (var value in values)
        {
            if (value is null)
            {
                text.Append(NoValue);
            }
            else
            {
                text.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(LengthEnd).Append(value);
            }
        }

        return new(text.ToString(), AggregateKeyKind.GroupedCharge, charge.MeterKey, charge.Key, values);
    }

    /// <summary>
    /// The aggregate of the group a record with <paramref name="properties"/> falls in, for the grouped charge
    /// <paramref name="charge"/> (see <see cref="ForGroup(Charge, IReadOnlyList{string})"/>).
    /// </summary>
    public static AggregateKey ForGroup(Charge charge, IReadOnlyDictionary<string, string>? properties)
    {
        ArgumentNullException.ThrowIfNull(charge);
        var values = new string?[charge.GroupBy.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = OrdinalProperties.TryGet(properties, charge.GroupBy[i], out var value) ? value : null;
        }

        return ForGroup(charge, values);
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
            throw new FormatException($"'{value}' is not an aggregate key; expected 'meter', 'meter|charge', 'meter|charge|group' or 'credits:charge'.");
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
        int groupSeparator = value.IndexOf(ChargeSeparator, separator + 1);
        var chargeKey = groupSeparator < 0 ? value[(separator + 1)..] : value[(separator + 1)..groupSeparator];
        if (!Meter.IsValidKey(meter) || !Meter.IsValidKey(chargeKey))
        {
            return false;
        }

        if (groupSeparator < 0)
        {
            key = new(value, AggregateKeyKind.FilteredCharge, meter, chargeKey);
            return true;
        }

        if (!TryDecodeGroup(value.AsSpan(groupSeparator + 1), out var values))
        {
            return false;
        }

        key = new(value, AggregateKeyKind.GroupedCharge, meter, chargeKey, values);
        return true;
    }

    private static bool TryDecodeGroup(ReadOnlySpan<char> text, [NotNullWhen(true)] out string?[]? values)
    {
        values = null;
        var decoded = new List<string?>();
        while (!text.IsEmpty)
        {
            if (text[0] == NoValue)
            {
                decoded.Add(null);
                text = text[1..];
                continue;
            }

            int end = text.IndexOf(LengthEnd);
            // At most 9 digits, no sign or leading zero but "0": the one spelling ForGroup writes.
            if (end <= 0 || end > 9 || (text[0] == '0' && end > 1)
                || !int.TryParse(text[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length > text.Length - end - 1)
            {
                return false;
            }

            decoded.Add(text.Slice(end + 1, length).ToString());
            text = text[(end + 1 + length)..];
        }

        if (decoded.Count == 0)
        {
            return false;
        }

        values = [.. decoded];
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
