ALTER TABLE distlock_queue DROP COLUMN IF EXISTS lease;
ALTER TABLE distlock_queue DROP COLUMN IF EXISTS token_hash;
