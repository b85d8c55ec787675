-- A place carries the hash of the token its waiter will hold and the
-- lease (µs) it asks for: the release that finds it at the head of the
-- line grants it the lock in the same statement (the waiter then holds the
-- lock without another statement). NULL in places taken before, whose
-- waiters take the lock themselves. MariaDB runs the /*M! … */ parts (see
-- 0007); MySQL's ALTER is atomic, and a re-run's "duplicate column" counts
-- as done.
ALTER TABLE distlock_queue ADD COLUMN /*M! IF NOT EXISTS */ token_hash BINARY(32) NULL, ADD COLUMN /*M! IF NOT EXISTS */ lease_us BIGINT NULL
