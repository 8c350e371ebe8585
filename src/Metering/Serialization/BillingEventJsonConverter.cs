using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// <see cref="BillingEvent"/> as <c>{"eventId":"evt_1","type":"InvoiceFinalized","schemaVersion":1,"customerId":"cus_1",
/// "subjectId":"in_1","occurredAt":"2026-02-01T01:00:00Z","data":{...}}</c>, where <c>data</c> is the payload in the
/// shape of its type (<see cref="BillingEventPayload.TypeFor"/> of <c>type</c>), or for schema version 0 the stored text
/// details (<see cref="LegacyEventPayload"/>). Every member is required; members may come in any order.
/// </summary>
internal sealed class BillingEventJsonConverter : JsonConverter<BillingEvent>
{
    private const string What = "billing event";
    private const string Example = "{\"eventId\":\"evt_1\",\"type\":\"InvoicePaid\",\"schemaVersion\":1,\"customerId\":\"cus_1\",\"subjectId\":\"in_1\",\"occurredAt\":\"2026-02-01T01:00:00Z\",\"data\":{...}}";

    public override BillingEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        string? eventId = null, customerId = null, subjectId = null;
        BillingEventType? type = null;
        int? version = null;
        Instant? occurredAt = null;
        JsonElement? data = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "EventId", options))
            {
                eventId = JsonFields.ReadString(ref reader, What, "EventId", options);
            }
            else if (JsonFields.Is(name, "Type", options))
            {
                type = JsonFields.ReadEnum<BillingEventType>(ref reader, What, "Type", options);
            }
            else if (JsonFields.Is(name, "SchemaVersion", options))
            {
                version = JsonFields.ReadInt(ref reader, What, "SchemaVersion", options);
            }
            else if (JsonFields.Is(name, "CustomerId", options))
            {
                customerId = JsonFields.ReadString(ref reader, What, "CustomerId", options);
            }
            else if (JsonFields.Is(name, "SubjectId", options))
            {
                subjectId = JsonFields.ReadString(ref reader, What, "SubjectId", options);
            }
            else if (JsonFields.Is(name, "OccurredAt", options))
            {
                occurredAt = JsonFields.ReadInstant(ref reader, What, "OccurredAt", options);
            }
            else if (JsonFields.Is(name, "Data", options))
            {
                // Kept aside: which payload it is depends on "type" and "schemaVersion", which may come after it.
                data = reader.TokenType == JsonTokenType.StartObject
                    ? JsonElement.ParseValue(ref reader)
                    : throw JsonFields.Invalid(What, "Data", options, $"must be an object (the event's payload), but is a {JsonFields.Describe(reader.TokenType)}.");
            }
            else
            {
                reader.Skip();
            }
        }

        var eventType = type ?? throw JsonFields.Missing(What, "Type", options, Example);
        var payloadType = (version ?? throw JsonFields.Missing(What, "SchemaVersion", options, Example)) switch
        {
            0 => typeof(LegacyEventPayload),
            BillingEvent.CurrentSchemaVersion => BillingEventPayload.TypeFor(eventType),
            _ => throw JsonFields.Invalid(What, "SchemaVersion", options, $"is {version}, but this version of Metering reads 0 and {BillingEvent.CurrentSchemaVersion}."),
        };
        var payload = (BillingEventPayload)(JsonSerializer.Deserialize(data ?? throw JsonFields.Missing(What, "Data", options, Example), options.GetTypeInfo(payloadType))
            ?? throw JsonFields.Invalid(What, "Data", options, "is null; it must be the event's payload."));
        return new BillingEvent(
            eventId ?? throw JsonFields.Missing(What, "EventId", options, Example),
            eventType,
            customerId ?? throw JsonFields.Missing(What, "CustomerId", options, Example),
            subjectId ?? throw JsonFields.Missing(What, "SubjectId", options, Example),
            occurredAt ?? throw JsonFields.Missing(What, "OccurredAt", options, Example),
            payload);
    }

    public override void Write(Utf8JsonWriter writer, BillingEvent value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonFields.Name(options, "EventId"), value.EventId);
        writer.WriteString(JsonFields.Name(options, "Type"), value.Type.ToString());
        writer.WriteNumber(JsonFields.Name(options, "SchemaVersion"), value.SchemaVersion);
        writer.WriteString(JsonFields.Name(options, "CustomerId"), value.CustomerId);
        writer.WriteString(JsonFields.Name(options, "SubjectId"), value.SubjectId);
        JsonFields.WriteInstant(writer, JsonFields.Name(options, "OccurredAt"), value.OccurredAt, options);
        writer.WritePropertyName(JsonFields.Name(options, "Data"));
        JsonSerializer.Serialize(writer, value.Payload, options.GetTypeInfo(value.Payload.GetType()));
        writer.WriteEndObject();
    }
}

/// <summary>
/// A <see cref="BillingEventPayload"/> on its own is written in the shape of its concrete type; it cannot be read as the
/// abstract type (nothing in the payload says which it is): read the <see cref="BillingEvent"/>, or the concrete type.
/// </summary>
internal sealed class BillingEventPayloadJsonConverter : JsonConverter<BillingEventPayload>
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(BillingEventPayload);

    public override BillingEventPayload Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw JsonFields.Error("A billing event payload is read with its event (BillingEvent), whose type says which payload it is, or as its concrete type (e.g. InvoiceEventPayload).");

    public override void Write(Utf8JsonWriter writer, BillingEventPayload value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options.GetTypeInfo(value.GetType()));
}

/// <summary>
/// <see cref="LegacyEventPayload"/> (the details of an event stored before payloads were typed) as its text details:
/// <c>{"total":"22.50 EUR","reason":"PeriodEnd"}</c>, every value a string.
/// </summary>
internal sealed class LegacyEventPayloadJsonConverter : JsonConverter<LegacyEventPayload>
{
    private const string What = "legacy event payload";
    private const string Example = "{\"total\":\"22.50 EUR\"}";

    public override LegacyEventPayload Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            data[name] = JsonFields.ReadString(ref reader, What, name, JsonSerializerOptions.Default);
        }

        return new LegacyEventPayload(data);
    }

    public override void Write(Utf8JsonWriter writer, LegacyEventPayload value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, text) in value.Data)
        {
            writer.WriteString(key, text);
        }

        writer.WriteEndObject();
    }
}
