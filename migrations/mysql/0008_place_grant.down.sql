ALTER TABLE distlock_queue DROP COLUMN /*M! IF EXISTS */ lease_us, DROP COLUMN /*M! IF EXISTS */ token_hash
