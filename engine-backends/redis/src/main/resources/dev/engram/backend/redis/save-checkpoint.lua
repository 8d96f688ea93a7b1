-- Stores one checkpoint and gives it the thread's remaining time to live.
-- KEYS: thread record, checkpoints, checkpoint metadata. ARGV: now, version, blob, metadata.
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
local f = redis.call('HMGET', KEYS[1], 'exp', 'ttl')
local exp = tonumber(f[1]) or 0
local ttl = tonumber(f[2]) or 0
local left = exp - tonumber(ARGV[1])
if ttl > 0 and left > 0 then
  redis.call('PEXPIRE', KEYS[2], string.format('%d', left))
  redis.call('PEXPIRE', KEYS[3], string.format('%d', left))
end
return 1
