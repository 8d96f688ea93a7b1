-- Appends a group of batches, each to one thread under LogAppend's rules (retry, payload check, expected version), in
-- order and atomically. Each batch is decided on its own: a refused one writes nothing and the others go on.
-- KEYS: per batch five keys of one thread's hash slot: record, events, event ids, checkpoints, checkpoint metadata.
-- ARGV: per batch: a header (big-endian: now int64, expected int64 (-1 = any), ttl int64 (-1 = keep), metadata count m
--       int32, event count n int32), the generation a new thread gets, m metadata pairs, n records. Few arguments
--       keep a call cheap: each one costs the server about as much as a short command. The event id is read from the
--       record, and the change channel is named after the record key.
-- Reply: four values per batch: {0|1, first, last, unlisted} written|deduplicated, where unlisted is the thread's
--        generation while the thread is not yet in its tenant's index, else ''; {2, head, 0, ''} conflict;
--        {3, index, 0, ''} other payload; {4, found, 0, ''} mixed; {5, 0, 0, ''} split retry.

local function int(x)
  return string.format('%d', x)
end

-- record layout: format(1) id(16) timestamp(8) typeLength(4) type data
local function payload(record)
  local b1, b2, b3, b4 = string.byte(record, 26, 29)
  return string.sub(record, 30 + ((b1 * 256 + b2) * 256 + b3) * 256 + b4)
end

-- the event id inside a record (see payload)
local function id(record)
  return string.sub(record, 2, 17)
end

-- the batch whose keys start at KEYS[k] and arguments at ARGV[a]; returns its four reply values
local function append(k, a, now, expected, ttlArg, nmeta, n)
  local rec, evk, idk = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  local nowText = int(now)
  local base = a + 2 + 2 * nmeta

  -- the events' ids, each read from its record once
  local ids = {}
  for i = 1, n do
    ids[i] = id(ARGV[base + i - 1])
  end

  local head, ttl, live, gen, listed = 0, 0, false, ARGV[a + 1], false
  local f = redis.call('HMGET', rec, 'head', 'exp', 'ttl', 'gen', 'ix')
  if f[1] then
    local exp = tonumber(f[2])
    if exp ~= 0 and exp <= now then
      redis.call('DEL', rec, evk, idk)
    else
      head, ttl, live, gen, listed = tonumber(f[1]), tonumber(f[3]), true, f[4], f[5] ~= false
    end
  end
  local unlisted = listed and '' or gen

  -- the versions the events get, as text, formatted once
  local versions = {}
  for i = 1, n do
    versions[i] = int(head + i)
  end

  -- the common case first: every id is new and the version is right. Each id is claimed in one call; one already
  -- there means a retry (or a mixed batch): the claims are undone and the lookups below decide
  local claimed = 0
  if expected < 0 or expected == head then
    while claimed < n and redis.call('HSETNX', idk, ids[claimed + 1], versions[claimed + 1]) == 1 do
      claimed = claimed + 1
    end
    if claimed < n then
      for i = 0, claimed - 1 do
        redis.call('HDEL', idk, ids[i + 1])
      end
      claimed = 0
    end
  end

  if claimed < n then
    local found, first, prev, consecutive = 0, 0, 0, true
    if live then
      for i = 0, n - 1 do
        local v = redis.call('HGET', idk, ids[i + 1])
        if v then
          local stored = redis.call('HGET', evk, v)
          if not stored or payload(stored) ~= payload(ARGV[base + i]) then
            return 3, i, 0, ''
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
        return 5, 0, 0, ''
      end
      return 1, first, prev, unlisted
    end
    if found > 0 then
      return 4, found, 0, ''
    end
    if expected >= 0 and expected ~= head then
      return 2, head, 0, ''
    end
  end

  if not live then
    redis.call('HSET', rec, 'gen', gen, 'created', nowText, 'del', '0')
    -- a value over hash-max-listpack-value (64 bytes by default) makes the id index a hash table from its first id on:
    -- a claim or lookup then costs the same at 10 ids as at 10,000, instead of scanning a list of up to 128 of them
    redis.call('HSET', idk, '-', string.rep('-', 65))
    for i = 0, nmeta - 1 do
      redis.call('HSET', rec, 'm:' .. ARGV[a + 2 + 2 * i], ARGV[a + 3 + 2 * i])
    end
  end
  for i = 0, n - 1 do
    local v = versions[i + 1]
    redis.call('HSET', evk, v, ARGV[base + i])
    if claimed < n then
      redis.call('HSET', idk, ids[i + 1], v)
    end
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
  if live and ttl == 0 and previousTtl == 0 then
    redis.call('HSET', rec, 'head', versions[n], 'updated', nowText)
  else
    redis.call('HSET', rec, 'head', versions[n], 'updated', nowText, 'ttl', int(ttl), 'exp', int(exp))
  end
  -- physical expiry follows Redis's clock; reads compare 'exp' with the engine's clock
  if ttl > 0 or previousTtl > 0 then
    for j = k, k + 4 do
      if ttl > 0 then
        redis.call('PEXPIRE', KEYS[j], int(ttl))
      else
        redis.call('PERSIST', KEYS[j])
      end
    end
  end
  -- the thread's change channel: its record key with 'head' for 'thread' (RedisKeys.channel)
  redis.call('PUBLISH', string.sub(rec, 1, -7) .. 'head', versions[n])
  return 0, head + 1, last, unlisted
end

local reply = {}
local a = 1
for k = 1, #KEYS, 5 do
  local now, expected, ttl, nmeta, n = struct.unpack('>i8i8i8i4i4', ARGV[a])
  local code, x, y, z = append(k, a, now, expected, ttl, nmeta, n)
  reply[#reply + 1] = code
  reply[#reply + 1] = x
  reply[#reply + 1] = y
  reply[#reply + 1] = z
  a = a + 2 + 2 * nmeta + n
end
return reply
