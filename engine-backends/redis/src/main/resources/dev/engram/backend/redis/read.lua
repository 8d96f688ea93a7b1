-- Reads a range of one live thread's events.
-- KEYS: thread record, events. ARGV: now, from, to, limit, generation ('' = any).
-- Reply: {} when the thread is absent, expired or of another generation; else {generation, first version, records...}.
local f = redis.call('HMGET', KEYS[1], 'head', 'exp', 'gen', 'del')
if not f[1] then
  return {}
end
local exp = tonumber(f[2])
if exp ~= 0 and exp <= tonumber(ARGV[1]) then
  return {}
end
if ARGV[5] ~= '' and ARGV[5] ~= f[3] then
  return {}
end
local from = math.max(tonumber(ARGV[2]), (tonumber(f[4]) or 0) + 1)
local to = math.min(tonumber(ARGV[3]), tonumber(f[1]))
local count = math.min(to - from + 1, tonumber(ARGV[4]))
local out = {f[3], from}
if count <= 0 then
  return out
end
local fields = {}
for v = from, from + count - 1 do
  fields[#fields + 1] = string.format('%d', v)
end
local values = redis.call('HMGET', KEYS[2], unpack(fields))
for i = 1, #values do
  out[#out + 1] = values[i]
end
return out
