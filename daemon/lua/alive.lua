-- Records that this daemon is alive, and reaps the peers that are not.
-- KEYS[1] daemons zset: member a daemon's id, score when it was last seen
-- (Redis's clock, ms, so that the daemons' clocks do not matter)
-- ARGV: this daemon's id, ms of silence after which a peer counts as dead
-- Returns when the earliest of the peers reaped now was last seen, or -1.
-- Atomic: each dead peer is reaped by exactly one daemon, which then
-- catches up with what that peer may have committed but not mirrored.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]),
	'WITHSCORES')
local oldest = -1
for i = 1, #dead, 2 do
	-- our own entry is stale only when our loop stalled: nothing was lost
	if dead[i] ~= ARGV[1] then
		redis.call('ZREM', KEYS[1], dead[i])
		local seen = tonumber(dead[i + 1])
		if oldest < 0 or seen < oldest then
			oldest = seen
		end
	end
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return oldest
