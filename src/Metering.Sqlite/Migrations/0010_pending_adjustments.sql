-- Metering schema, version 10: backfill markers (issue #16). A backfill marks each closed period it appends usage to
-- before the append, and the period's adjustment deletes the marker in its own transaction; a marker left behind (the
-- process stopped between the append and the adjustment) is settled by the periodic closer.

CREATE TABLE pending_adjustments (
    subscription_id TEXT NOT NULL,
    period_start    INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, period_start)
) WITHOUT ROWID;
CREATE INDEX ix_pending_adjustments_created ON pending_adjustments (created_at);
