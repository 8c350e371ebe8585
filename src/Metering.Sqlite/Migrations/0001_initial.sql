-- Metering schema, version 1.
-- Money and quantities are canonical decimal TEXT (never REAL); instants are INTEGER unix nanoseconds;
-- richer values (plans, subscriptions, invoices, credit entries, events) are JSON documents of explicit DTOs.

CREATE TABLE meters (
    meter_key   TEXT NOT NULL PRIMARY KEY,
    data        TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE plans (
    plan_key    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (plan_key, version)
) WITHOUT ROWID;

CREATE TABLE customers (
    customer_id   TEXT NOT NULL PRIMARY KEY,
    name          TEXT NULL,
    time_zone_id  TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE subscriptions (
    seq                 INTEGER PRIMARY KEY,
    subscription_id     TEXT NOT NULL UNIQUE,
    customer_id         TEXT NOT NULL,
    current_period_end  INTEGER NOT NULL,
    ended_at            INTEGER NULL,
    revision            INTEGER NOT NULL,
    data                TEXT NOT NULL
);
CREATE INDEX ix_subscriptions_customer ON subscriptions (customer_id, seq);
CREATE INDEX ix_subscriptions_due ON subscriptions (current_period_end, subscription_id) WHERE ended_at IS NULL;

-- Raw usage in arrival order (seq). The idempotency key is claimed by the UNIQUE constraint in the same
-- transaction that updates the aggregates. Appends touch only the table's last page and the key index.
CREATE TABLE usage_records (
    seq                        INTEGER PRIMARY KEY,
    idempotency_key            TEXT NOT NULL UNIQUE,
    subscription_id            TEXT NOT NULL,
    period_start               INTEGER NOT NULL,
    customer_id                TEXT NOT NULL,
    meter_key                  TEXT NOT NULL,
    quantity                   TEXT NOT NULL,
    timestamp                  INTEGER NOT NULL,
    action                     INTEGER NOT NULL,
    properties                 TEXT NULL,
    requested_subscription_id  TEXT NULL
);

-- The records of one subscription period, indexed by the writer in batches of thousands rather than in every commit
-- (an index entry per record would add one page per concurrent subscription to each group commit). Records after
-- indexed_through are found by scanning that short tail of usage_records.
CREATE TABLE usage_by_period (
    subscription_id  TEXT NOT NULL,
    period_start     INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, period_start, seq)
) WITHOUT ROWID;

CREATE TABLE usage_index_state (
    id               INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    indexed_through  INTEGER NOT NULL
);
INSERT INTO usage_index_state (id, indexed_through) VALUES (1, 0);

-- UsageAggregate state per (subscription, period, aggregate key); UniqueCount values live in aggregate_distinct.
CREATE TABLE aggregates (
    subscription_id   TEXT NOT NULL,
    period_start      INTEGER NOT NULL,
    aggregate_key     TEXT NOT NULL,
    kind              INTEGER NOT NULL,
    value             TEXT NOT NULL,
    record_count      INTEGER NOT NULL,
    latest_timestamp  INTEGER NULL,
    has_set           INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, period_start, aggregate_key)
) WITHOUT ROWID;

CREATE TABLE aggregate_distinct (
    subscription_id  TEXT NOT NULL,
    period_start     INTEGER NOT NULL,
    aggregate_key    TEXT NOT NULL,
    value            TEXT NOT NULL,
    PRIMARY KEY (subscription_id, period_start, aggregate_key, value)
) WITHOUT ROWID;

CREATE TABLE invoices (
    invoice_id       TEXT NOT NULL PRIMARY KEY,
    number           INTEGER NOT NULL UNIQUE,
    subscription_id  TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    period_start     INTEGER NOT NULL,
    data             TEXT NOT NULL,
    UNIQUE (subscription_id, period_start)
);
CREATE INDEX ix_invoices_customer ON invoices (customer_id, number);

CREATE TABLE credit_grants (
    customer_id  TEXT NOT NULL,
    grant_id     TEXT NOT NULL,
    expires_at   INTEGER NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (customer_id, grant_id)
) WITHOUT ROWID;
CREATE INDEX ix_credit_grants_expiry ON credit_grants (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE credit_transactions (
    customer_id  TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    grant_id     TEXT NOT NULL,
    type         INTEGER NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (customer_id, sequence)
) WITHOUT ROWID;
CREATE INDEX ix_credit_transactions_grant ON credit_transactions (customer_id, grant_id, type);

CREATE TABLE billing_events (
    sequence  INTEGER PRIMARY KEY AUTOINCREMENT,
    data      TEXT NOT NULL
);
