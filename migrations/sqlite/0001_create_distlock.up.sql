-- The lock table. Times are Unix milliseconds by SQLite's clock.
-- A row whose expires_at has passed is free; release sets expires_at to now.
-- token_hash is SHA-256 over the lock's name and its token: the token itself
-- is never stored.
CREATE TABLE IF NOT EXISTS distlock (
    name        TEXT    NOT NULL PRIMARY KEY,
    token_hash  BLOB    NOT NULL,
    owner       TEXT    NOT NULL DEFAULT '',
    holds       INTEGER NOT NULL,
    fence       INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS distlock_expires_at_idx ON distlock (expires_at);

-- fence_floor is the highest fence ever deleted from distlock, so that a
-- name whose row was vacuumed starts above every fence it had before.
CREATE TABLE IF NOT EXISTS distlock_meta (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    fence_floor INTEGER NOT NULL
);

INSERT OR IGNORE INTO distlock_meta (id, fence_floor) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS distlock_fence_floor AFTER DELETE ON distlock
BEGIN
    UPDATE distlock_meta SET fence_floor = MAX(fence_floor, OLD.fence) WHERE id = 1;
END;
