-- Prepended to every script (scripts/embed.sh): the index record of a
-- callback, packed small so that a million open callbacks take under 200
-- bytes each. Ids are the 16 bytes of the UUID. A record lives in one of
-- 65 536 small hashes, P r:0000 to P r:ffff (the id's first two bytes in
-- hex), so that Redis keeps each hash as a compact listpack; field the
-- id, value:
--   state  1 byte: r ready (in its routing set), w waiting, c claimed
--          (in leases), f flagged, x closed (a tombstone, kept a day so
--          that a rebuild reading an older row cannot bring it back)
--   version, synced_at (ms), routing score: 6 bytes each
--   route  4 bytes: the routing set's number in P routes
--   token  16 bytes, only while claimed: the lease token
local REC = '<c1i6i6i6I4'

local function rec_key(prefix, id)
	return prefix .. 'r:' .. string.format('%02x%02x', string.byte(id, 1, 2))
end

local function rec_unpack(v)
	local state, version, synced, score, route, next = struct.unpack(REC, v)
	return { state = state, version = version, synced = synced, score = score,
		route = route, token = string.sub(v, next) }
end

local function rec_get(prefix, id)
	local v = redis.call('HGET', rec_key(prefix, id), id)
	return v and rec_unpack(v)
end

local function rec_put(prefix, id, r)
	redis.call('HSET', rec_key(prefix, id), id,
		struct.pack(REC, r.state, r.version, r.synced, r.score, r.route) ..
		(r.token or ''))
end

-- Calls fn(hash, id, record) for each record in the hashes first to
-- first + count - 1.
local function each_record(prefix, first, count, fn)
	for b = first, first + count - 1 do
		local h = prefix .. 'r:' .. string.format('%04x', b)
		local all = redis.call('HGETALL', h)
		for i = 1, #all, 2 do
			fn(h, all[i], rec_unpack(all[i + 1]))
		end
	end
end

-- Routing sets are numbered once, in P routes: name -> n and #n -> name.
local function route_number(prefix, name)
	local h = prefix .. 'routes'
	local n = redis.call('HGET', h, name)
	if n then
		return tonumber(n)
	end
	n = redis.call('HINCRBY', h, '#', 1)
	redis.call('HSET', h, name, n, '#' .. n, name)
	return n
end

local function route_name(prefix, n)
	if n == 0 then
		return nil
	end
	return redis.call('HGET', prefix .. 'routes', '#' .. n)
end

-- Takes a callback out of the set its record says it is in: every script
-- moves an entry and changes its record's state together. Without a
-- record, out of every set it may be in.
local function unindex(prefix, id, r, waiting, leases, flagged)
	local state = r and r.state
	if state == 'r' then
		local route = route_name(prefix, r.route)
		if route then
			redis.call('ZREM', route, id)
		end
	elseif state == 'c' then
		redis.call('ZREM', leases, id)
	elseif state == 'w' then
		redis.call('ZREM', waiting, id)
	elseif state == 'f' then
		redis.call('SREM', flagged, id)
	elseif not r then
		redis.call('ZREM', waiting, id)
		redis.call('ZREM', leases, id)
		redis.call('SREM', flagged, id)
	end
end

