package dev.engram.backend.redis;

import dev.engram.core.config.EngramConfig;
import dev.engram.tck.BackendUnderTest;
import dev.engram.tck.DurabilityKit;
import dev.engram.tck.EngramConformanceKit;
import dev.engram.tck.SharedStorageKit;
import dev.engram.tck.TestStorage;
import org.junit.jupiter.api.BeforeAll;

/** The whole kit against the shared Redis on 127.0.0.1:6379, a fresh key prefix per test. */
class RedisConformanceIT implements EngramConformanceKit, SharedStorageKit, DurabilityKit {

    @BeforeAll
    static void redisIsThere() {
        RedisTestSupport.requireRedis();
    }

    @Override
    public BackendUnderTest backend() {
        return () -> {
            String prefix = RedisTestSupport.uniquePrefix("tck");
            return new TestStorage(EngramConfig.defaults().withProvider(RedisProvider.NAME)
                    .withProviderOption(RedisProvider.NAME, "url", RedisTestSupport.URL)
                    .withProviderOption(RedisProvider.NAME, "keyPrefix", prefix),
                    () -> RedisTestSupport.dropPrefix(RedisTestSupport.URL, prefix));
        };
    }
}
