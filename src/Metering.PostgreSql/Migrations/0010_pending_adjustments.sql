-- Metering schema v10. {schema} is replaced by the configured schema name (quoted).
-- Backfill markers (issue #16). A backfill marks each closed period it appends usage to before the append, and the
-- period's adjustment deletes the marker in its own transaction (under the subscription's row lock); a marker left
-- behind (the process stopped between the append and the adjustment) is settled by the periodic closer.

CREATE TABLE {schema}.pending_adjustments (
    subscription_id text COLLATE "C" NOT NULL,
    period_start    bigint NOT NULL,
    reason          text NOT NULL,
    created_at      bigint NOT NULL,
    PRIMARY KEY (subscription_id, period_start)
);
CREATE INDEX pending_adjustments_by_age ON {schema}.pending_adjustments (created_at);
