-- Metering schema, version 11: tables whose rows hold documents or free text become rowid tables (issue #18).
-- A WITHOUT ROWID table keeps its whole row in the cells of its interior pages, and a row larger than an interior
-- cell's local limit (about 230 bytes on the 1 KiB pages of a new database) spills into overflow pages; every search
-- through such a table then compares keys whose cells must be read from overflow pages, which SQLite reads from the
-- file outside its page cache. A credit ledger's lookup did a dozen such reads once its table had a thousand rows. As
-- rowid tables, the primary key is a unique index of the key columns only and the row is read once, at the leaf.
-- Kept WITHOUT ROWID: tables whose columns outside the key are integers or bounded short text (aggregates' values).

CREATE TABLE meters_v11 (
    meter_key   TEXT NOT NULL PRIMARY KEY,
    data        TEXT NOT NULL
);
INSERT INTO meters_v11 (meter_key, data) SELECT meter_key, data FROM meters ORDER BY meter_key;
DROP TABLE meters;
ALTER TABLE meters_v11 RENAME TO meters;

CREATE TABLE plans_v11 (
    plan_key    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (plan_key, version)
);
INSERT INTO plans_v11 (plan_key, version, data) SELECT plan_key, version, data FROM plans ORDER BY plan_key, version;
DROP TABLE plans;
ALTER TABLE plans_v11 RENAME TO plans;

CREATE TABLE customers_v11 (
    customer_id   TEXT NOT NULL PRIMARY KEY,
    name          TEXT NULL,
    time_zone_id  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    details       TEXT NULL
);
INSERT INTO customers_v11 (customer_id, name, time_zone_id, created_at, details)
SELECT customer_id, name, time_zone_id, created_at, details FROM customers ORDER BY customer_id;
DROP TABLE customers;
ALTER TABLE customers_v11 RENAME TO customers;

CREATE TABLE credit_grants_v11 (
    customer_id  TEXT NOT NULL,
    grant_id     TEXT NOT NULL,
    expires_at   INTEGER NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (customer_id, grant_id)
);
INSERT INTO credit_grants_v11 (customer_id, grant_id, expires_at, data)
SELECT customer_id, grant_id, expires_at, data FROM credit_grants ORDER BY customer_id, grant_id;
DROP TABLE credit_grants;
ALTER TABLE credit_grants_v11 RENAME TO credit_grants;
CREATE INDEX ix_credit_grants_expiry ON credit_grants (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE credit_transactions_v11 (
    customer_id  TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    grant_id     TEXT NOT NULL,
    type         INTEGER NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (customer_id, sequence)
);
INSERT INTO credit_transactions_v11 (customer_id, sequence, grant_id, type, data)
SELECT customer_id, sequence, grant_id, type, data FROM credit_transactions ORDER BY customer_id, sequence;
DROP TABLE credit_transactions;
ALTER TABLE credit_transactions_v11 RENAME TO credit_transactions;
CREATE INDEX ix_credit_transactions_grant ON credit_transactions (customer_id, grant_id, type);

CREATE TABLE event_handlers_v11 (
    handler           TEXT NOT NULL PRIMARY KEY,
    position          INTEGER NOT NULL,
    lease_owner       TEXT NULL,
    lease_expires_at  INTEGER NULL
);
INSERT INTO event_handlers_v11 (handler, position, lease_owner, lease_expires_at)
SELECT handler, position, lease_owner, lease_expires_at FROM event_handlers ORDER BY handler;
DROP TABLE event_handlers;
ALTER TABLE event_handlers_v11 RENAME TO event_handlers;

-- Listed by handler (binary collation, the ordinal order of ParkedCursor) then sequence: the primary key's order.
CREATE TABLE parked_events_v11 (
    handler                 TEXT NOT NULL,
    sequence                INTEGER NOT NULL,
    attempts                INTEGER NOT NULL,
    last_error              TEXT NOT NULL,
    parked_at               INTEGER NOT NULL,
    redelivery_requested    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (handler, sequence)
);
INSERT INTO parked_events_v11 (handler, sequence, attempts, last_error, parked_at, redelivery_requested)
SELECT handler, sequence, attempts, last_error, parked_at, redelivery_requested FROM parked_events ORDER BY handler, sequence;
DROP TABLE parked_events;
ALTER TABLE parked_events_v11 RENAME TO parked_events;

CREATE TABLE pending_adjustments_v11 (
    subscription_id TEXT NOT NULL,
    period_start    INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, period_start)
);
INSERT INTO pending_adjustments_v11 (subscription_id, period_start, reason, created_at)
SELECT subscription_id, period_start, reason, created_at FROM pending_adjustments ORDER BY subscription_id, period_start;
DROP TABLE pending_adjustments;
ALTER TABLE pending_adjustments_v11 RENAME TO pending_adjustments;
CREATE INDEX ix_pending_adjustments_created ON pending_adjustments (created_at);
