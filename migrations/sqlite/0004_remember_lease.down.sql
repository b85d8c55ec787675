ALTER TABLE distlock DROP COLUMN lease;
