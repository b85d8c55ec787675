-- Each acquisition's lease length, which Extend renews whoever extends
-- it. NULL in rows written before: the extender's own lease serves them.
ALTER TABLE distlock ADD COLUMN IF NOT EXISTS lease interval;
