-- Metering schema v3. {schema} is replaced by the configured schema name (quoted).
-- Event delivery without a global event counter. Before, every event-writing transaction took the next sequence from
-- the 'event' counter row, so such transactions ran one at a time across all instances (the row lock is held through
-- commit). Now the sequence comes from a SEQUENCE (unique, increasing within a transaction, not gap-free) and each row
-- records the id of the transaction that wrote it. Events are delivered in (tx, sequence) order and read only below the
-- oldest running transaction (pg_snapshot_xmin), so a transaction that commits late holds later events back instead of
-- being skipped by a reader that already moved past its sequence numbers.

CREATE SEQUENCE {schema}.billing_event_sequence AS bigint;
SELECT setval('{schema}.billing_event_sequence', (SELECT COALESCE(MAX(sequence), 0) + 1 FROM {schema}.billing_events), false);
ALTER TABLE {schema}.billing_events ALTER COLUMN sequence SET DEFAULT nextval('{schema}.billing_event_sequence');
ALTER SEQUENCE {schema}.billing_event_sequence OWNED BY {schema}.billing_events.sequence;
-- Rows written before v3 get this migration's transaction id: they sort after nothing that is not already committed.
ALTER TABLE {schema}.billing_events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX billing_events_delivery_order ON {schema}.billing_events (tx, sequence);
DELETE FROM {schema}.counters WHERE name = 'event';

-- One row per handler: its checkpoint (the delivery position of the last event it handled or parked; null = the start)
-- and its lease (owner and expiry in Unix nanoseconds, like every instant here).
CREATE TABLE {schema}.event_handlers (
    name              text COLLATE "C" PRIMARY KEY,
    position_tx       xid8,
    position_sequence bigint,
    lease_owner       text,
    lease_expires_at  bigint
);

-- Events a handler kept failing on, set aside so its delivery goes on; re-driven on request.
CREATE TABLE {schema}.parked_events (
    handler              text COLLATE "C" NOT NULL,
    sequence             bigint NOT NULL,
    attempts             integer NOT NULL,
    last_error           text NOT NULL,
    parked_at            bigint NOT NULL,
    redelivery_requested boolean NOT NULL DEFAULT false,
    PRIMARY KEY (handler, sequence)
);
