-- Metering schema, version 3: delivery state of the event log (issue #14). Positions are billing_events sequences
-- (one writer appends in commit order); 0 is before the first event. Instants are INTEGER unix nanoseconds.

CREATE TABLE event_handlers (
    handler           TEXT NOT NULL PRIMARY KEY,
    position          INTEGER NOT NULL,
    lease_owner       TEXT NULL,
    lease_expires_at  INTEGER NULL
) WITHOUT ROWID;

-- Listed by handler (binary collation, the ordinal order of ParkedCursor) then sequence: the primary key order.
CREATE TABLE parked_events (
    handler                 TEXT NOT NULL,
    sequence                INTEGER NOT NULL,
    attempts                INTEGER NOT NULL,
    last_error              TEXT NOT NULL,
    parked_at               INTEGER NOT NULL,
    redelivery_requested    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (handler, sequence)
) WITHOUT ROWID;
