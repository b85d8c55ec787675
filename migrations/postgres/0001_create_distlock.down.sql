DROP SEQUENCE IF EXISTS distlock_fence_seq;
DROP TABLE IF EXISTS distlock;
