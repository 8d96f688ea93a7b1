-- Sweeps up to a limit of expired items of a memory space, then lists the members of its live ones.
-- KEYS: space index. ARGV: now (engine clock), item key stem, sweep limit.
-- Returns {items left in the index, items swept, live member...}.
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(expired) do
  redis.call('DEL', ARGV[2] .. member)
  redis.call('ZREM', KEYS[1], member)
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
table.insert(live, 1, #expired)
table.insert(live, 1, redis.call('ZCARD', KEYS[1]))
return live
