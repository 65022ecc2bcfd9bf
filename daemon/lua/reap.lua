-- Forgets the tombstones of callbacks closed before ARGV[2] (ms) in the
-- record hashes ARGV[3] to ARGV[3] + ARGV[4] - 1.
-- ARGV: key prefix, cut-off ms, first hash, hashes
-- Returns how many were forgotten.
local P, cutoff = ARGV[1], tonumber(ARGV[2])
local first, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local reaped = 0
each_record(P, first, count, function(h, id, r)
	if r.state == 'x' and r.synced < cutoff then
		redis.call('HDEL', h, id)
		reaped = reaped + 1
	end
end)
return reaped
