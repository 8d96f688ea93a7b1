package dev.engram.backend.redis;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;

/** Checked options: where to connect (one uri, or Cluster seed nodes), the key prefix and the timeouts. */
record RedisSettings(List<RedisURI> uris, boolean cluster, String keyPrefix, Duration commandTimeout, Duration connectTimeout) {
}
