using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// <see cref="BillingInterval"/> as its ISO-8601-like text, <c>"P1M"</c>, <c>"P3M"</c>, <c>"P2W"</c>, <c>"P10D"</c>, <c>"P1Y"</c>
/// (what <see cref="BillingInterval.ToString"/> writes and stores persist). Reading also takes <c>"3 months"</c>.
/// </summary>
internal sealed class BillingIntervalJsonConverter : JsonConverter<BillingInterval>
{
    public override BillingInterval Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw JsonFields.Error($"A billing interval is a string such as \"P1M\" (1 month) or \"P2W\" (2 weeks), but the JSON has a {JsonFields.Describe(reader.TokenType)}.");
        }

        var text = reader.GetString()!;
        return BillingInterval.TryParse(text, out var interval)
            ? interval
            : throw JsonFields.Error($"\"{JsonFields.Shorten(text)}\" is not a billing interval; write P<count><unit> with unit D, W, M or Y (e.g. \"P1M\", \"P2W\", \"P1Y\") or e.g. \"3 months\".");
    }

    public override void Write(Utf8JsonWriter writer, BillingInterval value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
