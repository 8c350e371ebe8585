using Metering.Sqlite.Serialization;
using Metering.Storage;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Storage;

/// <summary>Reads of the event log and its delivery state, shared by the writer (inside its transaction) and the read connections.</summary>
internal static class DeliveryQueries
{
    private const string HandlerColumns =
        "h.handler, h.position, h.lease_owner, h.lease_expires_at, (SELECT COUNT(*) FROM parked_events p WHERE p.handler = h.handler)";

    private const string ParkedColumns =
        "p.handler, p.sequence, e.data, p.attempts, p.last_error, p.parked_at, p.redelivery_requested";

    /// <summary>Up to <paramref name="limit"/> events after sequence <paramref name="after"/>, in sequence (= commit) order.</summary>
    public static List<StoredBillingEvent> ReadEvents(SqliteConnection connection, long after, int limit)
    {
        using var reader = StatementCache.Get(connection, "SELECT sequence, data FROM billing_events WHERE sequence > $after ORDER BY sequence LIMIT $limit", "$after", "$limit")
            .With(after, limit)
            .ExecuteReader();
        var events = new List<StoredBillingEvent>();
        while (reader.Read())
        {
            var sequence = reader.GetInt64(0);
            events.Add(new StoredBillingEvent(sequence, EventPositions.FromSequence(sequence), StoreDocuments.ToEvent(reader.GetString(1))));
        }

        return events;
    }

    /// <summary>One handler's checkpoint, lease and parked count, or null when the store has never seen it.</summary>
    public static EventHandlerCheckpoint? LoadEventHandler(SqliteConnection connection, string handler)
    {
        using var reader = StatementCache.Get(connection, $"SELECT {HandlerColumns} FROM event_handlers h WHERE h.handler = $h", "$h").With(handler).ExecuteReader();
        return reader.Read() ? Checkpoint(reader) : null;
    }

    /// <summary>Every handler, by name (binary collation: ordinal).</summary>
    public static List<EventHandlerCheckpoint> ListEventHandlers(SqliteConnection connection)
    {
        using var reader = StatementCache.Get(connection, $"SELECT {HandlerColumns} FROM event_handlers h ORDER BY h.handler").ExecuteReader();
        var handlers = new List<EventHandlerCheckpoint>();
        while (reader.Read())
        {
            handlers.Add(Checkpoint(reader));
        }

        return handlers;
    }

    /// <summary>Up to <paramref name="limit"/> parked events (of one handler, or all) after the cursor position, by handler then sequence.</summary>
    public static List<ParkedBillingEvent> ListParked(SqliteConnection connection, string? handler, (string Handler, long Sequence)? after, int limit)
    {
        var command = StatementCache.Get(
            connection,
            $"""
            SELECT {ParkedColumns}
            FROM parked_events p JOIN billing_events e ON e.sequence = p.sequence
            WHERE ($handler IS NULL OR p.handler = $handler)
              AND ($afterHandler IS NULL OR p.handler > $afterHandler OR (p.handler = $afterHandler AND p.sequence > $afterSequence))
            ORDER BY p.handler, p.sequence
            LIMIT $limit
            """,
            "$handler",
            "$afterHandler",
            "$afterSequence",
            "$limit");
        return Parked(command.With(handler, after?.Handler, after?.Sequence, limit));
    }

    /// <summary>Up to <paramref name="limit"/> parked events of <paramref name="handler"/> marked for redelivery, oldest sequence first.</summary>
    public static List<ParkedBillingEvent> ReadRedeliveries(SqliteConnection connection, string handler, int limit)
    {
        var command = StatementCache.Get(
            connection,
            $"""
            SELECT {ParkedColumns}
            FROM parked_events p JOIN billing_events e ON e.sequence = p.sequence
            WHERE p.handler = $handler AND p.redelivery_requested = 1
            ORDER BY p.sequence
            LIMIT $limit
            """,
            "$handler",
            "$limit");
        return Parked(command.With(handler, limit));
    }

    private static List<ParkedBillingEvent> Parked(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var parked = new List<ParkedBillingEvent>();
        while (reader.Read())
        {
            var sequence = reader.GetInt64(1);
            parked.Add(new ParkedBillingEvent(
                reader.GetString(0),
                new StoredBillingEvent(sequence, EventPositions.FromSequence(sequence), StoreDocuments.ToEvent(reader.GetString(2))),
                reader.GetInt32(3),
                reader.GetString(4),
                SqliteValues.Instant(reader.GetInt64(5)),
                reader.GetInt64(6) != 0));
        }

        return parked;
    }

    private static EventHandlerCheckpoint Checkpoint(SqliteDataReader reader)
    {
        var position = reader.GetInt64(1);
        var owner = reader.IsDBNull(2) ? null : reader.GetString(2);
        return new EventHandlerCheckpoint(
            reader.GetString(0),
            position == 0 ? null : EventPositions.FromSequence(position),
            owner,
            owner is null || reader.IsDBNull(3) ? null : SqliteValues.Instant(reader.GetInt64(3)),
            reader.GetInt32(4));
    }
}
