using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// <see cref="UsageRejection"/> as <c>{"reason":"UnknownMeter","message":"Meter 'x' is not defined; ..."}</c>; both required.
/// </summary>
internal sealed class UsageRejectionJsonConverter : JsonConverter<UsageRejection>
{
    private const string What = "usage rejection";
    private const string Example = "{\"reason\":\"UnknownMeter\",\"message\":\"...\"}";

    public override UsageRejection Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        UsageRejectionReason? reason = null;
        string? message = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Reason", options))
            {
                reason = JsonFields.ReadEnum<UsageRejectionReason>(ref reader, What, "Reason", options);
            }
            else if (JsonFields.Is(name, "Message", options))
            {
                message = JsonFields.ReadString(ref reader, What, "Message", options);
            }
            else
            {
                reader.Skip();
            }
        }

        return new UsageRejection(
            reason ?? throw JsonFields.Missing(What, "Reason", options, Example),
            message ?? throw JsonFields.Missing(What, "Message", options, Example));
    }

    public override void Write(Utf8JsonWriter writer, UsageRejection value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonFields.Name(options, "Reason"), value.Reason.ToString());
        writer.WriteString(JsonFields.Name(options, "Message"), value.Message ?? string.Empty);
        writer.WriteEndObject();
    }
}

/// <summary>
/// <see cref="UsageOutcome"/> as <c>{"kind":"Accepted","subscriptionId":"sub_1","periodStart":"2026-01-01T00:00:00Z","rejection":null}</c>.
/// Accepted and Duplicate carry a subscription id and a period start and no rejection; Rejected carries a rejection
/// (and maybe a subscription id); Conflict carries a rejection with reason <c>IdempotencyKeyConflict</c>. The derived
/// <c>Reason</c> and <c>IsCounted</c> are not written.
/// </summary>
internal sealed class UsageOutcomeJsonConverter(UsageRejectionJsonConverter rejections) : JsonConverter<UsageOutcome>
{
    private const string What = "usage outcome";
    private const string Example = "{\"kind\":\"Accepted\",\"subscriptionId\":\"sub_1\",\"periodStart\":\"2026-01-01T00:00:00Z\",\"rejection\":null}";

    public override UsageOutcome Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        UsageOutcomeKind? kind = null;
        string? subscriptionId = null;
        Instant? periodStart = null;
        UsageRejection? rejection = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Kind", options))
            {
                kind = JsonFields.ReadEnum<UsageOutcomeKind>(ref reader, What, "Kind", options);
            }
            else if (JsonFields.Is(name, "SubscriptionId", options))
            {
                subscriptionId = JsonFields.ReadNullableString(ref reader, What, "SubscriptionId", options);
            }
            else if (JsonFields.Is(name, "PeriodStart", options))
            {
                periodStart = JsonFields.ReadNullableInstant(ref reader, What, "PeriodStart", options);
            }
            else if (JsonFields.Is(name, "Rejection", options))
            {
                rejection = reader.TokenType == JsonTokenType.Null ? null : rejections.Read(ref reader, typeof(UsageRejection), options);
            }
            else
            {
                reader.Skip();
            }
        }

        switch (kind ?? throw JsonFields.Missing(What, "Kind", options, Example))
        {
            case UsageOutcomeKind.Accepted or UsageOutcomeKind.Duplicate:
                if (rejection is not null)
                {
                    throw JsonFields.Invalid(What, "Rejection", options, $"must be null when the kind is {kind} (only Rejected and Conflict outcomes have one).");
                }

                var id = subscriptionId ?? throw JsonFields.Invalid(What, "SubscriptionId", options, $"is missing or null, but an outcome of kind {kind} names the subscription the record counts for.");
                var start = periodStart ?? throw JsonFields.Invalid(What, "PeriodStart", options, $"is missing or null, but an outcome of kind {kind} has the start of the period the record counts in.");
                return kind == UsageOutcomeKind.Accepted ? UsageOutcome.Accepted(id, start) : UsageOutcome.Duplicate(id, start);

            case UsageOutcomeKind.Rejected:
                var why = rejection ?? throw JsonFields.Invalid(What, "Rejection", options, "is missing or null, but a Rejected outcome says why it was rejected.");
                CheckNoPeriodStart(kind.Value, periodStart, options);
                if (why.Reason == UsageRejectionReason.IdempotencyKeyConflict)
                {
                    throw JsonFields.Error($"A Rejected usage outcome cannot have reason IdempotencyKeyConflict; that reason belongs to kind \"Conflict\".");
                }

                return UsageOutcome.Rejected(why, subscriptionId);

            default:
                var conflict = rejection ?? throw JsonFields.Invalid(What, "Rejection", options, "is missing or null, but a Conflict outcome explains the conflict.");
                CheckNoPeriodStart(kind.Value, periodStart, options);
                if (conflict.Reason != UsageRejectionReason.IdempotencyKeyConflict)
                {
                    throw JsonFields.Error($"A Conflict usage outcome has reason IdempotencyKeyConflict, but the JSON has {conflict.Reason}.");
                }

                if (subscriptionId is not null)
                {
                    throw JsonFields.Invalid(What, "SubscriptionId", options, "must be null for a Conflict outcome.");
                }

                return NewOutcome(UsageOutcomeKind.Conflict, conflict, null, null);
        }
    }

    public override void Write(Utf8JsonWriter writer, UsageOutcome value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonFields.Name(options, "Kind"), value.Kind.ToString());
        JsonFields.WriteString(writer, JsonFields.Name(options, "SubscriptionId"), value.SubscriptionId, options);
        JsonFields.WriteInstant(writer, JsonFields.Name(options, "PeriodStart"), value.PeriodStart, options);
        if (value.Rejection is { } rejection)
        {
            writer.WritePropertyName(JsonFields.Name(options, "Rejection"));
            rejections.Write(writer, rejection, options);
        }
        else if (!JsonFields.SkipNull(options))
        {
            writer.WriteNull(JsonFields.Name(options, "Rejection"));
        }

        writer.WriteEndObject();
    }

    private static void CheckNoPeriodStart(UsageOutcomeKind kind, Instant? periodStart, JsonSerializerOptions options)
    {
        if (periodStart is not null)
        {
            throw JsonFields.Invalid(What, "PeriodStart", options, $"must be null when the kind is {kind} (only counted records have a period).");
        }
    }

    // The public factories build a conflict's message from its idempotency key, which the JSON does not carry; the
    // private constructor rebuilds the outcome with the message as written (no reflection, trimming and AOT safe).
    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    private static extern UsageOutcome NewOutcome(UsageOutcomeKind kind, UsageRejection? rejection, string? subscriptionId, Instant? periodStart);
}
