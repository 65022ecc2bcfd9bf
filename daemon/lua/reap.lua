-- Forgets the tombstones of callbacks closed before ARGV[2] (ms) in the
-- record hashes ARGV[3] to ARGV[3] + ARGV[4] - 1.
-- ARGV: key prefix, cut-off ms, first hash, hashes
-- Returns how many were forgotten.
local P, cutoff = ARGV[1], tonumber(ARGV[2])
local first, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local reaped = 0
for b = first, first + count - 1 do
	local h = P .. 'r:' .. string.format('%04x', b)
	local all = redis.call('HGETALL', h)
	for i = 1, #all, 2 do
		local r = rec_unpack(all[i + 1])
		if r.state == 'x' and r.synced < cutoff then
			redis.call('HDEL', h, all[i])
			reaped = reaped + 1
		end
	end
end
return reaped
