-- Picks the first callback among a caseworker's routing sets and leases
-- it, atomically: no callback is ever handed to two claimers.
-- KEYS[1..n-2] routing zsets (personal first), KEYS[n-1] ready zset,
-- KEYS[n] leases zset
-- ARGV: key prefix, lease_until ms, lease token, caseworker id
-- Returns {id, routing key} or nil when every set is empty.
local n = #KEYS
local best, best_score, best_key
for i = 1, n - 2 do
	local head = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
	if head[1] and (best == nil or tonumber(head[2]) < best_score) then
		best, best_score, best_key = head[1], tonumber(head[2]), KEYS[i]
	end
end
if not best then
	return nil
end
redis.call('ZREM', best_key, best)
redis.call('ZREM', KEYS[n - 1], best)
redis.call('ZADD', KEYS[n], ARGV[2], best)
redis.call('HSET', ARGV[1] .. 'cb:' .. best, 'lease_token', ARGV[3],
	'lease_until', ARGV[2], 'holder', ARGV[4])
return {best, best_key}
