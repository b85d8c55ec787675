ALTER TABLE distlock RESET (fillfactor);
ALTER TABLE distlock DROP COLUMN IF EXISTS watched_until;
CREATE INDEX IF NOT EXISTS distlock_expires_at_idx ON distlock (expires_at);
