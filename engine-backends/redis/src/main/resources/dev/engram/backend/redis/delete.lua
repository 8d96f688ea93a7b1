-- Deletes one thread's record and events; publishes 0 when it was live.
-- KEYS: thread record, events, event ids. ARGV: now, channel. Reply: 1 when it was live, else 0.
local f = redis.call('HMGET', KEYS[1], 'head', 'exp')
local live = false
if f[1] then
  local exp = tonumber(f[2])
  live = exp == 0 or exp > tonumber(ARGV[1])
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if live then
  redis.call('PUBLISH', ARGV[2], '0')
  return 1
end
return 0
