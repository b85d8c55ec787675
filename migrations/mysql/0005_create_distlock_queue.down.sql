DROP TABLE IF EXISTS distlock_queue
