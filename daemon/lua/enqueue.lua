-- Puts one open callback into the queue index, or moves it there.
-- KEYS[1] ready zset, KEYS[2] waiting zset, KEYS[3] the callback's hash
-- ARGV: id, due_at ms, not_before ms or "", now ms, site, topic, language,
--       urgent "0"/"1", assignee or ""
-- A callback is ready when it has no not_before or that time has come;
-- otherwise it waits, scored by not_before. It is never in both.
local id, due, nb, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('HSET', KEYS[3], 'due_at', due, 'not_before', nb,
	'site', ARGV[5], 'topic', ARGV[6], 'language', ARGV[7],
	'urgent', ARGV[8], 'assignee', ARGV[9])
if nb ~= '' and tonumber(nb) > now then
	redis.call('ZREM', KEYS[1], id)
	redis.call('ZADD', KEYS[2], nb, id)
	return 'waiting'
end
redis.call('ZREM', KEYS[2], id)
redis.call('ZADD', KEYS[1], due, id)
return 'ready'
