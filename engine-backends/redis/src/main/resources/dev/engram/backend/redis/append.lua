-- Appends one batch to one thread under LogAppend's rules (retry, payload check, expected version), atomically.
-- KEYS: thread record, events, event ids, checkpoints, checkpoint metadata (all in the thread's hash slot)
-- ARGV: now, expected (-1 = any), ttl (-1 = keep), generation, channel, metadata count, metadata pairs, then
--       (event id, record) pairs. Reply: {0|1, first, last} written|deduplicated, {2, head} conflict,
--       {3, index} other payload, {4, found} mixed, {5} split retry.
local rec, evk, idk = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
local expected = tonumber(ARGV[2])
local ttlArg = tonumber(ARGV[3])
local nmeta = tonumber(ARGV[6])
local base = 7 + 2 * nmeta
local n = (#ARGV - base + 1) / 2

local function int(x)
  return string.format('%d', x)
end

-- record layout: format(1) id(16) timestamp(8) typeLength(4) type data
local function payload(record)
  local b1, b2, b3, b4 = string.byte(record, 26, 29)
  return string.sub(record, 30 + ((b1 * 256 + b2) * 256 + b3) * 256 + b4)
end

local head, ttl, live = 0, 0, false
local f = redis.call('HMGET', rec, 'head', 'exp', 'ttl')
if f[1] then
  local exp = tonumber(f[2])
  if exp ~= 0 and exp <= now then
    redis.call('DEL', rec, evk, idk)
  else
    head, ttl, live = tonumber(f[1]), tonumber(f[3]), true
  end
end

local found, first, prev, consecutive = 0, 0, 0, true
if live then
  for i = 0, n - 1 do
    local v = redis.call('HGET', idk, ARGV[base + 2 * i])
    if v then
      local stored = redis.call('HGET', evk, v)
      if not stored or payload(stored) ~= payload(ARGV[base + 2 * i + 1]) then
        return {3, i}
      end
      v = tonumber(v)
      if found == 0 then
        first = v
      elseif v ~= prev + 1 then
        consecutive = false
      end
      prev = v
      found = found + 1
    end
  end
end
if found == n then
  if not consecutive then
    return {5}
  end
  return {1, first, prev}
end
if found > 0 then
  return {4, found}
end
if expected >= 0 and expected ~= head then
  return {2, head}
end

if not live then
  redis.call('HSET', rec, 'gen', ARGV[4], 'created', ARGV[1], 'del', '0')
  for i = 0, nmeta - 1 do
    redis.call('HSET', rec, 'm:' .. ARGV[7 + 2 * i], ARGV[8 + 2 * i])
  end
end
for i = 0, n - 1 do
  local v = int(head + 1 + i)
  redis.call('HSET', evk, v, ARGV[base + 2 * i + 1])
  redis.call('HSET', idk, ARGV[base + 2 * i], v)
end
local last = head + n
local previousTtl = ttl
if ttlArg >= 0 then
  ttl = ttlArg
end
local exp = 0
if ttl > 0 then
  exp = now + ttl
end
redis.call('HSET', rec, 'head', int(last), 'updated', ARGV[1], 'ttl', int(ttl), 'exp', int(exp))
-- physical expiry follows Redis's clock; reads compare 'exp' with the engine's clock
for _, key in ipairs(KEYS) do
  if ttl > 0 then
    redis.call('PEXPIRE', key, int(ttl))
  elseif previousTtl > 0 then
    redis.call('PERSIST', key)
  end
end
redis.call('PUBLISH', ARGV[5], int(last))
return {0, head + 1, last}
