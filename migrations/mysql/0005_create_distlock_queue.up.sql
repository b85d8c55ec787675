-- The line of waiters of each lock, in arrival order (ticket). A waiter
-- that finds a lock held takes a place once, then renews it while it
-- waits: a place is live while expires_at has not passed, so a waiter
-- that died holds up nobody for longer than its last reservation. While a
-- lock has a live line, only its head may take it when it is free.
CREATE TABLE IF NOT EXISTS distlock_queue (
    ticket     BIGINT         NOT NULL AUTO_INCREMENT,
    name       VARBINARY(255) NOT NULL,
    owner      VARCHAR(255)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    expires_at DATETIME(6)    NOT NULL,
    PRIMARY KEY (ticket),
    INDEX distlock_queue_name_idx (name, ticket)
) ENGINE = InnoDB
