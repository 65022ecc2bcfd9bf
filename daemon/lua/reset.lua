-- Empties the queue index before a rebuild from PostgreSQL.
-- KEYS[1] ready, KEYS[2] waiting, KEYS[3] leases, KEYS[4] flagged,
-- KEYS[5] index marker; ARGV[1] key prefix
-- Routing sets are found through the per-callback hashes' route field.
local function drop(ids)
	for _, id in ipairs(ids) do
		local route = redis.call('HGET', ARGV[1] .. 'cb:' .. id, 'route')
		if route then
			redis.call('DEL', route)
		end
	end
end
drop(redis.call('ZRANGE', KEYS[1], 0, -1))
drop(redis.call('ZRANGE', KEYS[2], 0, -1))
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return 1
