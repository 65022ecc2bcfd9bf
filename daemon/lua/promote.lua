-- Moves callbacks whose not_before has come from waiting to their routing
-- sets, at most ARGV[2] of them.
-- KEYS[1] waiting zset; ARGV: now ms, limit, key prefix
-- Returns the score of the next waiting callback, or -1 when none waits.
local P = ARGV[3]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(due) do
	redis.call('ZREM', KEYS[1], id)
	local r = rec_get(P, id)
	local route = r and r.state == 'w' and route_name(P, r.route)
	if route then
		redis.call('ZADD', route, r.score, id)
		r.state = 'r'
		rec_put(P, id, r)
	end
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nxt[2] then
	return nxt[2]
end
return -1
