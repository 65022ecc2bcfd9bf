-- Picks the first callback among a caseworker's routing sets and leases
-- it, atomically: no callback is ever handed to two claimers.
-- KEYS[1..n-1] routing zsets (personal first), KEYS[n] leases zset
-- ARGV: key prefix, lease_until ms, lease token (16 bytes)
-- Returns the id, or nil when every set is empty.
local n, P = #KEYS, ARGV[1]
while true do
	local best, best_score, best_key
	for i = 1, n - 1 do
		local head = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
		if head[1] and (best == nil or tonumber(head[2]) < best_score) then
			best, best_score, best_key = head[1], tonumber(head[2]), KEYS[i]
		end
	end
	if not best then
		return nil
	end
	redis.call('ZREM', best_key, best)
	local r = rec_get(P, best)
	-- an entry without a ready record cannot be claimed; it leaves
	if r and r.state == 'r' then
		redis.call('ZADD', KEYS[n], ARGV[2], best)
		r.state, r.token = 'c', ARGV[3]
		rec_put(P, best, r)
		return best
	end
end
