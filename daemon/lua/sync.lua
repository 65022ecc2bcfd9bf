-- Brings the queue index in line with one callback's row in PostgreSQL.
-- KEYS[1] waiting zset, KEYS[2] leases zset, KEYS[3] flagged set,
-- KEYS[4] its routing zset
-- ARGV: key prefix, id, state, score, not_before or "", now,
--       lease token (16 bytes) or "", lease_until or "", flagged "0"/"1",
--       version (the row's updated_at, ms)
-- queued: ready (in its routing set) when not_before has come, else
-- waiting; claimed: only in leases; flagged: only in the flagged set;
-- anything else (closed): gone from the sets, the record kept as a
-- tombstone. A row older than what the index holds changes nothing, so a
-- rebuild reading PostgreSQL a moment ago cannot undo a newer change.
local P, id, state, score, nb = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local now, version = tonumber(ARGV[6]), tonumber(ARGV[10])
local r = rec_get(P, id)
-- synced_at never goes back: a sync another daemon sent earlier may run
-- after ours, and a rebuild's cleanup must not take the entry for stale
local synced = now
if r and r.synced > now then
	synced = r.synced
end
if r and r.version > version then
	-- what the index holds is newer, and fresh: a rebuild must keep it
	r.synced = synced
	rec_put(P, id, r)
	return 'stale'
end
unindex(P, id, r, KEYS[1], KEYS[2], KEYS[3])
if state ~= 'queued' and state ~= 'claimed' then
	rec_put(P, id, { state = 'x', version = version, synced = synced,
		score = 0, route = 0 })
	return 'gone'
end
local new = { version = version, synced = synced, score = score,
	route = route_number(P, KEYS[4]) }
local result
if state == 'claimed' then
	new.state, new.token, result = 'c', ARGV[7], 'claimed'
	redis.call('ZADD', KEYS[2], ARGV[8], id)
elseif ARGV[9] == '1' then
	new.state, result = 'f', 'flagged'
	redis.call('SADD', KEYS[3], id)
elseif nb ~= '' and tonumber(nb) > now then
	new.state, result = 'w', 'waiting'
	redis.call('ZADD', KEYS[1], nb, id)
else
	new.state, result = 'r', 'ready'
	redis.call('ZADD', KEYS[4], score, id)
end
rec_put(P, id, new)
return result
