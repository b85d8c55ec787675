-- A secret of the Module (the Store) that took the place, which the
-- release that names the place as the head of the line puts in its
-- NOTIFY: the waiter then knows the notification came from a release (any
-- user of the database can NOTIFY), and takes the lock without first
-- reading that it is free. 0 in places taken before.
ALTER TABLE distlock_queue ADD COLUMN IF NOT EXISTS nonce bigint NOT NULL DEFAULT 0;
