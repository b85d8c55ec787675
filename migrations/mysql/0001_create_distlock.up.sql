-- The lock table. Times are UTC by the server's clock (UTC_TIMESTAMP(6)),
-- whatever the session's time zone. A row whose expires_at has passed is
-- free; release sets expires_at to now. token_hash is SHA-256 over the
-- lock's name and its token: the token itself is never stored. Names are
-- compared byte for byte. One statement per file: the connection may not
-- allow multi-statements.
CREATE TABLE IF NOT EXISTS distlock (
    name        VARBINARY(255) NOT NULL,
    token_hash  BINARY(32)     NOT NULL,
    owner       VARCHAR(255)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    holds       INT            NOT NULL,
    fence       BIGINT         NOT NULL,
    acquired_at DATETIME(6)    NOT NULL,
    expires_at  DATETIME(6)    NOT NULL,
    PRIMARY KEY (name),
    INDEX distlock_expires_at_idx (expires_at)
) ENGINE = InnoDB
