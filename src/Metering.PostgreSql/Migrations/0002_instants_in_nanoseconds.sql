-- Metering schema v2. {schema} is replaced by the configured schema name (quoted).
-- Instants move from Unix ticks (100 ns) to Unix nanoseconds, as the SQLite store keeps them, so that a timestamp with
-- sub-100-ns digits is kept exactly (a retry stays a Duplicate; Last/Max aggregates compare the real timestamps).
-- Every bigint instant column is multiplied by 100. Values written by v1 came from instants the runtime bounds to
-- 1677-09-21..2262-04-11, so they fit; one that does not fails the migration ("bigint out of range") and, the whole
-- migration being one transaction, leaves the schema at v1. Runs once: schema_version records it in that transaction.

UPDATE {schema}.customers SET created_at = created_at * 100;
UPDATE {schema}.subscriptions SET period_start = period_start * 100, period_end = period_end * 100, ended_at = ended_at * 100;
UPDATE {schema}.usage_records SET period_start = period_start * 100, ts = ts * 100;
UPDATE {schema}.usage_aggregates SET period_start = period_start * 100, latest_ts = latest_ts * 100;
UPDATE {schema}.invoices SET period_start = period_start * 100;
UPDATE {schema}.credit_grants SET expires_at = expires_at * 100 WHERE expires_at IS NOT NULL;
UPDATE {schema}.credit_transactions SET at = at * 100;
