-- Sets then removes metadata entries of a live thread.
-- KEYS: thread record. ARGV: now, count to set, (name, value) pairs, names to remove.
-- Reply: the record's fields and values, or {} when the thread is absent or expired.
local f = redis.call('HMGET', KEYS[1], 'head', 'exp')
if not f[1] then
  return {}
end
local exp = tonumber(f[2])
if exp ~= 0 and exp <= tonumber(ARGV[1]) then
  return {}
end
local nset = tonumber(ARGV[2])
for i = 0, nset - 1 do
  redis.call('HSET', KEYS[1], 'm:' .. ARGV[3 + 2 * i], ARGV[4 + 2 * i])
end
for i = 3 + 2 * nset, #ARGV do
  redis.call('HDEL', KEYS[1], 'm:' .. ARGV[i])
end
return redis.call('HGETALL', KEYS[1])
