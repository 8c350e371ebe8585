-- Metering schema, version 12: each subscription's revision beside its id (issue #18). The current-usage read keeps
-- decoded subscriptions and needs only the stored revision to know one is current: from this index that is one
-- search of small entries, without reading the subscription's row (a page of its own for each subscription).
CREATE INDEX ix_subscriptions_revision ON subscriptions (subscription_id, revision);
