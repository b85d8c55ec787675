ALTER TABLE distlock_queue DROP COLUMN IF EXISTS nonce;
