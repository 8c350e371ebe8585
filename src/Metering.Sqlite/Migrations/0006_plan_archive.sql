-- Metering schema, version 6: archived plans (issue #17). A plan key listed here is archived: it takes no new
-- subscriptions or plan changes; subscriptions already on it keep running. The flag covers every version of the plan.

CREATE TABLE archived_plans (
    plan_key    TEXT NOT NULL PRIMARY KEY
) WITHOUT ROWID;
