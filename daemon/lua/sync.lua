-- Brings the queue index in line with callbacks' rows in PostgreSQL, for
-- all the callbacks the daemon synced in one pass of its event loop.
-- KEYS[1] waiting zset, KEYS[2] leases zset, KEYS[3] flagged set,
-- KEYS[4] on: the routing sets of the callbacks
-- ARGV[1] key prefix, ARGV[2] now; then nine for each callback: id,
--       state, score, not_before or "", lease token (16 bytes) or "",
--       lease_until or "", flagged "0"/"1", version (the row's updated_at,
--       ms), the number of its routing set in KEYS
-- Returns what became of each, in order.
-- queued: ready (in its routing set) when not_before has come, else
-- waiting; claimed: only in leases; flagged: only in the flagged set;
-- anything else (closed): gone from the sets, the record kept as a
-- tombstone. A row older than what the index holds changes nothing, so a
-- rebuild reading PostgreSQL a moment ago cannot undo a newer change.
local P, now = ARGV[1], tonumber(ARGV[2])

local function sync(id, state, score, nb, token, lease_until, flagged,
		version, route)
	local r = rec_get(P, id)
	-- synced_at never goes back: a sync another daemon sent earlier may
	-- run after ours, and a rebuild's cleanup must not take the entry for
	-- stale
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
		route = route_number(P, route) }
	local result
	if state == 'claimed' then
		new.state, new.token, result = 'c', token, 'claimed'
		redis.call('ZADD', KEYS[2], lease_until, id)
	elseif flagged == '1' then
		new.state, result = 'f', 'flagged'
		redis.call('SADD', KEYS[3], id)
	elseif nb ~= '' and tonumber(nb) > now then
		new.state, result = 'w', 'waiting'
		redis.call('ZADD', KEYS[1], nb, id)
	else
		new.state, result = 'r', 'ready'
		redis.call('ZADD', route, score, id)
	end
	rec_put(P, id, new)
	return result
end

local out = {}
for a = 3, #ARGV, 9 do
	out[#out + 1] = sync(ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]),
		ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6],
		tonumber(ARGV[a + 7]), KEYS[tonumber(ARGV[a + 8])])
end
return out
