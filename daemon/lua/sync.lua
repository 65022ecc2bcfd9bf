-- Brings the queue index in line with one callback's row in PostgreSQL.
-- KEYS[1] ready zset, KEYS[2] waiting zset, KEYS[3] leases zset,
-- KEYS[4] flagged set, KEYS[5] the callback's hash, KEYS[6] its routing zset
-- ARGV: id, state, score, due_at, not_before or "", now, site, topic,
--       language, urgent, assignee, lease_token or "", lease_until or "",
--       flagged "0"/"1", version (the row's updated_at, ms)
-- queued: ready (and its routing set) when not_before has come, else
-- waiting; claimed: only in leases; flagged: only in the flagged set;
-- anything else (closed): gone from the sets, the hash kept a day as a
-- tombstone. A row older than what the index holds changes nothing, so a
-- rebuild reading PostgreSQL a moment ago cannot undo a newer change.
local id, state, score, nb, now = ARGV[1], ARGV[2], ARGV[3], ARGV[5], tonumber(ARGV[6])
local version = tonumber(ARGV[15])
local held = tonumber(redis.call('HGET', KEYS[5], 'version') or '-1')
-- synced_at never goes back: a sync another daemon sent earlier may run
-- after ours, and a rebuild's cleanup must not take the entry for stale
local synced = redis.call('HGET', KEYS[5], 'synced_at')
if not synced or tonumber(synced) < now then
	synced = ARGV[6]
end
if held > version then
	-- what the index holds is newer, and fresh: a rebuild must keep it
	redis.call('HSET', KEYS[5], 'synced_at', synced)
	return 'stale'
end
local old_route = redis.call('HGET', KEYS[5], 'route')
if old_route then
	redis.call('ZREM', old_route, id)
end
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('SREM', KEYS[4], id)
redis.call('HSET', KEYS[5], 'version', ARGV[15], 'synced_at', synced, 'state', state)
if state ~= 'queued' and state ~= 'claimed' then
	redis.call('HDEL', KEYS[5], 'route')
	redis.call('EXPIRE', KEYS[5], 86400)
	return 'gone'
end
redis.call('PERSIST', KEYS[5])
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
