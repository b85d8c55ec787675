-- expires_at changes on every acquire and release; indexed, each of them
-- also rewrote an index entry. Vacuum walks the primary key instead.
DROP INDEX IF EXISTS distlock_expires_at_idx;
