-- Notes that the thread is in its tenant's index, unless it was re-created meanwhile (a new generation is listed anew).
-- KEYS: thread record. ARGV: the generation that was listed.
if redis.call('HGET', KEYS[1], 'gen') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'ix', '1')
end
return 0
