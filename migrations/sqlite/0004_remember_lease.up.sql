-- Each acquisition's lease length in milliseconds, which Extend renews
-- whoever extends it. NULL in rows written before: the extender's own
-- lease serves them. SQLite has no ADD COLUMN IF NOT EXISTS; its DDL is
-- transactional, so an interrupted run leaves nothing to redo, and
-- Migrate runs it in the same write transaction as the version update.
ALTER TABLE distlock ADD COLUMN lease INTEGER;
