-- The line of waiters of each lock, in arrival order (ticket). A waiter
-- that finds a lock held takes a place once, then renews it while it
-- waits: a place is live while expires_at has not passed, so a waiter
-- that died holds up nobody for longer than its last reservation. While a
-- lock has a live line, only its head may take it when it is free; the
-- release of a lock with a line wakes the head alone.
CREATE SEQUENCE IF NOT EXISTS distlock_ticket_seq AS bigint;

CREATE TABLE IF NOT EXISTS distlock_queue (
    name       text        NOT NULL,
    ticket     bigint      NOT NULL DEFAULT nextval('distlock_ticket_seq'),
    owner      text        NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (name, ticket)
);
