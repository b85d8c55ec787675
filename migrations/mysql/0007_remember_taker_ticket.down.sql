ALTER TABLE distlock DROP COLUMN /*M! IF EXISTS */ ticket
