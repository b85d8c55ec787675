DELETE FROM distlock_meta WHERE id = 1
