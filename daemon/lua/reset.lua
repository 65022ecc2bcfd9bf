-- Empties the queue index before a rebuild from PostgreSQL.
-- KEYS[1] ready zset, KEYS[2] waiting zset, KEYS[3] index marker
-- The per-callback hashes are rewritten by enqueue; only the sets that
-- decide what is claimable are dropped, so a callback closed while Redis
-- was unreachable cannot come back.
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
