-- Removes one memory item and its index entry.
-- KEYS: item, space index. ARGV: member.
-- Returns {1 if the item's key was there else 0, its expiry score ('' when unindexed), items left in the space}.
local existed = redis.call('DEL', KEYS[1])
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return {existed, score or '', redis.call('ZCARD', KEYS[2])}
