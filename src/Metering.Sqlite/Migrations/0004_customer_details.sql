-- Metering schema, version 4: customers keep their details (email, metadata, last update) as a JSON document.
ALTER TABLE customers ADD COLUMN details TEXT NULL;
