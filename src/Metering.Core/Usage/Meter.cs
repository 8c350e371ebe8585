using System.Collections.Immutable;

namespace Metering;

/// <summary>
/// A billable event (<c>packages</c>, <c>api_calls</c>, <c>storage_gb</c>, <c>seats</c>) and how one period's
/// usage records collapse into one billable quantity. Immutable, with value equality.
/// </summary>
/// <remarks>
/// Keys are 1 to 64 characters from <c>a-z</c>, <c>A-Z</c>, <c>0-9</c>, <c>_</c>, <c>.</c> and <c>-</c>, and are
/// compared ordinally (case-sensitive): <c>api_calls</c> and <c>API_calls</c> are different meters, so prefer lower case.
/// Create meters with the factories (<see cref="Sum(string)"/>, <see cref="UniqueCount(string, string)"/>, ...) and
/// refine them with <see cref="WithGroupBy(string[])"/>, <see cref="WithDisplayName(string?)"/> and <see cref="WithUnit(string?)"/>.
/// </remarks>
public sealed class Meter : IEquatable<Meter>
{
    /// <summary>Maximum length of a meter key, in characters.</summary>
    public const int MaxKeyLength = 64;

    private readonly ImmutableArray<string> _groupBy;

    /// <summary>Creates a meter, validating every part.</summary>
    /// <param name="key">The meter key usage records refer to.</param>
    /// <param name="aggregation">How records collapse into the billable quantity.</param>
    /// <param name="uniqueProperty">The property whose distinct values are counted: required for
    /// <see cref="Aggregation.UniqueCount"/>, must be null otherwise.</param>
    /// <param name="groupBy">Property names a charge may filter or group on (no blanks, no duplicates); null for none.</param>
    /// <param name="displayName">Human-readable name for invoices, or null.</param>
    /// <param name="unit">Unit of the quantity for invoices (e.g. <c>packages</c>), or null.</param>
    /// <exception cref="InvalidMeterException">A part breaks a rule; the message names the rule and the fix.</exception>
    public Meter(
        string key,
        Aggregation aggregation,
        string? uniqueProperty = null,
        IEnumerable<string>? groupBy = null,
        string? displayName = null,
        string? unit = null)
    {
        ValidateKey(key);
        if (!Enum.IsDefined(aggregation))
        {
            throw new InvalidMeterException(key, $"Meter '{key}': aggregation {(int)aggregation} is not defined; use Sum, Count, Max, Last or UniqueCount.");
        }

        if (aggregation == Aggregation.UniqueCount)
        {
            if (string.IsNullOrWhiteSpace(uniqueProperty))
            {
                throw new InvalidMeterException(key, $"Meter '{key}' aggregates by UniqueCount but names no unique property; pass the property whose distinct values are counted, e.g. Meter.UniqueCount(\"{key}\", \"user_id\").");
            }
        }
        else if (uniqueProperty is not null)
        {
            throw new InvalidMeterException(key, $"Meter '{key}' aggregates by {aggregation} but names unique property '{uniqueProperty}'; a unique property is only allowed with UniqueCount. Remove it or use Meter.UniqueCount.");
        }

        if (TextRules.Describe(uniqueProperty, $"unique property of meter '{key}'") is { } badProperty)
        {
            throw new InvalidMeterException(key, badProperty);
        }

        _groupBy = ValidateGroupBy(key, groupBy);
        ValidateOptionalText(key, displayName, "display name", nameof(WithDisplayName));
        ValidateOptionalText(key, unit, "unit", nameof(WithUnit));

        Key = key;
        Aggregation = aggregation;
        UniqueProperty = uniqueProperty;
        DisplayName = displayName;
        Unit = unit;
    }

    /// <summary>The meter key usage records refer to (case-sensitive).</summary>
    public string Key { get; }

    /// <summary>How records collapse into the billable quantity.</summary>
    public Aggregation Aggregation { get; }

    /// <summary>For <see cref="Aggregation.UniqueCount"/>: the property whose distinct values are counted; null otherwise.</summary>
    public string? UniqueProperty { get; }

    /// <summary>Property names a charge may filter or group on (e.g. <c>region</c>); empty when none. Order is kept.</summary>
    public IReadOnlyList<string> GroupBy => _groupBy;

    /// <summary>Human-readable name for invoices, or null (then the key is shown).</summary>
    public string? DisplayName { get; }

    /// <summary>Unit of the quantity for invoices (e.g. <c>packages</c>, <c>GB</c>), or null.</summary>
    public string? Unit { get; }

    /// <summary>A meter whose quantity is the sum of the records' quantities (a Set record resets the total).</summary>
    /// <exception cref="InvalidMeterException">The key is invalid.</exception>
    public static Meter Sum(string key) => new(key, Aggregation.Sum);

    /// <summary>A meter whose quantity is the number of records.</summary>
    /// <exception cref="InvalidMeterException">The key is invalid.</exception>
    public static Meter Count(string key) => new(key, Aggregation.Count);

    /// <summary>A meter whose quantity is the highest quantity recorded in the period.</summary>
    /// <exception cref="InvalidMeterException">The key is invalid.</exception>
    public static Meter Max(string key) => new(key, Aggregation.Max);

    /// <summary>A meter whose quantity is that of the record with the latest timestamp in the period.</summary>
    /// <exception cref="InvalidMeterException">The key is invalid.</exception>
    public static Meter Last(string key) => new(key, Aggregation.Last);

    /// <summary>A meter whose quantity is the number of distinct values of <paramref name="property"/> (e.g. active users).</summary>
    /// <exception cref="InvalidMeterException">The key is invalid or <paramref name="property"/> is blank.</exception>
    public static Meter UniqueCount(string key, string property) => new(key, Aggregation.UniqueCount, property);

    /// <summary>A copy whose <see cref="GroupBy"/> is <paramref name="properties"/> (replacing any previous list).</summary>
    /// <exception cref="InvalidMeterException">A name is blank or repeated.</exception>
    public Meter WithGroupBy(params string[] properties) => WithGroupBy((IEnumerable<string>)properties);

    /// <summary>A copy whose <see cref="GroupBy"/> is <paramref name="properties"/> (replacing any previous list).</summary>
    /// <exception cref="InvalidMeterException">A name is blank or repeated.</exception>
    public Meter WithGroupBy(IEnumerable<string> properties) => new(Key, Aggregation, UniqueProperty, properties, DisplayName, Unit);

    /// <summary>A copy with <see cref="DisplayName"/> set (null clears it).</summary>
    /// <exception cref="InvalidMeterException"><paramref name="displayName"/> is empty or whitespace.</exception>
    public Meter WithDisplayName(string? displayName) => new(Key, Aggregation, UniqueProperty, _groupBy, displayName, Unit);

    /// <summary>A copy with <see cref="Unit"/> set (null clears it).</summary>
    /// <exception cref="InvalidMeterException"><paramref name="unit"/> is empty or whitespace.</exception>
    public Meter WithUnit(string? unit) => new(Key, Aggregation, UniqueProperty, _groupBy, DisplayName, unit);

    /// <summary>
    /// True when <paramref name="other"/> defines the same meter in every part (key, aggregation, unique property,
    /// group-by list in order, display name, unit). Used to make startup declarations idempotent. Same as <see cref="Equals(Meter?)"/>.
    /// </summary>
    public bool DefinitionEquals(Meter? other) => Equals(other);

    /// <summary>True when the key is 1 to 64 characters from a-z, A-Z, 0-9, '_', '.' and '-'.</summary>
    public static bool IsValidKey(string? key)
    {
        if (key is null || key.Length is 0 or > MaxKeyLength)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!IsKeyChar(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public bool Equals(Meter? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        return other is not null
            && string.Equals(Key, other.Key, StringComparison.Ordinal)
            && Aggregation == other.Aggregation
            && string.Equals(UniqueProperty, other.UniqueProperty, StringComparison.Ordinal)
            && _groupBy.AsSpan().SequenceEqual(other._groupBy.AsSpan(), StringComparer.Ordinal)
            && string.Equals(DisplayName, other.DisplayName, StringComparison.Ordinal)
            && string.Equals(Unit, other.Unit, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Meter);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Key, StringComparer.Ordinal);
        hash.Add(Aggregation);
        hash.Add(UniqueProperty, StringComparer.Ordinal);
        foreach (var property in _groupBy)
        {
            hash.Add(property, StringComparer.Ordinal);
        }

        hash.Add(DisplayName, StringComparer.Ordinal);
        hash.Add(Unit, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    /// <summary>Equal in every part.</summary>
    public static bool operator ==(Meter? left, Meter? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Different in some part.</summary>
    public static bool operator !=(Meter? left, Meter? right) => !(left == right);

    /// <summary>The key and aggregation, e.g. <c>active_users (UniqueCount of user_id)</c>.</summary>
    public override string ToString() =>
        UniqueProperty is null ? $"{Key} ({Aggregation})" : $"{Key} ({Aggregation} of {UniqueProperty})";

    private static bool IsKeyChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';

    private static void ValidateKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new InvalidMeterException(key, "A meter key is required; use 1 to 64 characters from a-z, A-Z, 0-9, '_', '.' and '-' (e.g. 'api_calls').");
        }

        if (key.Length > MaxKeyLength)
        {
            throw new InvalidMeterException(key, $"Meter key '{key}' is {key.Length} characters long; a key has at most {MaxKeyLength} characters. Use a shorter key (e.g. 'api_calls').");
        }

        for (var i = 0; i < key.Length; i++)
        {
            if (!IsKeyChar(key[i]))
            {
                throw new InvalidMeterException(key, $"Meter key '{key}' has the character '{key[i]}' at position {i}; a key uses only a-z, A-Z, 0-9, '_', '.' and '-' (e.g. 'api_calls').");
            }
        }
    }

    private static ImmutableArray<string> ValidateGroupBy(string key, IEnumerable<string>? groupBy)
    {
        if (groupBy is null)
        {
            return [];
        }

        var names = groupBy.ToImmutableArray();
        for (var i = 0; i < names.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(names[i]))
            {
                throw new InvalidMeterException(key, $"Meter '{key}': group-by property {i + 1} is blank; name a record property such as 'region'.");
            }

            if (TextRules.Describe(names[i], $"group-by property {i + 1} of meter '{key}'") is { } badName)
            {
                throw new InvalidMeterException(key, badName);
            }

            for (var j = 0; j < i; j++)
            {
                if (string.Equals(names[i], names[j], StringComparison.Ordinal))
                {
                    throw new InvalidMeterException(key, $"Meter '{key}': group-by property '{names[i]}' is listed twice; list each property once.");
                }
            }
        }

        return names;
    }

    private static void ValidateOptionalText(string key, string? value, string what, string method)
    {
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidMeterException(key, $"Meter '{key}': the {what} is empty or whitespace; pass text or null to {method} to leave it unset.");
        }

        if (TextRules.Describe(value, $"{what} of meter '{key}'") is { } problem)
        {
            throw new InvalidMeterException(key, problem);
        }
    }
}
