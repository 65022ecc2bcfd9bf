-- One step of ending a rebuild: every open callback was synced from
-- PostgreSQL since ARGV[1] (ms); a record not synced since then is one
-- PostgreSQL no longer has open, and leaves the index. Walks the record
-- hashes ARGV[3] to ARGV[3] + ARGV[4] - 1, so Redis is never blocked long;
-- the last step sets the marker, unless Redis was emptied since the
-- rebuild began (its key KEYS[5] is gone): then the index is not complete.
-- KEYS[1] waiting, KEYS[2] leases, KEYS[3] flagged, KEYS[4] index marker,
-- KEYS[5] the rebuild's key
-- ARGV: rebuild start ms, key prefix, first hash, hashes, marker value
-- or "" before the last step
-- Returns how many entries left, or -1 when the index was emptied.
local since, P = tonumber(ARGV[1]), ARGV[2]
local first, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local removed = 0
each_record(P, first, count, function(h, id, r)
	if r.state ~= 'x' and r.synced < since then
		unindex(P, id, r, KEYS[1], KEYS[2], KEYS[3])
		redis.call('HDEL', h, id)
		removed = removed + 1
	end
end)
if ARGV[5] ~= '' then
	if redis.call('DEL', KEYS[5]) == 0 then
		return -1
	end
	redis.call('SET', KEYS[4], ARGV[5])
end
return removed
