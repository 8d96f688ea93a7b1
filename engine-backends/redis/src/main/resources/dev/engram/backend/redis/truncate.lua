-- Deletes a live thread's events up to a version (retention); the head stays.
-- KEYS: thread record, events, event ids. ARGV: now, up to. Reply: how many events went.
local f = redis.call('HMGET', KEYS[1], 'head', 'exp', 'del')
if not f[1] then
  return 0
end
local exp = tonumber(f[2])
if exp ~= 0 and exp <= tonumber(ARGV[1]) then
  return 0
end
local upTo = math.min(tonumber(ARGV[2]), tonumber(f[1]))
local deleted = tonumber(f[3]) or 0
if upTo <= deleted then
  return 0
end
for v = deleted + 1, upTo do
  local field = string.format('%d', v)
  local record = redis.call('HGET', KEYS[2], field)
  if record then
    -- the event id is bytes 2..17 of the record
    redis.call('HDEL', KEYS[3], string.sub(record, 2, 17))
    redis.call('HDEL', KEYS[2], field)
  end
end
redis.call('HSET', KEYS[1], 'del', string.format('%d', upTo))
return upTo - deleted
