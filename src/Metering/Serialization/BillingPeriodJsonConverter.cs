using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// <see cref="BillingPeriod"/> as <c>{"index":0,"start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"}</c>
/// (half-open <c>[start, end)</c>, ISO-8601 UTC instants); all three members are required and end must be after start.
/// </summary>
internal sealed class BillingPeriodJsonConverter : JsonConverter<BillingPeriod>
{
    private const string What = "billing period";
    private const string Example = "{\"index\":0,\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-02-01T00:00:00Z\"}";

    public override BillingPeriod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        int? index = null;
        Instant? start = null;
        Instant? end = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Index", options))
            {
                index = JsonFields.ReadInt(ref reader, What, "Index", options);
            }
            else if (JsonFields.Is(name, "Start", options))
            {
                start = JsonFields.ReadInstant(ref reader, What, "Start", options);
            }
            else if (JsonFields.Is(name, "End", options))
            {
                end = JsonFields.ReadInstant(ref reader, What, "End", options);
            }
            else
            {
                reader.Skip();
            }
        }

        var s = start ?? throw JsonFields.Missing(What, "Start", options, Example);
        var e = end ?? throw JsonFields.Missing(What, "End", options, Example);
        if (e <= s)
        {
            throw JsonFields.Error($"The billing period's end {e} is not after its start {s}; a period is [start, end) with end later than start.");
        }

        return new BillingPeriod(index ?? throw JsonFields.Missing(What, "Index", options, Example), s, e);
    }

    public override void Write(Utf8JsonWriter writer, BillingPeriod value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber(JsonFields.Name(options, "Index"), value.Index);
        JsonFields.WriteInstant(writer, JsonFields.Name(options, "Start"), value.Start, options);
        JsonFields.WriteInstant(writer, JsonFields.Name(options, "End"), value.End, options);
        writer.WriteEndObject();
    }
}
