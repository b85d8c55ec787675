DROP TRIGGER IF EXISTS distlock_fence_floor;
DROP TABLE IF EXISTS distlock_meta;
DROP INDEX IF EXISTS distlock_expires_at_idx;
DROP TABLE IF EXISTS distlock;
