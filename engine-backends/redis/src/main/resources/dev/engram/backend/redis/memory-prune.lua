-- Removes index entries whose item key is gone (Redis expired it first); a member whose key exists again is kept.
-- KEYS: space index. ARGV: item key stem, member...
local removed = 0
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
