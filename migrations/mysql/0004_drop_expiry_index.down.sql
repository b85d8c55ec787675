ALTER TABLE distlock ADD INDEX /*M! IF NOT EXISTS */ distlock_expires_at_idx (expires_at)
