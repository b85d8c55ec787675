DROP TABLE IF EXISTS distlock_meta
