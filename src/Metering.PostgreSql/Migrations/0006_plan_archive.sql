-- Metering schema v6. {schema} is replaced by the configured schema name (quoted).
-- Archived plans (issue #17). A plan key listed here is archived: it takes no new subscriptions or plan changes;
-- subscriptions already on it keep running. The flag covers every version of the plan.

CREATE TABLE {schema}.archived_plans (
    plan_key text COLLATE "C" PRIMARY KEY
);
