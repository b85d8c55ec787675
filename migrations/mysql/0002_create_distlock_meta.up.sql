-- fence_floor is the highest fence ever vacuumed from distlock, so that a
-- name whose row was deleted starts above every fence it had before.
CREATE TABLE IF NOT EXISTS distlock_meta (
    id          TINYINT NOT NULL,
    fence_floor BIGINT  NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB
