-- The line of waiters of each lock, in arrival order (ticket, a rowid:
-- one more than the greatest in use). A waiter that finds a lock held
-- takes a place once, then renews it while it waits: a place is live
-- while expires_at (Unix ms) has not passed, so a waiter that died holds
-- up nobody for longer than its last reservation. While a lock has a live
-- line, only its head may take it when it is free.
CREATE TABLE IF NOT EXISTS distlock_queue (
    ticket     INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    owner      TEXT    NOT NULL DEFAULT '',
    expires_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS distlock_queue_name_idx ON distlock_queue (name, ticket);
