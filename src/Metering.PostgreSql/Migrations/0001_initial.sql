-- Metering schema v1. {schema} is replaced by the configured schema name (quoted).
-- Keys are COLLATE "C" so that ordering is ordinal (as in the other stores) and lock order is the same everywhere.
-- Money and quantities are numeric (exact); instants are bigint Unix ticks (100 ns, no precision loss).

CREATE TABLE {schema}.counters (
    name  text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);
-- Gap-free numbers: a counter row is updated in the transaction that uses the number, so a rollback leaves no gap.
INSERT INTO {schema}.counters (name, value) VALUES ('invoice', 0), ('event', 0);

CREATE TABLE {schema}.meters (
    meter_key text COLLATE "C" PRIMARY KEY,
    doc       jsonb NOT NULL
);

CREATE TABLE {schema}.plans (
    plan_key text COLLATE "C" NOT NULL,
    version  integer NOT NULL,
    doc      jsonb NOT NULL,
    PRIMARY KEY (plan_key, version)
);

CREATE TABLE {schema}.customers (
    customer_id text COLLATE "C" PRIMARY KEY,
    name        text,
    time_zone   text NOT NULL,
    created_at  bigint NOT NULL
);

CREATE TABLE {schema}.subscriptions (
    subscription_id text COLLATE "C" PRIMARY KEY,
    position        bigint GENERATED ALWAYS AS IDENTITY,
    customer_id     text COLLATE "C" NOT NULL,
    revision        bigint NOT NULL,
    period_start    bigint NOT NULL,
    period_end      bigint NOT NULL,
    ended_at        bigint,
    doc             jsonb NOT NULL
);
CREATE INDEX subscriptions_by_customer ON {schema}.subscriptions (customer_id, position);
CREATE INDEX subscriptions_due ON {schema}.subscriptions (period_end, subscription_id) WHERE ended_at IS NULL;

-- Raw usage: the idempotency key is the primary key, so claiming it and storing the record are one insert.
-- Arrival order is (batch_seq, ordinal): one sequence value per appended batch, then the item's place in it.
CREATE SEQUENCE {schema}.usage_batch_seq;
CREATE TABLE {schema}.usage_records (
    idempotency_key        text COLLATE "C" PRIMARY KEY,
    subscription_id        text COLLATE "C" NOT NULL,
    period_start           bigint NOT NULL,
    batch_seq              bigint NOT NULL,
    ordinal                integer NOT NULL,
    customer_id            text COLLATE "C" NOT NULL,
    meter_key              text COLLATE "C" NOT NULL,
    quantity               numeric NOT NULL,
    ts                     bigint NOT NULL,
    action                 smallint NOT NULL,
    properties             jsonb,
    record_subscription_id text COLLATE "C"
);
CREATE INDEX usage_records_by_period ON {schema}.usage_records (subscription_id, period_start, batch_seq, ordinal);

CREATE TABLE {schema}.usage_aggregates (
    subscription_id text COLLATE "C" NOT NULL,
    period_start    bigint NOT NULL,
    aggregate_key   text COLLATE "C" NOT NULL,
    kind            smallint NOT NULL,
    value           numeric NOT NULL,
    record_count    bigint NOT NULL,
    latest_ts       bigint,
    has_set         boolean NOT NULL,
    distinct_values jsonb,
    PRIMARY KEY (subscription_id, period_start, aggregate_key)
);

CREATE TABLE {schema}.invoices (
    invoice_id      text COLLATE "C" PRIMARY KEY,
    number          bigint NOT NULL UNIQUE,
    subscription_id text COLLATE "C" NOT NULL,
    period_start    bigint NOT NULL,
    customer_id     text COLLATE "C" NOT NULL,
    doc             jsonb NOT NULL,
    UNIQUE (subscription_id, period_start)
);
CREATE INDEX invoices_by_customer ON {schema}.invoices (customer_id, number DESC);

-- One row per customer with credits: locked FOR UPDATE by every change; last_sequence versions the ledger.
CREATE TABLE {schema}.credit_ledgers (
    customer_id   text COLLATE "C" PRIMARY KEY,
    last_sequence bigint NOT NULL
);
CREATE TABLE {schema}.credit_grants (
    customer_id text COLLATE "C" NOT NULL,
    grant_id    text COLLATE "C" NOT NULL,
    expires_at  bigint,
    doc         jsonb NOT NULL,
    PRIMARY KEY (customer_id, grant_id)
);
CREATE INDEX credit_grants_expiring ON {schema}.credit_grants (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE {schema}.credit_transactions (
    customer_id text COLLATE "C" NOT NULL,
    sequence    bigint NOT NULL,
    grant_id    text COLLATE "C" NOT NULL,
    type        text NOT NULL,
    effect      numeric NOT NULL,
    at          bigint NOT NULL,
    doc         jsonb NOT NULL,
    PRIMARY KEY (customer_id, sequence)
);
CREATE INDEX credit_transactions_by_grant ON {schema}.credit_transactions (customer_id, grant_id);

CREATE TABLE {schema}.billing_events (
    sequence bigint PRIMARY KEY,
    doc      jsonb NOT NULL
);
