-- Each acquisition's lease length in microseconds, which Extend renews
-- whoever extends it. NULL in rows written before: the extender's own
-- lease serves them. distlock stores it with at most 14 significant bits
-- (see the mysql dialect's leaseCode), so that a reply can carry it.
-- MariaDB runs the /*M! … */ part, which makes a re-run harmless; MySQL
-- has no ADD COLUMN IF NOT EXISTS.
ALTER TABLE distlock ADD COLUMN /*M! IF NOT EXISTS */ lease_us BIGINT NULL
