ALTER TABLE distlock_queue DROP COLUMN lease;
ALTER TABLE distlock_queue DROP COLUMN token_hash;
