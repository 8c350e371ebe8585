-- Metering schema, version 13: idempotency keys longer than 64 UTF-8 bytes are indexed by their SHA-256 digest
-- (issue #18). A B-tree copies its keys into its interior cells; a key past an interior cell's local limit (about 230
-- bytes on 1 KiB pages) was read from overflow pages, outside SQLite's page cache, at every step of every search, so
-- records with 255-character keys were stored and checked for duplicates about ten times slower. usage_records keeps
-- every key as sent. metering_usage_key (the key's indexed form, the one rule for which keys are digested) is
-- registered by the library on its writer's connection.
UPDATE usage_keys SET idempotency_key = metering_usage_key(idempotency_key)
WHERE typeof(idempotency_key) = 'text' AND metering_usage_key(idempotency_key) IS NOT idempotency_key;
