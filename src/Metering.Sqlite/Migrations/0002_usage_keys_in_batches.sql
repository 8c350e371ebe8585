-- Metering schema, version 2: idempotency keys are indexed in batches, like usage_by_period.
-- A UNIQUE index on usage_records.idempotency_key put one entry per record into each group commit, on a page of its
-- own for every concurrent key stream (one page per record with random keys). usage_keys is filled by the writer
-- in the same batches as usage_by_period (records up to usage_index_state.indexed_through); the writer checks a new
-- key against usage_keys and against the short unindexed tail of usage_records, which it keeps in memory.

CREATE TABLE usage_keys (
    idempotency_key  TEXT NOT NULL PRIMARY KEY,
    seq              INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO usage_keys (idempotency_key, seq)
SELECT idempotency_key, seq FROM usage_records
WHERE seq <= (SELECT indexed_through FROM usage_index_state)
ORDER BY idempotency_key;

CREATE TABLE usage_records_v2 (
    seq                        INTEGER PRIMARY KEY,
    idempotency_key            TEXT NOT NULL,
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

INSERT INTO usage_records_v2 (seq, idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action, properties, requested_subscription_id)
SELECT seq, idempotency_key, subscription_id, period_start, customer_id, meter_key, quantity, timestamp, action, properties, requested_subscription_id
FROM usage_records ORDER BY seq;

DROP TABLE usage_records;
ALTER TABLE usage_records_v2 RENAME TO usage_records;
