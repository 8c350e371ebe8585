using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>
/// The writer's event delivery state: handler checkpoints, their leases and parked events. Every lease decision reads
/// the handler's row inside the group transaction, so it is atomic with the change it guards (this writer is the only
/// one of this process, and other processes wait for SQLite's write lock).
/// </summary>
internal sealed partial class SqliteWriter
{
    /// <summary>Takes or renews the lease (see <see cref="IMeteringStore.TryAcquireEventLeaseAsync"/>); null when another owner holds it.</summary>
    public EventHandlerCheckpoint? TryAcquireEventLease(string handler, string owner, long nowNanos, long expiresNanos, EventHandlerStart start)
    {
        var lease = ReadLease(handler);
        if (lease is null)
        {
            // Latest: after the last committed event; AUTOINCREMENT sequences only grow, so MAX is the end of the log.
            var position = start == EventHandlerStart.Latest
                ? (long)Sql("SELECT COALESCE(MAX(sequence), 0) FROM billing_events").ExecuteScalar()!
                : 0L;
            Sql("INSERT INTO event_handlers (handler, position, lease_owner, lease_expires_at) VALUES ($h, $p, NULL, NULL)", "$h", "$p")
                .With(handler, position)
                .ExecuteNonQuery();
        }
        else if (lease.Value.Owner is { } holder && holder != owner && lease.Value.ExpiresAt > nowNanos)
        {
            return null;
        }

        Sql("UPDATE event_handlers SET lease_owner = $o, lease_expires_at = $e WHERE handler = $h", "$o", "$e", "$h")
            .With(owner, expiresNanos, handler)
            .ExecuteNonQuery();
        return DeliveryQueries.LoadEventHandler(_connection, handler);
    }

    /// <summary>Frees the lease when <paramref name="owner"/> holds it.</summary>
    public bool ReleaseEventLease(string handler, string owner) =>
        Sql("UPDATE event_handlers SET lease_owner = NULL, lease_expires_at = NULL WHERE handler = $h AND lease_owner = $o", "$h", "$o")
            .With(handler, owner)
            .ExecuteNonQuery() == 1;

    /// <summary>Moves the checkpoint forward (never back) when <paramref name="owner"/> holds the lease.</summary>
    public bool AdvanceEventCheckpoint(string handler, string owner, long sequence) =>
        Sql("UPDATE event_handlers SET position = MAX(position, $p) WHERE handler = $h AND lease_owner = $o", "$p", "$h", "$o")
            .With(sequence, handler, owner)
            .ExecuteNonQuery() == 1;

    /// <summary>Parks (or re-parks) an event and moves the checkpoint past it, in this transaction, when <paramref name="owner"/> holds the lease.</summary>
    public bool ParkEvent(string handler, string owner, long sequence, long position, int attempts, string error, long parkedAtNanos)
    {
        if (!AdvanceEventCheckpoint(handler, owner, position))
        {
            return false;
        }

        Sql(
            """
            INSERT INTO parked_events (handler, sequence, attempts, last_error, parked_at, redelivery_requested)
            VALUES ($h, $s, $a, $e, $at, 0)
            ON CONFLICT (handler, sequence) DO UPDATE SET
                attempts = excluded.attempts, last_error = excluded.last_error, parked_at = excluded.parked_at, redelivery_requested = 0
            """,
            "$h",
            "$s",
            "$a",
            "$e",
            "$at")
            .With(handler, sequence, attempts, error, parkedAtNanos)
            .ExecuteNonQuery();
        return true;
    }

    /// <summary>Marks one parked event of <paramref name="handler"/>, or all of them, for redelivery; returns how many.</summary>
    public int RequestRedelivery(string handler, long? sequence) =>
        Sql("UPDATE parked_events SET redelivery_requested = 1 WHERE handler = $h AND ($s IS NULL OR sequence = $s)", "$h", "$s")
            .With(handler, sequence)
            .ExecuteNonQuery();

    /// <summary>Removes a parked event after its redelivery succeeded, when <paramref name="owner"/> holds the lease.</summary>
    public bool CompleteRedelivery(string handler, string owner, long sequence)
    {
        if (ReadLease(handler) is not { Owner: { } holder } || holder != owner)
        {
            return false;
        }

        Sql("DELETE FROM parked_events WHERE handler = $h AND sequence = $s", "$h", "$s")
            .With(handler, sequence)
            .ExecuteNonQuery();
        return true;
    }

    private (string? Owner, long? ExpiresAt)? ReadLease(string handler)
    {
        using var reader = Sql("SELECT lease_owner, lease_expires_at FROM event_handlers WHERE handler = $h", "$h").With(handler).ExecuteReader();
        return reader.Read()
            ? (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1))
            : null;
    }
}
