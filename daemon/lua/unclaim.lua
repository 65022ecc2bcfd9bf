-- Undoes a claim that PostgreSQL did not record: puts the callback back
-- where it was, if the lease is still the one given.
-- KEYS[1] ready zset, KEYS[2] leases zset, KEYS[3] the callback's hash
-- ARGV: id, lease token
local h = redis.call('HMGET', KEYS[3], 'lease_token', 'route', 'score', 'due_at')
if h[1] ~= ARGV[2] then
	return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'lease_token', '', 'lease_until', '', 'holder', '')
redis.call('ZADD', h[2], h[3], ARGV[1])
redis.call('ZADD', KEYS[1], h[4], ARGV[1])
return 1
