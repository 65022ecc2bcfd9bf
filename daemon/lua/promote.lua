-- Moves callbacks whose not_before has come from waiting to ready and
-- their routing sets, at most ARGV[2] of them.
-- KEYS[1] waiting zset, KEYS[2] ready zset; ARGV: now ms, limit, key prefix
-- Returns the score of the next waiting callback, or -1 when none waits.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(due) do
	local h = redis.call('HMGET', ARGV[3] .. 'cb:' .. id, 'route', 'score', 'due_at')
	redis.call('ZREM', KEYS[1], id)
	if h[1] then
		redis.call('ZADD', h[1], h[2], id)
		redis.call('ZADD', KEYS[2], h[3], id)
	end
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nxt[2] then
	return nxt[2]
end
return -1
