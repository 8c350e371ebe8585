-- Metering schema, version 4: customers keep their details (email, metadata, last update) as a JSON document.
ALTER TABLE {schema}.customers ADD COLUMN details jsonb NULL;
