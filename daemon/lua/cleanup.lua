-- Ends a rebuild: every open callback was synced from PostgreSQL since
-- ARGV[1] (ms); an entry not synced since then is one PostgreSQL no longer
-- has open, and leaves the index.
-- KEYS[1] ready, KEYS[2] waiting, KEYS[3] leases, KEYS[4] flagged,
-- KEYS[5] index marker; ARGV: rebuild start ms, key prefix, marker value
local since = tonumber(ARGV[1])
local removed = 0
local function sweep(ids)
	for _, id in ipairs(ids) do
		local h = ARGV[2] .. 'cb:' .. id
		local synced = tonumber(redis.call('HGET', h, 'synced_at') or '-1')
		if synced < since then
			local route = redis.call('HGET', h, 'route')
			if route then
				redis.call('ZREM', route, id)
			end
			redis.call('ZREM', KEYS[1], id)
			redis.call('ZREM', KEYS[2], id)
			redis.call('ZREM', KEYS[3], id)
			redis.call('SREM', KEYS[4], id)
			redis.call('DEL', h)
			removed = removed + 1
		end
	end
end
sweep(redis.call('ZRANGE', KEYS[1], 0, -1))
sweep(redis.call('ZRANGE', KEYS[2], 0, -1))
sweep(redis.call('ZRANGE', KEYS[3], 0, -1))
sweep(redis.call('SMEMBERS', KEYS[4]))
redis.call('SET', KEYS[5], ARGV[3])
return removed
