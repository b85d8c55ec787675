INSERT IGNORE INTO distlock_meta (id, fence_floor) VALUES (1, 0)
