-- The ticket of the place in line from which the lock's last acquisition
-- was taken (0: none). Places up to it are spent: the line skips them
-- before they are deleted, so that taking the lock from a place needs no
-- second statement. MariaDB runs the /*M! … */ part, which makes a re-run
-- harmless; MySQL has no ADD COLUMN IF NOT EXISTS.
ALTER TABLE distlock ADD COLUMN /*M! IF NOT EXISTS */ ticket BIGINT NOT NULL DEFAULT 0
