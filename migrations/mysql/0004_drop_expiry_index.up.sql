-- expires_at changes on every acquire and release; indexed, each of them
-- also rewrote an index entry. Vacuum walks the primary key instead.
-- MariaDB runs the /*M! … */ part, which makes a re-run harmless; MySQL
-- has no DROP INDEX IF EXISTS.
ALTER TABLE distlock DROP INDEX /*M! IF EXISTS */ distlock_expires_at_idx
