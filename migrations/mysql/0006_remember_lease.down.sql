ALTER TABLE distlock DROP COLUMN /*M! IF EXISTS */ lease_us
