using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Metering.Storage;

/// <summary>
/// Reads a stored <see cref="SubscriptionDoc"/> straight off its UTF-8 JSON. Every current-usage read and preview of a
/// subscription whose revision a store has not decoded yet reads one, and System.Text.Json reads a record with this
/// many constructor parameters through its slowest path (each argument boxed into a cache, then the constructor called
/// through it). Members may come in any order (PostgreSQL's jsonb reorders them); unknown members are skipped and
/// missing ones take the record's defaults, as the serializer does. The lists, the metadata and the contract, rare and
/// nested, go through the serializer's own metadata.
/// </summary>
internal static class SubscriptionDocReader
{
    /// <summary>Reads the document's text, transcoded into a pooled buffer.</summary>
    public static SubscriptionDoc Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            int length = Encoding.UTF8.GetBytes(json, buffer);
            return Read(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static SubscriptionDoc Read(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        Expect(ref reader, JsonTokenType.StartObject);
        string? subscriptionId = null, customerId = null, planKey = null, startedAt = null, trialEndsAt = null, cancelAt = null;
        string? endedAt = null, paymentFailedAt = null, paymentFailedInvoiceId = null;
        int planVersion = 0, seats = 0;
        long revision = 0;
        ScheduleDoc? schedule = null;
        PeriodDoc? currentPeriod = null;
        string[]? seatAssignments = null;
        SubscriptionUsageAlertDoc[]? usageAlerts = null;
        SeatChangeDoc[]? seatChanges = null;
        Dictionary<string, string>? metadata = null;
        ContractDoc? contract = null;
        bool contractInherited = false;
        while (NextMember(ref reader))
        {
            if (reader.ValueTextEquals("SubscriptionId"u8))
            {
                subscriptionId = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("CustomerId"u8))
            {
                customerId = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("PlanKey"u8))
            {
                planKey = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("PlanVersion"u8))
            {
                planVersion = NextInt32(ref reader);
            }
            else if (reader.ValueTextEquals("Schedule"u8))
            {
                schedule = NextSchedule(ref reader);
            }
            else if (reader.ValueTextEquals("StartedAt"u8))
            {
                startedAt = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("CurrentPeriod"u8))
            {
                currentPeriod = NextPeriod(ref reader);
            }
            else if (reader.ValueTextEquals("TrialEndsAt"u8))
            {
                trialEndsAt = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("Seats"u8))
            {
                seats = NextInt32(ref reader);
            }
            else if (reader.ValueTextEquals("SeatAssignments"u8))
            {
                seatAssignments = NextStrings(ref reader);
            }
            else if (reader.ValueTextEquals("CancelAt"u8))
            {
                cancelAt = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("EndedAt"u8))
            {
                endedAt = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("Revision"u8))
            {
                Next(ref reader);
                revision = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("UsageAlerts"u8))
            {
                usageAlerts = NextNested(ref reader, DocumentContext.Default.SubscriptionUsageAlertDocArray);
            }
            else if (reader.ValueTextEquals("SeatChanges"u8))
            {
                seatChanges = NextNested(ref reader, DocumentContext.Default.SeatChangeDocArray);
            }
            else if (reader.ValueTextEquals("Metadata"u8))
            {
                metadata = NextNested(ref reader, DocumentContext.Default.DictionaryStringString);
            }
            else if (reader.ValueTextEquals("PaymentFailedAt"u8))
            {
                paymentFailedAt = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("PaymentFailedInvoiceId"u8))
            {
                paymentFailedInvoiceId = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("Contract"u8))
            {
                contract = NextNested(ref reader, DocumentContext.Default.ContractDoc);
            }
            else if (reader.ValueTextEquals("ContractInherited"u8))
            {
                Next(ref reader);
                contractInherited = reader.GetBoolean();
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new SubscriptionDoc(
            subscriptionId!,
            customerId!,
            planKey!,
            planVersion,
            schedule!,
            startedAt!,
            currentPeriod!,
            trialEndsAt,
            seats,
            seatAssignments!,
            cancelAt,
            endedAt,
            revision,
            usageAlerts,
            seatChanges,
            metadata,
            paymentFailedAt,
            paymentFailedInvoiceId,
            contract,
            contractInherited);
    }

    private static ScheduleDoc? NextSchedule(ref Utf8JsonReader reader)
    {
        if (!NextObjectOrNull(ref reader))
        {
            return null;
        }

        string? anchor = null, zone = null, interval = null;
        while (NextMember(ref reader))
        {
            if (reader.ValueTextEquals("Anchor"u8))
            {
                anchor = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("Zone"u8))
            {
                zone = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("Interval"u8))
            {
                interval = NextString(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new ScheduleDoc(anchor!, zone!, interval!);
    }

    private static PeriodDoc? NextPeriod(ref Utf8JsonReader reader)
    {
        if (!NextObjectOrNull(ref reader))
        {
            return null;
        }

        int index = 0;
        string? start = null, end = null;
        while (NextMember(ref reader))
        {
            if (reader.ValueTextEquals("Index"u8))
            {
                index = NextInt32(ref reader);
            }
            else if (reader.ValueTextEquals("Start"u8))
            {
                start = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("End"u8))
            {
                end = NextString(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new PeriodDoc(index, start!, end!);
    }

    private static string[]? NextStrings(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(reader.TokenType, JsonTokenType.StartArray);
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            return [];
        }

        var items = new List<string>();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(reader.GetString()!);
            Next(ref reader);
        }

        return [.. items];
    }

    /// <summary>Moves to the next member's name; false at the end of the object.</summary>
    private static bool NextMember(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            return false;
        }

        Expect(reader.TokenType, JsonTokenType.PropertyName);
        return true;
    }

    /// <summary>Moves to a member's value: true at the start of an object, false at null.</summary>
    private static bool NextObjectOrNull(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }

        Expect(reader.TokenType, JsonTokenType.StartObject);
        return true;
    }

    /// <summary>A nested member the serializer reads (null without calling it, as most documents have).</summary>
    private static T? NextNested<T>(ref Utf8JsonReader reader, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        Next(ref reader);
        return reader.TokenType == JsonTokenType.Null ? null : JsonSerializer.Deserialize(ref reader, typeInfo);
    }

    private static string? NextString(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.GetString();
    }

    private static int NextInt32(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.GetInt32();
    }

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        reader.Skip();
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType expected)
    {
        Next(ref reader);
        Expect(reader.TokenType, expected);
    }

    private static void Expect(JsonTokenType actual, JsonTokenType expected)
    {
        if (actual != expected)
        {
            throw new JsonException($"The stored subscription document has {actual} where {expected} belongs; it is not a document this library wrote.");
        }
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The stored subscription document ends early; it is not a document this library wrote.");
        }
    }
}
