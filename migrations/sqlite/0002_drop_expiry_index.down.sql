CREATE INDEX IF NOT EXISTS distlock_expires_at_idx ON distlock (expires_at);
