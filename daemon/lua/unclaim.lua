-- Undoes a claim that PostgreSQL did not record: puts the callback back
-- where it was, if the lease is still the one given.
-- KEYS[1] leases zset; ARGV: key prefix, id, lease token (16 bytes)
local P, id = ARGV[1], ARGV[2]
local r = rec_get(P, id)
if not r or r.state ~= 'c' or r.token ~= ARGV[3] then
	return 0
end
redis.call('ZREM', KEYS[1], id)
r.state, r.token = 'r', ''
local route = route_name(P, r.route)
if route then
	redis.call('ZADD', route, r.score, id)
end
rec_put(P, id, r)
return 1
