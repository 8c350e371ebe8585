using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime.Text;

namespace Metering.Serialization;

/// <summary>
/// Reading and writing helpers shared by Metering's converters: property names follow the options' naming policy,
/// every malformed value fails with a <see cref="JsonException"/> that names the member and the expected form.
/// </summary>
internal static class JsonFields
{
    // Converted names per naming policy, so reading a member does not convert (and allocate) its name again.
    private static readonly ConditionalWeakTable<JsonNamingPolicy, ConcurrentDictionary<string, string>> Names = new();

    /// <summary>The JSON name of a member under the options' naming policy (camelCase with the web defaults).</summary>
    public static string Name(JsonSerializerOptions options, string member) =>
        options.PropertyNamingPolicy is { } policy
            ? Names.GetValue(policy, static _ => new(StringComparer.Ordinal)).GetOrAdd(member, policy.ConvertName)
            : member;

    /// <summary>True when a property read from JSON is <paramref name="member"/> under the options' naming policy.</summary>
    public static bool Is(string jsonName, string member, JsonSerializerOptions options) =>
        string.Equals(
            jsonName,
            Name(options, member),
            options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>True when a null member is left out under the options' ignore condition.</summary>
    public static bool SkipNull(JsonSerializerOptions options) =>
        options.DefaultIgnoreCondition is JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault;

    public static JsonException Error(string message) => new(message);

    /// <summary>Checks that the reader is on the start of an object (and not on null).</summary>
    public static void StartObject(ref Utf8JsonReader reader, string type, string example)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw Error($"A {type} cannot be null; write it as {example}.");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Error($"A {type} is a JSON object such as {example}, but the JSON has a {Describe(reader.TokenType)}.");
        }
    }

    /// <summary>Moves to the next property of the object: true with its name and the reader on its value, false at the end.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader, out string name)
    {
        if (!reader.Read())
        {
            throw Error("The JSON ended inside an object.");
        }

        if (reader.TokenType == JsonTokenType.EndObject)
        {
            name = string.Empty;
            return false;
        }

        name = reader.GetString()!;
        if (!reader.Read())
        {
            throw Error($"The JSON ended before the value of '{name}'.");
        }

        return true;
    }

    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    public static JsonException Missing(string type, string member, JsonSerializerOptions options, string example) =>
        Error($"The {type} has no '{Name(options, member)}'; write it as {example}.");

    public static JsonException Invalid(string type, string member, JsonSerializerOptions options, string problem) =>
        Error($"The {type}'s '{Name(options, member)}' {problem}");

    public static string ReadString(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options) =>
        ReadNullableString(ref reader, type, member, options)
        ?? throw Invalid(type, member, options, "is null; it must be a string.");

    public static string? ReadNullableString(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            _ => throw Invalid(type, member, options, $"must be a string, but is a {Describe(reader.TokenType)}."),
        };

    /// <summary>An exact decimal from a JSON string (<c>"0.002"</c>, no exponent) or a JSON number.</summary>
    public static decimal ReadDecimal(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options) =>
        ReadNullableDecimal(ref reader, type, member, options)
        ?? throw Invalid(type, member, options, "is null; it must be a decimal number.");

    public static decimal? ReadNullableDecimal(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number when reader.TryGetDecimal(out var number):
                return number;
            case JsonTokenType.Number:
                throw Invalid(type, member, options, "is a number outside the range of a decimal.");
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
                {
                    return parsed;
                }

                throw Invalid(type, member, options, $"is \"{Shorten(text)}\", which is not a decimal number; write digits with an optional '-' and '.', e.g. \"12.50\".");
            default:
                throw Invalid(type, member, options, $"must be a decimal number (a string such as \"12.50\" or a number), but is a {Describe(reader.TokenType)}.");
        }
    }

    public static int ReadInt(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
        {
            return value;
        }

        throw Invalid(type, member, options, $"must be a whole number, but is a {Describe(reader.TokenType)}{(reader.TokenType == JsonTokenType.Number ? " that is not a 32-bit integer" : string.Empty)}.");
    }

    public static bool ReadBool(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw Invalid(type, member, options, $"must be true or false, but is a {Describe(reader.TokenType)}."),
        };

    public static Instant ReadInstant(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options) =>
        ReadNullableInstant(ref reader, type, member, options)
        ?? throw Invalid(type, member, options, "is null; it must be an ISO-8601 UTC instant such as \"2026-01-31T00:00:00Z\".");

    public static Instant? ReadNullableInstant(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options)
    {
        var text = ReadNullableString(ref reader, type, member, options);
        if (text is null)
        {
            return null;
        }

        var result = InstantPattern.ExtendedIso.Parse(text);
        return result.Success
            ? result.Value
            : throw Invalid(type, member, options, $"is \"{Shorten(text)}\", which is not an ISO-8601 UTC instant; write e.g. \"2026-01-31T00:00:00Z\".");
    }

    public static void WriteInstant(Utf8JsonWriter writer, string name, Instant? value, JsonSerializerOptions options)
    {
        if (value is { } instant)
        {
            writer.WriteString(name, InstantPattern.ExtendedIso.Format(instant));
        }
        else if (!SkipNull(options))
        {
            writer.WriteNull(name);
        }
    }

    public static void WriteString(Utf8JsonWriter writer, string name, string? value, JsonSerializerOptions options)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
        else if (!SkipNull(options))
        {
            writer.WriteNull(name);
        }
    }

    public static void WriteDecimal(Utf8JsonWriter writer, string name, decimal? value, JsonSerializerOptions options)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else if (!SkipNull(options))
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>An enum member by its exact name (as written by Metering); numbers and undefined names fail.</summary>
    public static TEnum ReadEnum<TEnum>(ref Utf8JsonReader reader, string type, string member, JsonSerializerOptions options)
        where TEnum : struct, Enum
    {
        var text = ReadNullableString(ref reader, type, member, options)
            ?? throw Invalid(type, member, options, $"is null; it must be one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
        foreach (var value in Enum.GetValues<TEnum>())
        {
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw Invalid(type, member, options, $"is \"{Shorten(text)}\"; it must be one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
    }

    public static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 60), "...");
}
