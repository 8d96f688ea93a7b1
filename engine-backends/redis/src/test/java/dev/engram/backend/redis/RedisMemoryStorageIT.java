package dev.engram.backend.redis;

import dev.engram.core.spi.Backend;
import io.lettuce.core.RedisClient;
import java.time.Clock;
import org.junit.jupiter.api.BeforeAll;

/** The memory storage scenarios against the shared Redis on 127.0.0.1:6379, a fresh key prefix per test. */
class RedisMemoryStorageIT extends RedisMemoryStorageScenarios {

    @BeforeAll
    static void redisIsThere() {
        RedisTestSupport.requireRedis();
    }

    @Override
    protected Backend open(String prefix, Clock clock) {
        return RedisTestSupport.backend(prefix, clock);
    }

    @Override
    protected Raw raw() {
        RedisClient client = RedisClient.create(RedisTestSupport.URL);
        var connection = client.connect();
        return new Raw(connection.sync(), () -> {
            connection.close();
            client.shutdown();
        });
    }

    @Override
    protected void release(String prefix) {
        RedisTestSupport.dropPrefix(RedisTestSupport.URL, prefix);
    }
}
