using System.Globalization;
using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

/// <summary>
/// The event log and its delivery state. Transactions may commit in the opposite order of the sequence numbers they
/// took, so delivery order is (writing transaction id, sequence) and the log is read only below
/// the oldest transaction in progress: every transaction with a lower id has finished, and any transaction
/// still to commit has a higher id, so nothing can later appear before an event already returned (transactions of other
/// databases on the same server are left out of that horizon: they cannot write this log). A position is
/// <c>{tx}.{sequence}</c>. Each operation is one statement; the fenced ones change nothing unless the caller still owns
/// the handler's lease.
/// </summary>
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// Committed events can be held back by an older transaction of this database still running. Such transactions are
    /// normally short, so when every event after the position is held back, the read waits for them (up to
    /// <see cref="HeldBackWait"/>, briefly re-reading) rather than return nothing; otherwise it returns what is safe to
    /// deliver at once, and the rest comes with a later read.
    /// </remarks>
    public async ValueTask<IReadOnlyList<StoredBillingEvent>> ReadEventsAsync(string? afterPosition, int limit, CancellationToken cancellationToken)
    {
        var (tx, sequence) = ParsePosition(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var waited = TimeSpan.Zero;
        var pause = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var (events, heldBack) = await ReadEventPageAsync(connection, tx, sequence, limit, cancellationToken).ConfigureAwait(false);
            if (!heldBack || events.Count > 0 || waited >= HeldBackWait)
            {
                return events;
            }

            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            waited += pause;
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
        }
    }

    /// <summary>The longest a read waits for older running transactions that hold committed events back (1 second).</summary>
    private static TimeSpan HeldBackWait => TimeSpan.FromSeconds(1);

    private async Task<(List<StoredBillingEvent> Events, bool HeldBack)> ReadEventPageAsync(NpgsqlConnection connection, string tx, long sequence, int limit, CancellationToken cancellationToken)
    {
        // One statement, so the page and the held-back flag come from one snapshot and one horizon: with two, the page
        // could stop at a horizon that the flag's later snapshot no longer has, and an empty page would not be waited on.
        await using var command = Command(connection, null, _events.Read);
        command.Parameters.Add(Text(tx));
        command.Parameters.Add(Long(sequence));
        command.Parameters.Add(P(limit, NpgsqlDbType.Integer));
        var events = new List<StoredBillingEvent>();
        var heldBack = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.IsDBNull(0))
            {
                heldBack = reader.GetBoolean(3);
            }
            else
            {
                events.Add(ReadStoredEvent(reader, 0));
            }
        }

        return (events, heldBack);
    }

    /// <inheritdoc/>
    public async ValueTask<EventHandlerCheckpoint?> TryAcquireEventLeaseAsync(string handler, string owner, Instant now, Duration ttl, EventHandlerStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(owner);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = Batch(connection, null);
        batch.BatchCommands.Add(BatchCommand(_events.AddHandler, Text(handler), P(start == EventHandlerStart.Latest, NpgsqlDbType.Boolean)));
        batch.BatchCommands.Add(BatchCommand(_events.TakeLease, Text(handler), Text(owner), Long(Instants.Nanos(now)), Long(Instants.Nanos(now + ttl))));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        do
        {
            // The INSERT returns no rows; the lease UPDATE returns the checkpoint when this owner holds the lease.
            if (reader.FieldCount > 0)
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadCheckpoint(reader) : null;
            }
        }
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));

        return null;
    }

    /// <inheritdoc/>
    public async ValueTask ReleaseEventLeaseAsync(string handler, string owner, CancellationToken cancellationToken) =>
        await ExecuteAsync(_events.ReleaseLease, cancellationToken, Text(handler), Text(owner)).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<bool> AdvanceEventCheckpointAsync(string handler, string owner, string position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(position);
        var (tx, sequence) = ParsePosition(position);
        return await ExecuteAsync(_events.Advance, cancellationToken, Text(handler), Text(owner), Text(tx), Long(sequence)).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> ParkEventAsync(string handler, string owner, StoredBillingEvent stored, int attempts, string error, Instant parkedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(error);
        var (tx, sequence) = ParsePosition(stored.Position);
        return await ExecuteAsync(
            _events.Park,
            cancellationToken,
            Text(handler),
            Text(owner),
            Text(tx),
            Long(sequence),
            P(attempts, NpgsqlDbType.Integer),
            Text(error),
            Long(Instants.Nanos(parkedAt))).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<Page<ParkedBillingEvent>> ListParkedEventsAsync(string? handler, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var after = ParkedCursor.Decode(cursor);
        var items = await ReadParkedAsync(
            _events.ListParked,
            cancellationToken,
            Text(handler),
            Text(after?.Handler),
            Long(after?.Sequence ?? 0),
            P(limit + 1, NpgsqlDbType.Integer)).ConfigureAwait(false);
        return items.Count > limit
            ? new Page<ParkedBillingEvent>(items.Take(limit).ToArray(), ParkedCursor.Encode(items[limit - 1]))
            : new Page<ParkedBillingEvent>(items, null);
    }

    /// <inheritdoc/>
    public async ValueTask<int> RequestRedeliveryAsync(string handler, long? sequence, CancellationToken cancellationToken) =>
        await ExecuteAsync(_events.RequestRedelivery, cancellationToken, Text(handler), Long(sequence)).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ParkedBillingEvent>> ReadRedeliveriesAsync(string handler, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return await ReadParkedAsync(_events.ReadRedeliveries, cancellationToken, Text(handler), P(limit, NpgsqlDbType.Integer)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> CompleteRedeliveryAsync(string handler, string owner, long sequence, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _events.CompleteRedelivery);
        command.Parameters.Add(Text(handler));
        command.Parameters.Add(Text(owner));
        command.Parameters.Add(Long(sequence));
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<EventHandlerCheckpoint>> ListEventHandlersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _events.ListHandlers);
        var handlers = new List<EventHandlerCheckpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            handlers.Add(ReadCheckpoint(reader));
        }

        return handlers;
    }

    /// <summary>The (tx, sequence) a position names; ("0", 0), before every event, for null.</summary>
    private static (string Tx, long Sequence) ParsePosition(string? position)
    {
        if (position is null)
        {
            return ("0", 0);
        }

        var dot = position.IndexOf('.', StringComparison.Ordinal);
        if (dot is < 1 or > 20 || position.Length - dot - 1 is < 1 or > 19
            || position.AsSpan(0, dot).ContainsAnyExcept("0123456789") || position.AsSpan(dot + 1).ContainsAnyExcept("0123456789")
            || !ulong.TryParse(position.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || !long.TryParse(position.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            throw EventPositions.Invalid(position);
        }

        return (position[..dot], sequence);
    }

    private static string PositionOf(string tx, long sequence) => string.Create(CultureInfo.InvariantCulture, $"{tx}.{sequence}");

    /// <summary>Reads (sequence, tx text, doc text) from <paramref name="first"/> on.</summary>
    private static StoredBillingEvent ReadStoredEvent(NpgsqlDataReader reader, int first)
    {
        var sequence = reader.GetInt64(first);
        return new StoredBillingEvent(sequence, PositionOf(reader.GetString(first + 1), sequence), StoreDocuments.ToEvent(reader.GetString(first + 2)));
    }

    /// <summary>Reads (name, position tx, position sequence, owner, expiry, parked count).</summary>
    private static EventHandlerCheckpoint ReadCheckpoint(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : PositionOf(reader.GetString(1), reader.GetInt64(2)),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : Instants.At(reader.GetInt64(4)),
        (int)reader.GetInt64(5));

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        command.Parameters.AddRange(parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a parked-event query returning (handler, attempts, last error, parked at, redelivery, sequence, tx, doc).</summary>
    private async Task<List<ParkedBillingEvent>> ReadParkedAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        command.Parameters.AddRange(parameters);
        var parked = new List<ParkedBillingEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            parked.Add(new ParkedBillingEvent(
                reader.GetString(0),
                ReadStoredEvent(reader, 5),
                reader.GetInt32(1),
                reader.GetString(2),
                Instants.At(reader.GetInt64(3)),
                reader.GetBoolean(4)));
        }

        return parked;
    }

    /// <summary>The event statements, schema-qualified once.</summary>
    private sealed class EventSql(string s)
    {
        // The horizon: the oldest transaction id in progress in the statement's snapshot, or the snapshot's xmax when none
        // is. Transactions of backends connected to other databases are left out: they can never write these tables, and
        // without this one long transaction anywhere on the server would hold delivery back. Only backends still running
        // in another database are left out (a backend's database never changes); an in-progress id not found there
        // (finished since the snapshot, a prepared transaction, or hidden for lack of privilege) still holds the horizon,
        // which only delays delivery. backend_xid is 32-bit: compared modulo 2^32.
        // Moves a handler's checkpoint to ($3, $4) unless it is already there or further (never backwards).
        private const string MoveForward =
            """
            position_tx = CASE WHEN position_tx IS NULL OR (position_tx, position_sequence) < ($3::xid8, $4) THEN $3::xid8 ELSE position_tx END,
                position_sequence = CASE WHEN position_tx IS NULL OR (position_tx, position_sequence) < ($3::xid8, $4) THEN $4 ELSE position_sequence END
            """;

        private const string Horizon =
            """
            (SELECT coalesce(
                (SELECT min(x) FROM pg_snapshot_xip(c.snap) AS x
                 WHERE x::text::numeric % 4294967296 NOT IN (
                    SELECT a.backend_xid::text::numeric FROM pg_stat_activity a
                    WHERE a.backend_xid IS NOT NULL AND a.datid IS DISTINCT FROM (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))),
                pg_snapshot_xmax(c.snap))
             FROM (SELECT pg_current_snapshot() AS snap) AS c)
            """;

        private readonly string _parkedColumns =
            $"p.handler, p.attempts, p.last_error, p.parked_at, p.redelivery_requested, e.sequence, e.tx::text, e.doc::text FROM {s}.parked_events p JOIN {s}.billing_events e ON e.sequence = p.sequence";

        public string Read { get; } =
            // The page below the horizon, then one row with a null sequence whose last column says whether committed
            // events after the position are held back by that same horizon. Ordered by the xid8 column (q.tx): the text
            // output would order "10000" before "9999".
            $"""
            WITH h AS MATERIALIZED (SELECT {Horizon} AS x)
            SELECT q.sequence, q.tx::text, q.doc::text, q.held_back FROM (
                SELECT p.sequence, p.tx, p.doc, false AS held_back FROM (
                    SELECT e.sequence, e.tx, e.doc FROM {s}.billing_events e
                    WHERE e.tx < (SELECT x FROM h) AND (e.tx, e.sequence) > ($1::xid8, $2) ORDER BY e.tx, e.sequence LIMIT $3) AS p
                UNION ALL
                SELECT NULL, NULL::xid8, NULL, EXISTS (
                    SELECT 1 FROM {s}.billing_events b WHERE b.tx >= (SELECT x FROM h) AND (b.tx, b.sequence) > ($1::xid8, $2))
            ) AS q
            ORDER BY q.tx NULLS LAST, q.sequence
            """;

        public string AddHandler { get; } =
            $"""
            INSERT INTO {s}.event_handlers (name, position_tx, position_sequence)
            SELECT $1, l.tx, l.sequence FROM (SELECT 1) AS one
            LEFT JOIN (SELECT tx, sequence FROM {s}.billing_events WHERE $2 AND tx < {Horizon} ORDER BY tx DESC, sequence DESC LIMIT 1) AS l ON true
            ON CONFLICT (name) DO NOTHING
            """;

        public string TakeLease { get; } =
            $"""
            UPDATE {s}.event_handlers h SET lease_owner = $2, lease_expires_at = $4
            WHERE h.name = $1 AND (h.lease_owner IS NULL OR h.lease_owner = $2 OR h.lease_expires_at <= $3)
            RETURNING h.name, h.position_tx::text, h.position_sequence, h.lease_owner, h.lease_expires_at,
                (SELECT count(*) FROM {s}.parked_events p WHERE p.handler = h.name)
            """;

        public string ReleaseLease { get; } =
            $"UPDATE {s}.event_handlers SET lease_owner = NULL, lease_expires_at = NULL WHERE name = $1 AND lease_owner = $2";

        public string Advance { get; } =
            $"""
            UPDATE {s}.event_handlers SET {MoveForward} WHERE name = $1 AND lease_owner = $2
            """;

        public string Park { get; } =
            $"""
            WITH h AS (
                UPDATE {s}.event_handlers SET {MoveForward} WHERE name = $1 AND lease_owner = $2
                RETURNING name)
            INSERT INTO {s}.parked_events (handler, sequence, attempts, last_error, parked_at, redelivery_requested)
            SELECT h.name, $4, $5, $6, $7, false FROM h
            ON CONFLICT (handler, sequence) DO UPDATE SET
                attempts = excluded.attempts, last_error = excluded.last_error, parked_at = excluded.parked_at, redelivery_requested = false
            """;

        public string ListParked => $"SELECT {_parkedColumns} WHERE ($1::text IS NULL OR p.handler = $1) AND ($2::text IS NULL OR (p.handler, p.sequence) > ($2 COLLATE \"C\", $3)) ORDER BY p.handler, p.sequence LIMIT $4";

        public string RequestRedelivery { get; } =
            $"UPDATE {s}.parked_events SET redelivery_requested = true WHERE handler = $1 AND ($2::bigint IS NULL OR sequence = $2)";

        public string ReadRedeliveries => $"SELECT {_parkedColumns} WHERE p.handler = $1 AND p.redelivery_requested ORDER BY p.sequence LIMIT $2";

        public string CompleteRedelivery { get; } =
            $"""
            WITH h AS (SELECT name FROM {s}.event_handlers WHERE name = $1 AND lease_owner = $2 FOR UPDATE),
                 d AS (DELETE FROM {s}.parked_events p USING h WHERE p.handler = h.name AND p.sequence = $3)
            SELECT count(*) FROM h
            """;

        public string ListHandlers { get; } =
            $"""
            SELECT h.name, h.position_tx::text, h.position_sequence, h.lease_owner, h.lease_expires_at,
                (SELECT count(*) FROM {s}.parked_events p WHERE p.handler = h.name)
            FROM {s}.event_handlers h ORDER BY h.name
            """;
    }
}
