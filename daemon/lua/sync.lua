-- Brings the queue index in line with one callback's row in PostgreSQL.
-- KEYS[1] ready zset, KEYS[2] waiting zset, KEYS[3] leases zset,
-- KEYS[4] flagged set, KEYS[5] the callback's hash, KEYS[6] its routing zset
-- ARGV: id, state, score, due_at, not_before or "", now, site, topic,
--       language, urgent, assignee, lease_token or "", lease_until or "",
--       flagged "0"/"1"
-- queued: ready (and its routing set) when not_before has come, else
-- waiting; claimed: only in leases; flagged: only in the flagged set;
-- anything else (closed): gone from the index.
local id, state, score, nb, now = ARGV[1], ARGV[2], ARGV[3], ARGV[5], tonumber(ARGV[6])
local old_route = redis.call('HGET', KEYS[5], 'route')
if old_route then
	redis.call('ZREM', old_route, id)
end
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('SREM', KEYS[4], id)
if state ~= 'queued' and state ~= 'claimed' then
	redis.call('DEL', KEYS[5])
	return 'gone'
end
redis.call('HSET', KEYS[5], 'score', score, 'due_at', ARGV[4], 'not_before', nb,
	'site', ARGV[7], 'topic', ARGV[8], 'language', ARGV[9], 'urgent', ARGV[10],
	'assignee', ARGV[11], 'route', KEYS[6], 'lease_token', ARGV[12],
	'lease_until', ARGV[13])
if state == 'claimed' then
	redis.call('ZADD', KEYS[3], ARGV[13], id)
	return 'claimed'
end
if ARGV[14] == '1' then
	redis.call('SADD', KEYS[4], id)
	return 'flagged'
end
if nb ~= '' and tonumber(nb) > now then
	redis.call('ZADD', KEYS[2], nb, id)
	return 'waiting'
end
redis.call('ZADD', KEYS[1], ARGV[4], id)
redis.call('ZADD', KEYS[6], score, id)
return 'ready'
