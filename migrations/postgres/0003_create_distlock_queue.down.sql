DROP TABLE IF EXISTS distlock_queue;
DROP SEQUENCE IF EXISTS distlock_ticket_seq;
