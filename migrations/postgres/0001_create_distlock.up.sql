-- The lock table. Times are PostgreSQL's (now()); a row whose expires_at
-- has passed is free, and release sets expires_at to now().
-- token_hash is SHA-256 over the lock's name and its token: the token
-- itself is never stored.
CREATE TABLE IF NOT EXISTS distlock (
    name        text        NOT NULL PRIMARY KEY,
    token_hash  bytea       NOT NULL,
    owner       text        NOT NULL DEFAULT '',
    holds       integer     NOT NULL,
    fence       bigint      NOT NULL,
    acquired_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS distlock_expires_at_idx ON distlock (expires_at);

-- Every new acquisition takes its fence from this sequence, so fences
-- never go back, whatever rows vacuum deletes.
CREATE SEQUENCE IF NOT EXISTS distlock_fence_seq AS bigint;
