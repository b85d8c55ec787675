-- A place carries the hash of the token its waiter will hold and the
-- lease it asks for: the release that finds it at the head of the line
-- grants it the lock in the same statement (the waiter then holds the
-- lock without another round trip). NULL in places taken before, whose
-- waiters take the lock themselves once woken.
ALTER TABLE distlock_queue ADD COLUMN IF NOT EXISTS token_hash bytea;
ALTER TABLE distlock_queue ADD COLUMN IF NOT EXISTS lease interval;
