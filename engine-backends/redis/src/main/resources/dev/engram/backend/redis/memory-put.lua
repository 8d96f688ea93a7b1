-- Upserts one memory item and its index entry, then sweeps a few expired items of the same space.
-- KEYS: item, space index. ARGV: member, record, expiry score ('+inf': never), ttl ms (0: none), now (engine clock),
-- item key stem, sweep limit, and the SHA1 of the record the item must still hold ('': write unconditionally).
-- Swept item keys are the stem followed by a member: the same hash tag, so the same slot.
-- Returns 1 when written, 0 when the item no longer held the expected record.
if ARGV[8] ~= '' then
  local current = redis.call('GET', KEYS[1])
  if not current or redis.sha1hex(current) ~= ARGV[8] then
    return 0
  end
end
local ttl = tonumber(ARGV[4])
local indexTtl = redis.call('PTTL', KEYS[2])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
-- the index outlives every item it names: persistent once one item is, else as long as the longest-lived item
if ttl <= 0 then
  redis.call('PERSIST', KEYS[2])
elseif indexTtl == -2 or (indexTtl >= 0 and indexTtl < ttl) then
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[5], 'LIMIT', 0, tonumber(ARGV[7]))
for _, member in ipairs(expired) do
  redis.call('DEL', ARGV[6] .. member)
  redis.call('ZREM', KEYS[2], member)
end
return 1
