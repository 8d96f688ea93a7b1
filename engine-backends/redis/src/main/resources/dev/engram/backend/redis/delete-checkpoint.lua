-- Deletes one checkpoint. KEYS: checkpoints, checkpoint metadata. ARGV: version.
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
