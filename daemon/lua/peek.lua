-- A caseworker's queue in claim order, without claiming: merges the heads
-- of their routing sets (personal first).
-- KEYS: the routing zsets; ARGV: offset, limit
-- Returns a flat list id, score, id, score, ...
local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local all = {}
for i = 1, #KEYS do
	local r = redis.call('ZRANGE', KEYS[i], 0, offset + limit - 1, 'WITHSCORES')
	for j = 1, #r, 2 do
		all[#all + 1] = {r[j], tonumber(r[j + 1])}
	end
end
table.sort(all, function(a, b)
	if a[2] ~= b[2] then return a[2] < b[2] end
	return a[1] < b[1]
end)
local out = {}
for i = offset + 1, math.min(#all, offset + limit) do
	out[#out + 1] = all[i][1]
	out[#out + 1] = tostring(all[i][2])
end
return out
