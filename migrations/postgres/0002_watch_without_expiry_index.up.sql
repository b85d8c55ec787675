-- expires_at changes on every acquire and release. Indexed, it made every
-- such update a non-HOT update (a new index entry in both indexes, four
-- WAL records instead of one); vacuum walks the primary key instead.
DROP INDEX IF EXISTS distlock_expires_at_idx;

-- Until when a waiter wants this lock's releases announced (NOTIFY);
-- releases of an unwatched lock send nothing.
ALTER TABLE distlock ADD COLUMN IF NOT EXISTS watched_until timestamptz NOT NULL DEFAULT '-infinity';

-- Room on each page for the next version of its rows, so that updates
-- stay on the page (HOT).
ALTER TABLE distlock SET (fillfactor = 80);
