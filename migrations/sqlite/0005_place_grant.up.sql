-- A place carries the hash of the token its waiter will hold and the
-- lease (ms) it asks for: the release that finds it at the head of the
-- line grants it the lock in the same transaction (the waiter then holds
-- the lock without another statement). NULL in places taken before, whose
-- waiters take the lock themselves once woken. (No ADD COLUMN IF NOT
-- EXISTS in SQLite: see 0004.)
ALTER TABLE distlock_queue ADD COLUMN token_hash BLOB;
ALTER TABLE distlock_queue ADD COLUMN lease INTEGER;
