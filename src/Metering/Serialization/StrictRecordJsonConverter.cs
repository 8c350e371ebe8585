using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Metering.Serialization;

/// <summary>
/// Reads and writes one of Metering's record types (<see cref="Invoice"/>, <see cref="CreditBalance"/>, ...) with
/// System.Text.Json's own contract for it, but strictly: a member that is missing (a constructor parameter or a
/// <c>required</c> property) or null where the C# type does not allow null fails with a <see cref="JsonException"/>
/// instead of reading as a default. The strictness is scoped to Metering's types: the host's options keep their
/// <see cref="JsonSerializerOptions.RespectNullableAnnotations"/> and
/// <see cref="JsonSerializerOptions.RespectRequiredConstructorParameters"/>, so the host's own types read as before.
/// </summary>
/// <remarks>
/// The value is handed to a strict copy of the caller's options (same resolver, naming policy and converters), so a
/// source-generated context in the caller's options is used as is; no reflection or runtime code generation is added.
/// </remarks>
internal sealed class StrictRecordJsonConverter<T> : JsonConverter<T>, IStrictRecordJsonConverter
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return JsonSerializer.Deserialize(ref reader, StrictOptions.TypeInfo<T>(options));
        }
        catch (Exception e) when (e is ArgumentException or MeteringException)
        {
            // A value the domain type refuses (a transaction of amount 0, a grant that expires before it starts) is a
            // malformed payload too: one exception type for the caller, the domain's message and exception kept.
            throw new JsonException($"The JSON has a value Metering refuses, in a {Name}: {e.Message}", e);
        }
    }

    private static string Name { get; } = typeof(T).IsGenericType
        ? $"{typeof(T).Name[..typeof(T).Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", typeof(T).GetGenericArguments().Select(a => a.Name))}>"
        : typeof(T).Name;

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, StrictOptions.TypeInfo<T>(options));
}

/// <summary>Marks the converters a strict copy of the options leaves out (it is strict for every type already).</summary>
internal interface IStrictRecordJsonConverter;

/// <summary>One strict copy per options instance in use.</summary>
internal static class StrictOptions
{
    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> Copies = new();

    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options) =>
        (JsonTypeInfo<T>)Copies.GetValue(options, Copy).GetTypeInfo(typeof(T));

    private static JsonSerializerOptions Copy(JsonSerializerOptions options)
    {
        var strict = new JsonSerializerOptions(options)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        for (int i = strict.Converters.Count - 1; i >= 0; i--)
        {
            if (strict.Converters[i] is IStrictRecordJsonConverter)
            {
                strict.Converters.RemoveAt(i);
            }
        }

        return strict;
    }
}
